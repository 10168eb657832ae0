import {
  caKeyFlag,
  certsDirFlag,
  certsDirWord,
  hostWord,
  clientName,
  configureSteps,
  connectionStringTool,
  hostOf,
  isCloud,
  isNodeFamily,
  opensslProbe,
  portOf,
  probeTool,
  testConnectionTool,
  type CauseDraft,
  type FixContext,
  type Guide,
} from './context.js';
import { need, raw, sh, shq } from '../../core/shell.js';

/** host:port for --listen-addr, bracketed for IPv6, quoted. */
const listenAddr = (ctx: FixContext): string => {
  const host = hostWord(ctx);
  if (typeof host !== 'string') return `${host.text.slice(0, -1)}:${portOf(ctx)}"`;
  return shq(`${host.includes(':') ? `[${host}]` : host}:${portOf(ctx)}`);
};
const healthUrl = (ctx: FixContext): string => {
  const host = hostWord(ctx);
  if (typeof host !== 'string') return `https://${host.text}:${portOf(ctx)}/health`;
  return shq(`https://${host.includes(':') ? `[${host}]` : host}:${portOf(ctx)}/health`);
};

/** Guides for TLS on one side only, cut connections, the wrong endpoint, protocol and Cloud routing. */

export const serverTlsDisabled: Guide = {
  confirm: (ctx) => `\`${opensslProbe(ctx)}\` gets no certificate: the server answers the SSLRequest with "N"`,
  explanation: () =>
    'The client asked for TLS and the server answered that it does not do TLS (pgwire SSLRequest answered "N"): the node runs with --insecure, or something other than a secure CockroachDB node listens there. A secure node always accepts TLS.',
  causes: (ctx) => [
    { cause: 'The node was started with --insecure.', likelihood: 'high', confirm: 'The cockroach start command line / the DB Console banner says insecure.', command: 'ps -o args= -C cockroach' },
    { cause: 'The host/port reaches another server (a plain PostgreSQL without ssl=on, a local test server).', likelihood: 'medium', confirm: 'Check what listens on that port.', command: sh`nc -vz ${hostWord(ctx)} ${portOf(ctx)}` },
    { cause: 'TLS was requested over a unix socket, where CockroachDB never does TLS.', likelihood: 'low', confirm: 'The host is a directory (/tmp) or empty.' },
  ],
  fixes: (ctx) => [
    { action: 'Give the cluster certificates and start the nodes in secure mode (the CA once; a node certificate per node, with every name clients dial).', command: sh`crdb-tls cert create-ca ${certsDirFlag(ctx)} ${caKeyFlag(ctx)} && crdb-tls cert create-node ${hostWord(ctx)} ${certsDirFlag(ctx)} ${caKeyFlag(ctx)}` },
    { action: 'Restart each node without --insecure.', command: sh`cockroach start --certs-dir=${certsDirWord(ctx)} --listen-addr=${raw(listenAddr(ctx))} --join=${need('join')}` },
    { action: 'Only for a throwaway local insecure cluster: connect with sslmode=disable instead (nothing is encrypted).' },
  ],
  nextTools: (ctx) => [probeTool(ctx, 'check whether the server accepts TLS at all', false)],
};

export const serverRequiresTls: Guide = {
  confirm: (ctx) => `the client settings have sslmode=disable / --insecure / no ssl at all${ctx.sslmode ? ` (here: sslmode=${ctx.sslmode})` : ''}`,
  explanation: (ctx) =>
    `The client connected WITHOUT TLS to a cluster that requires it. CockroachDB answers "node is running secure mode, SSL connection required" (SQLSTATE 08P01; "cleartext connections are not permitted" before v2.1) — it means "no TLS", not "missing client certificate"; the Cloud proxy answers "server requires encryption", PgBouncer "SSL required".${ctx.sslmode === 'disable' ? ' The connection string says sslmode=disable.' : ''}${isNodeFamily(ctx) ? ' node-postgres uses no TLS unless it is given ssl (or an ssl* parameter in the connection string).' : ''}`,
  causes: (ctx) => {
    const causes: CauseDraft[] = [];
    if (ctx.sslmode === 'disable') causes.push({ cause: 'sslmode=disable in the connection settings.', likelihood: 'high', confirm: 'The connection string shows it.' });
    if (isNodeFamily(ctx)) causes.push({ cause: 'node-postgres without an ssl option (its default is no TLS).', likelihood: 'high', confirm: 'The Client/Pool config has no ssl and the connection string no sslmode.' });
    causes.push({ cause: 'cockroach sql / a script with --insecure, or PGSSLMODE=disable in the environment.', likelihood: 'medium', confirm: 'env | grep PGSSL; the command line.', command: 'env | grep -i sslmode' });
    return causes;
  },
  fixes: (ctx) => [...configureSteps(ctx, `Turn TLS on with full verification in ${clientName(ctx)}`)],
  nextTools: (ctx) => [connectionStringTool(ctx), testConnectionTool(ctx)],
};

const refusedConnection = (ctx: FixContext) => ['net.refused', 'node.econnrefused', 'jdbc.refused'].some((id) => ctx.signals.has(id)) || [...ctx.signals].some((id) => id.startsWith('catalog.') && id.endsWith('.refused'));
const outOfBrokers = (ctx: FixContext) => ctx.signals.has('cdc.no-brokers');

export const connectionDropped: Guide = {
  confirm: (ctx) => `\`${opensslProbe(ctx)}\` is cut too, and the node's log shows no TLS error for the attempt (otherwise the log names the real fault)`,
  explanation: (ctx) =>
    refusedConnection(ctx)
      ? `Nothing is listening on ${ctx.host ? `${ctx.host}:${portOf(ctx)}` : 'that host and port'}: the connection was refused before any TLS (wrong port, the node is down, or it listens on another address).`
      : outOfBrokers(ctx)
        ? 'The changefeed reached no Kafka broker at all. Without a TLS error next to it this is reachability, not TLS: the broker address or port in the sink URI, a firewall between the CockroachDB nodes and the brokers, or brokers whose advertised.listeners name hosts the nodes cannot resolve or reach.'
        : `The connection was closed before or during the TLS handshake without a TLS error reaching the client. Typical causes: a firewall, load balancer or proxy in between, the wrong port, a server restarting or overloaded — or a server that rejected the handshake and just hung up (its log then says why).${isCloud(ctx) ? ' On CockroachDB Cloud also check the cluster\'s IP allowlist.' : ''}`,
  causes: (ctx) => {
    const refused = refusedConnection(ctx);
    if (outOfBrokers(ctx)) {
      return [
        { cause: 'The brokers\' advertised.listeners name hosts or ports the CockroachDB nodes cannot resolve or reach (the first broker answers, then hands out unreachable addresses).', likelihood: 'high', confirm: 'Compare advertised.listeners in the broker config with what the nodes can resolve.', command: ': "${BROKER:?the Kafka broker host:port}"; getent hosts "${BROKER%:*}"; nc -vz "${BROKER%:*}" "${BROKER##*:}"' },
        { cause: 'The broker host or port in the sink URI is wrong, or a firewall blocks the nodes.', likelihood: 'high', confirm: 'From a CockroachDB node, open a TCP connection to the broker.', command: ': "${BROKER:?the Kafka broker host:port}"; nc -vz "${BROKER%:*}" "${BROKER##*:}"' },
        { cause: 'TLS between the nodes and the brokers fails and the changefeed reports only that no broker was usable.', likelihood: 'medium', confirm: 'The job error or the node log shows an x509 / tls error for the sink; then it is changefeed_sink_tls.' },
      ];
    }
    return [
      ...(refused ? [{ cause: 'Nothing listens on that host and port (connection refused): wrong port, node down, wrong address.', likelihood: 'high' as const, confirm: 'Try the TCP port directly.', command: `nc -vz ${hostOf(ctx)} ${portOf(ctx)}` }] : []),
      { cause: 'A load balancer, proxy or firewall resets or times out the connection (idle timeout, health-check port, TLS-terminating proxy).', likelihood: refused ? 'medium' : 'high', confirm: 'Connect directly to a node, bypassing the load balancer, and compare.', command: opensslProbe(ctx) },
      { cause: 'The server ended the handshake because it rejected something (client certificate, protocol): the reason is in the node log.', likelihood: 'medium', confirm: "grep the node's log around the time of the attempt.", command: "grep -iE 'tls|ssl|handshake|certificate' cockroach-data/logs/cockroach.log | tail -20" },
      ...(isCloud(ctx) ? [{ cause: "The client's IP is not in the Cloud cluster's IP allowlist.", likelihood: 'medium' as const, confirm: 'Cloud console → Networking → IP allowlist.' }] : []),
      { cause: 'The server was restarting or overloaded.', likelihood: 'low', confirm: 'Node uptime / restarts at that time.' },
    ];
  },
  fixes: (ctx) => refusedConnection(ctx) ? [
    { action: 'Check that something listens on that port at all (no TLS yet): "succeeded" / "open" means it does.', command: sh`nc -vz ${hostWord(ctx)} ${portOf(ctx)}` },
    { action: 'On the node: is cockroach running, and on which address and port does it listen (--listen-addr / --sql-addr)?', command: "ss -ltnp | grep -E 'cockroach|:26257'" },
    { action: 'Connect to the SQL port the node really listens on (26257 unless --listen-addr/--sql-addr says otherwise); a load balancer must forward to it.' },
  ] : outOfBrokers(ctx) ? [
    { action: 'From a CockroachDB node, check the broker address of the sink URI answers.', command: ': "${BROKER:?the Kafka broker host:port}"; nc -vz "${BROKER%:*}" "${BROKER##*:}"' },
    { action: 'Make the brokers advertise addresses the CockroachDB nodes can resolve and reach (advertised.listeners in server.properties; on Kubernetes the external listener), then the changefeed retries by itself.' },
    { action: 'If an x509 / tls error shows up next to this one, the sink\'s TLS settings are at fault: diagnose that text (changefeed_sink_tls).' },
  ] : [
    { action: 'Check the port answers and speaks TLS after the pgwire SSLRequest.', command: opensslProbe(ctx) },
    { action: 'Read the node log for the same moment: a TLS rejection there names the real fault (diagnose that line).', command: "grep -iE 'tls|ssl|handshake|certificate' cockroach-data/logs/cockroach.log | tail -20" },
    { action: 'If a load balancer is in between: use TCP pass-through to port 26257 (no TLS termination), raise idle timeouts above the pool\'s, and point health checks at /health?ready=1 on the HTTP port, not at the SQL port.' },
  ],
  nextTools: (ctx) => [probeTool(ctx, 'see where the handshake stops', false)],
};

export const notTlsEndpoint: Guide = {
  confirm: (ctx) => `\`curl -sk https://${hostOf(ctx)}:${portOf(ctx)}/health\` answers (an HTTP port), or the probe reads non-TLS bytes`,
  explanation: () =>
    'Something answered on that port, but not a PostgreSQL-protocol server doing TLS: usually the DB Console / HTTP port (8080) instead of the SQL port (26257), another service, or a proxy that expects TLS from the first byte while pgwire clients first send an SSLRequest in plaintext.',
  causes: (ctx) => [
    { cause: `The port is CockroachDB's HTTP port (DB Console, default 8080), not the SQL port (default 26257).`, likelihood: portOf(ctx) === 8080 || ctx.signals.has('libpq.received-not-auth') ? 'high' : 'medium', confirm: 'An HTTP request to it answers.', command: sh`curl -sk -o /dev/null -w '%{http_code}\\n' ${raw(healthUrl(ctx))}` },
    { cause: 'Another service listens on that port, or a load balancer forwards it to the wrong backend port.', likelihood: 'medium', confirm: 'Check the listener / LB target port.', command: sh`nc -vz ${hostWord(ctx)} ${portOf(ctx)}` },
    { cause: 'A TLS-terminating proxy in front expects TLS immediately (no pgwire SSLRequest).', likelihood: 'low', confirm: 'The proxy config terminates TLS on this port.' },
  ],
  fixes: (ctx) => [
    { action: 'Connect to the SQL port (26257 unless --listen-addr/--sql-addr says otherwise).', command: opensslProbe({ ...ctx, port: ctx.port === 8080 ? 26257 : ctx.port }) },
    { action: 'Let load balancers forward TCP to the nodes\' SQL port without terminating TLS.' },
  ],
  nextTools: (ctx) => [probeTool(ctx, 'see what the port answers', false)],
};

/** PostgreSQL 17 sslnegotiation=direct: TLS from the first byte, ALPN "postgresql" required on both sides. */
function directNegotiation(ctx: FixContext): string | undefined {
  if (ctx.signals.has('pg.direct-without-alpn')) return 'A client started TLS directly (PostgreSQL 17 sslnegotiation=direct, no SSLRequest first) without offering the ALPN protocol "postgresql", so the server (PostgreSQL 17+ backend_startup.c) closed the connection. Only libpq 17+ with sslnegotiation=direct, or a proxy that keeps ALPN, may do this; any other client (or a proxy that strips ALPN) must use the classic negotiation: sslnegotiation=postgres, the default.';
  if (ctx.signals.has('libpq.direct-without-alpn')) return 'libpq 17 connected with sslnegotiation=direct and the server side did not select the ALPN protocol "postgresql": it is not PostgreSQL 17+ (CockroachDB and older servers expect the SSLRequest first), or a TLS-terminating proxy answered. Use sslnegotiation=postgres (the default).';
  if (ctx.signals.has('managed.tls-minimum')) return 'The managed PostgreSQL service refused the TLS version the client offered: it requires a newer one (TLS 1.2 or 1.3). Upgrade the client\'s TLS library or allow TLS 1.2+ in its settings (libpq: ssl_min_protocol_version=TLSv1.2; Java: -Djdk.tls.client.protocols=TLSv1.2,TLSv1.3).';
  return undefined;
}

export const tlsVersionMismatch: Guide = {
  confirm: (ctx) => `\`${opensslProbe(ctx, ' -tls1_2')}\` and \`... -tls1_3\` succeed while the client fails: the client's TLS library is too old or restricted`,
  explanation: (ctx) => directNegotiation(ctx) ??
    ('Client and server share no TLS version, cipher suite, or application protocol (ALPN). CockroachDB accepts TLS 1.2 and 1.3 only (MinVersion TLS 1.2); very old clients (OpenSSL 1.0.1-, Java 7/8 without updates) or hardened policies (jdk.tls.disabledAlgorithms, OpenSSL SECLEVEL) or a proxy negotiating ALPN can leave nothing in common.'),
  causes: () => [
    { cause: 'An old TLS library on the client (TLS 1.0/1.1 only).', likelihood: 'high', confirm: 'openssl version / java -version on the client.', command: 'openssl version' },
    { cause: 'A policy removed the needed versions or ciphers (Java jdk.tls.disabledAlgorithms, OpenSSL MinProtocol/CipherString).', likelihood: 'medium', confirm: 'grep the java.security / openssl.cnf in use.' },
    { cause: 'A proxy in between requires an ALPN protocol the client does not offer.', likelihood: 'low', confirm: 'Connect directly to a node and compare.' },
  ],
  fixes: (ctx) => [
    { action: 'See what the server accepts.', command: `${opensslProbe(ctx, ' -tls1_2')} | grep -E 'Protocol|Cipher'` },
    { action: 'Upgrade the client TLS library / runtime, or allow TLS 1.2+ in its policy (e.g. Java: -Djdk.tls.client.protocols=TLSv1.2,TLSv1.3; libpq: ssl_min_protocol_version=TLSv1.2).' },
  ],
  nextTools: (ctx) => [probeTool(ctx, 'the protocol and cipher the server negotiates', false)],
};

export const clusterRouting: Guide = {
  confirm: (ctx) => `the host is a CockroachDB Cloud Basic/Standard host${ctx.host ? ` (${ctx.host})` : ''} and the client sent neither SNI nor options=--cluster=<routing-id>`,
  explanation: () =>
    "CockroachDB Cloud Basic/Standard serves many clusters behind one proxy, which must learn the cluster from the SNI host name, from options=--cluster=<routing-id>, or from a database name <routing-id>.<db>. The client sent none (old libpq < 14 sends no SNI; an IP address never has SNI), or sent an id without its tenant suffix (<name>-<tenant id>, e.g. lazy-roach-3).",
  causes: (ctx) => [
    { cause: 'The client sends no SNI: libpq older than 14, a driver without SNI, or an IP address instead of the host name.', likelihood: 'high', confirm: 'psql --version; the host is an IP.', command: 'psql --version' },
    { cause: 'The routing id is wrong or lacks the tenant id suffix.', likelihood: ctx.facts.routing_id ? 'high' : 'medium', confirm: 'Compare with the Cloud console connection string (<cluster-name>-<tenant id>).' },
    { cause: 'Two different identifiers (host and options/database) disagree.', likelihood: 'low', confirm: 'The error says "multiple different cluster identifiers".' },
  ],
  fixes: (ctx) => {
    const routingCtx: FixContext = { ...ctx, routingId: ctx.routingId ?? ctx.facts.routing_id ?? '<routing-id>', deployment: 'cloud' };
    return [
      { action: 'Use the full host name from the Cloud console (it carries the cluster in SNI) with a client that sends SNI (libpq ≥ 14, pgx, node-postgres, JDBC).' },
      ...configureSteps(routingCtx, `Or name the cluster explicitly with options=--cluster=<routing-id> in ${clientName(ctx)} (URL-encoded: options=--cluster%3D<routing-id>)`),
      { action: 'Or prefix the database: <routing-id>.defaultdb.' },
    ];
  },
  nextTools: (ctx) => [{ ...connectionStringTool({ ...ctx, routingId: ctx.routingId ?? ctx.facts.routing_id ?? '<routing-id>' }), reason: 'settings with the routing id for this client' }],
};
