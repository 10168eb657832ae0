import path from 'node:path';
import {
  caKeyFlag,
  caOf,
  caWord,
  certsDirFlag,
  certsDirWord,
  hostWord,
  inCertsDirWord,
  nodeCertWord,
  settingName,
  certsDirOf,
  certWord,
  clientName,
  createClientCommand,
  configureSteps,
  connectionStringTool,
  hostOf,
  inspectTool,
  isCloud,
  isJava,
  isNodeFamily,
  listCertsTool,
  nodeOverridingParams,
  opensslProbe,
  probeTool,
  testConnectionTool,
  type CauseDraft,
  type FixContext,
  type Guide,
  type StepDraft,
} from './context.js';
import { raw, sh, type Shell, type ShellValue } from '../../core/shell.js';

/** Guides for faults of the SERVER's certificate as the client sees it (and where the client looks for its CA). */

const CLOUD_CA_DOWNLOAD = (ca: ShellValue) => sh`curl --create-dirs -o ${ca} ` + 'https://cockroachlabs.cloud/clusters/"${CLUSTER_ID:?the CockroachDB Cloud cluster id}"/cert';
/** Step: make every node load the new files (CockroachDB rereads its certs dir on SIGHUP). */
const RELOAD_STEP = { action: 'On each node, make the running process load the new files (CockroachDB rereads its certificates on SIGHUP), or restart the node.', command: 'pkill -HUP -x cockroach' };

/**
 * Reissuing a node certificate must keep every name it has. When the text lists them all (Go,
 * Node) they are written out; when it does not (libpq's "(and 2 other names)", Java, nothing),
 * the command reads them from the node certificate it replaces, on the node.
 */
function reissueNodeCommand(ctx: FixContext, add: Array<string | Shell>): string {
  const names = ctx.facts.certificate_names;
  const complete = names.length > 0 && !ctx.signals.has('libpq.other-names');
  const extra = add.filter((a) => typeof a !== 'string' || !names.includes(a));
  const existing = complete ? names : raw(sh`$(openssl x509 -in ${nodeCertWord(ctx)} -noout -ext subjectAltName | sed -n 2p | sed -e 's/DNS://g' -e 's/IP Address://g' -e 's/,/ /g')`);
  return sh`crdb-tls cert create-node ${existing} ${extra} ${certsDirFlag(ctx)} ${caKeyFlag(ctx)} --overwrite`;
}

/** The client has a CA of the right name (cockroach cert's O=Cockroach, CN=Cockroach CA) but another key. */
const sameNameOtherKey = (ctx: FixContext) => ['go.candidate-authority', 'openssl.signature-failure', 'node.signature-failure-code', 'java.signature-check'].some((id) => ctx.signals.has(id));

function getCaStep(ctx: FixContext): StepDraft {
  if (isCloud(ctx)) {
    return { action: 'Download the cluster CA certificate (Advanced clusters have their own CA; Basic/Standard certificates are publicly trusted and need none).', command: CLOUD_CA_DOWNLOAD(caOf(ctx)) };
  }
  return {
    action: `Take the CA that signed the node certificates: the ca.crt of the certs directory they were created in (copy it to the client as ${caOf(ctx)}). After a CA rotation ca.crt holds the new AND the old CA; give the client the whole file.`,
    command: sh`crdb-tls cert list --certs-dir ${certsDirWord(ctx)}`,
  };
}

function noDowngradeStep(): StepDraft {
  return { action: 'Do not "fix" this with sslmode=require, rejectUnauthorized: false, sslaccept=accept_invalid_certs or a trust-all factory: that turns verification off instead of trusting the right CA.' };
}

function nodeTrapStep(ctx: FixContext): StepDraft[] {
  const overriding = nodeOverridingParams(ctx);
  if (!isNodeFamily(ctx) || overriding.length === 0) return [];
  return [{
    action: `Remove ${overriding.join(', ')} from the connection string (or move the CA into it as sslrootcert=<path>): with any of them node-postgres builds its own ssl value and REPLACES the ssl object you pass (pg-connection-string; node-postgres.com/features/ssl; TypeORM \`url\`: typeorm/typeorm#9761).`,
  }];
}

/**
 * libpq says only "certificate verify failed"; the alert its OpenSSL sent, which the PostgreSQL
 * server logs as "could not accept SSL connection: …", names the cause (ssl_x509err2alert in
 * openssl/openssl ssl/statem/statem_lib.c; test/corpus/clients server_log of psql).
 */
const VERIFY_FAILED_SERVER_LOG = 'The text alone cannot say which verification failed; the server log line of the same attempt can: "tlsv1 alert unknown ca" is this (an unknown CA), "sslv3 alert certificate expired" an expired server certificate, "sslv3 alert bad certificate" one not valid yet. Paste that line too for a certain answer.';

export const untrustedServerCa: Guide = {
  confirm: (ctx) => `\`${opensslProbe(ctx, sh` -CAfile ${caWord(ctx)} -verify_return_error`)}\` fails with "unable to get local issuer certificate" or "self-signed certificate in certificate chain" (verify error 19/20), not with an expiry or name error`,
  explanation: (ctx) => {
    const base =
      'The server presented a certificate chain that does not lead to a CA the client trusts, so the client ended the handshake. With CockroachDB this nearly always means the client was not given the cluster CA (ca.crt): it fell back to the system trust store or ~/.postgresql/root.crt, or it holds an older CA than the one that signed the node certificates now.';
    if (sameNameOtherKey(ctx)) return `${base} Here the client HAS a CA with the right name but another key (${ctx.signals.has('go.candidate-authority') ? 'Go: "possibly because of crypto/rsa: verification error while trying to verify candidate authority certificate"' : '"certificate signature failure": the issuer name matched, the signature did not'}). Every CA made by cockroach cert is named O=Cockroach, CN=Cockroach CA, so the CA was re-created (or belongs to another cluster), and pointing the client at the same file again changes nothing: the file's content must be the CA that signed the node certificate now.`;
    if (isNodeFamily(ctx)) return `${base} Node reports SELF_SIGNED_CERT_IN_CHAIN because the node sends its CA along with its certificate and that CA is not in the client's list.`;
    if (isJava(ctx)) return `${base} In Java this is "PKIX path building failed": neither sslrootcert nor the JVM trust store holds the cluster CA.`;
    if (ctx.signals.has('verify.failed') && !ctx.signals.has('alert.unknown-ca') && !ctx.signals.has('alert.unknown-ca-any')) return `${base} ${VERIFY_FAILED_SERVER_LOG}`;
    return base;
  },
  causes: (ctx) => {
    const causes: CauseDraft[] = [];
    if (sameNameOtherKey(ctx)) {
      causes.push({
        cause: 'The CA was re-created or rotated: the client\'s CA file holds a CA with the same name ("Cockroach CA") but another key.',
        likelihood: 'high',
        confirm: "Compare the CA's Subject Key Identifier with the Authority Key Identifier of the node certificate the server presents; they differ.",
        command: sh`openssl x509 -in ${caWord(ctx)} -noout -subject -ext subjectKeyIdentifier`,
      });
    }
    const overriding = nodeOverridingParams(ctx);
    if (isNodeFamily(ctx) && overriding.length > 0) {
      causes.push({
        cause: `The connection string sets ${overriding.join(', ')}, which makes node-postgres REPLACE the ssl object (and its ca) that the code passes.`,
        likelihood: 'high',
        confirm: 'Remove those parameters from the connection string and connect again with the ssl object alone.',
      });
    }
    causes.push({
      cause: `${clientName(ctx)} does not use the cluster CA: ${settingName(ctx, 'ca')} is missing or names another file, so it verifies against the system store or a default file.`,
      likelihood: 'high',
      confirm: `Look at which CA file the settings name, and compare its subject and fingerprint with the issuer of the certificate the server sends (the last certificate of -showcerts).`,
      command: opensslProbe(ctx, ' -showcerts'),
    });
    if (isNodeFamily(ctx) && ctx.connection && !ctx.connection.params.sslrootcert && overriding.length > 0) {
      causes.push({ cause: 'verify-full in a node-postgres connection string without sslrootcert checks against Node\'s bundled public CAs only.', likelihood: 'medium', confirm: 'The connection string has sslmode but no sslrootcert.' });
    }
    if (isCloud(ctx)) {
      causes.push({ cause: 'Advanced cluster: its own CA was never downloaded to the client.', likelihood: 'medium', confirm: 'The Cloud console shows an Advanced cluster; the client has no CLUSTER-NAME-ca.crt.', command: CLOUD_CA_DOWNLOAD(caWord(ctx)) });
    }
    causes.push({
      cause: 'The server sends only its leaf certificate and it is signed by an intermediate the client does not have.',
      likelihood: 'low',
      confirm: '-showcerts lists a single certificate whose issuer is not the CA the client trusts.',
      command: opensslProbe(ctx, ' -showcerts'),
    });
    return causes;
  },
  fixes: (ctx) => [
    ...(sameNameOtherKey(ctx)
      ? [
          { action: `Compare the two CAs named "Cockroach CA": the client's file and the one that signed the node certificate (run the second on a node). Different fingerprints confirm it.`, command: sh`openssl x509 -in ${caWord(ctx)} -noout -subject -fingerprint -sha256; openssl x509 -in ${inCertsDirWord(ctx, 'ca.crt')} -noout -subject -fingerprint -sha256` },
          { action: `Replace the content of the client's CA file with the node's ca.crt (after a CA rotation it holds the new AND the old CA; copy the whole file). The ${settingName(ctx, 'ca')} setting itself can stay as it is.` },
        ]
      : [getCaStep(ctx)]),
    { action: 'Check that this CA really verifies the server: the output must end in "Verify return code: 0 (ok)".', command: opensslProbe(ctx, sh` -CAfile ${caWord(ctx)} -verify_return_error`) },
    ...nodeTrapStep(ctx),
    ...(sameNameOtherKey(ctx) ? [] : configureSteps(ctx, `Point ${clientName(ctx)} at that CA with full verification`)),
    ...(isJava(ctx) ? [{ action: 'With sslrootcert pgJDBC (LibPQFactory) needs no JVM trust store. If you use sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory instead, import the CA into the trust store the JVM uses.', command: sh`keytool -importcert -noprompt -alias cockroach-ca -file ${caWord(ctx)} -keystore truststore.jks -storepass changeit` }] : []),
    noDowngradeStep(),
  ],
  nextTools: (ctx) => [
    probeTool(ctx, 'see the chain the server presents and verify it against this CA'),
    inspectTool(caOf(ctx), 'check that the CA file holds the CA that signed the node certificate'),
    ...(isCloud(ctx) ? [{ tool: 'download_ca', arguments: { cluster_id: '<cluster-id>' }, reason: 'fetch the Cloud cluster CA' }] : []),
    testConnectionTool(ctx),
  ],
};

export const caFileMissing: Guide = {
  confirm: (ctx) => `\`${sh`ls -l ${caWord(ctx)}`}\` reports "No such file or directory" (or the file is not PEM)`,
  explanation: (ctx) => {
    const file = ctx.facts.files.find((f) => f.role === 'ca')?.path;
    return `${file ? `The client was told to read the CA file ${file}, which` : 'The CA file the client was told to use'} does not exist, cannot be read, or is not a PEM certificate, so the client stops before it connects. libpq (psql, psycopg) with sslmode=verify-ca or verify-full reads ~/.postgresql/root.crt when no sslrootcert is given; pgJDBC does the same.`;
  },
  causes: (ctx) => [
    { cause: 'The path is wrong or relative to another working directory (Prisma resolves paths relative to the prisma/ folder).', likelihood: 'high', confirm: 'List the file from where the client runs.', command: sh`ls -l ${caWord(ctx)}` },
    { cause: 'The file was never copied to this machine / container (a Kubernetes secret not mounted, a volume path that differs).', likelihood: 'medium', confirm: 'Inside the container: ls -l on the path; kubectl describe pod shows the mounts.' },
    { cause: `No ${settingName(ctx, 'ca')} was set and the client's default file (libpq: ~/.postgresql/root.crt) does not exist.`, likelihood: 'medium', confirm: `The connection settings verify the server and name no ${settingName(ctx, 'ca')}.` },
    { cause: 'The file exists but is not a PEM certificate (DER, or a key).', likelihood: 'low', confirm: 'openssl reads it as PEM.', command: sh`openssl x509 -in ${caWord(ctx)} -noout -subject` },
  ],
  fixes: (ctx) => [
    { action: 'Check the path from where the client runs.', command: sh`ls -l ${caWord(ctx)}` },
    getCaStep(ctx),
    ...configureSteps(ctx, `Name the CA file with an absolute path in ${clientName(ctx)}'s settings`),
  ],
  nextTools: (ctx) => [inspectTool(caOf(ctx), 'check the CA file once it is in place'), connectionStringTool(ctx)],
};

export const hostnameMismatch: Guide = {
  confirm: (ctx) => `the Subject Alternative Names of the certificate the server presents (\`${opensslProbe(ctx)} | openssl x509 -noout -ext subjectAltName\`) do not include ${hostOf(ctx)}`,
  explanation: (ctx) => {
    const names = ctx.facts.certificate_names;
    const dialled = ctx.host ?? ctx.facts.hosts[0]?.host;
    const detail = names.length && dialled ? ` Here the certificate names ${names.join(', ')}, and the client dialled ${dialled}.` : dialled ? ` The client dialled ${dialled}.` : '';
    return `The server certificate is trusted but does not name the host or IP address the client connected to; with verify-full the name must appear in the certificate's Subject Alternative Names (modern clients ignore the Common Name).${detail}${isCloud(ctx) ? ' On CockroachDB Cloud a wildcard covers one DNS label only (cockroachdb/cockroach#95659): use the exact host name from the console.' : ''}`;
  },
  causes: (ctx) => [
    { cause: 'The client uses a name or IP the node certificate was not issued for (a load balancer name, an IP address, a new DNS name, localhost).', likelihood: 'high', confirm: 'Compare the dialled host with the SANs the server presents.', command: `${opensslProbe(ctx)} | openssl x509 -noout -ext subjectAltName` },
    ...(ctx.connection?.params.hostaddr ? [{ cause: `libpq connects to hostaddr=${ctx.connection.params.hostaddr} but checks the certificate against host=${ctx.host ?? ''}: that name must be in the SANs, the IP need not be.`, likelihood: 'high' as const, confirm: 'The connection string sets both host and hostaddr.' }] : []),
    { cause: 'A load balancer or proxy terminates TLS and presents its own certificate.', likelihood: 'medium', confirm: 'The subject/issuer the probe shows are not your node certificate and CA.' },
    ...(isCloud(ctx) ? [{ cause: 'The Cloud host name is mistyped or has an extra label (*.cockroachlabs.cloud covers one label).', likelihood: 'medium' as const, confirm: 'Copy the host from the Cloud console connection dialog.' }] : []),
  ],
  fixes: (ctx) => {
    const steps: StepDraft[] = [];
    const names = ctx.facts.certificate_names;
    const more = ctx.signals.has('libpq.other-names');
    if (names.length) steps.push({ action: `Either connect with a name the certificate covers: ${names.join(', ')}${more ? ' (and the other names it lists: see the probe below)' : ''}.` });
    if (isCloud(ctx)) {
      steps.push({ action: 'Use the exact host name from the Cloud console (Connect dialog); do not add or drop labels.' });
    } else {
      const complete = names.length > 0 && !more;
      steps.push({
        action: `Or re-issue the node certificate, signed by the same CA, with ${ctx.host ? ctx.host : 'the host name clients dial'} added to ${complete ? `the names it has (${names.join(', ')})` : 'every name it has now (the command reads them from the node certificate it replaces; run it where that certificate is)'}, on each node.`,
        command: reissueNodeCommand(ctx, [hostWord(ctx)]),
      });
      steps.push(RELOAD_STEP);
    }
    steps.push({ action: 'Keep verify-full. verify-ca (libpq) or checkServerIdentity: () => undefined (node) skip the name check and let any certificate of the same CA impersonate the node: a stopgap at most.' });
    return steps;
  },
  nextTools: (ctx) => [
    probeTool(ctx, 'list the names the presented certificate covers', false),
    ...(isCloud(ctx) || ctx.signals.has('libpq.other-names') || ctx.facts.certificate_names.length === 0 ? [] : [{ tool: 'create_node_cert', arguments: { hosts: [...new Set([...ctx.facts.certificate_names, hostOf(ctx)])], certs_dir: certsDirOf(ctx) }, reason: 're-issue the node certificate with the missing name, keeping the names it has' }]),
  ],
};

function validityCauses(ctx: FixContext, which: 'expired' | 'not-yet'): CauseDraft[] {
  return which === 'expired'
    ? [
        { cause: 'The node certificate expired (CockroachDB issues node certificates for 5 years by default; other tooling often for much less).', likelihood: 'high', confirm: 'The notAfter of the certificate the server presents is in the past.', command: `${opensslProbe(ctx)} | openssl x509 -noout -enddate` },
        { cause: 'The certificate was renewed on disk but the node was not reloaded.', likelihood: 'medium', confirm: 'The file on the node has a later notAfter than the certificate the probe shows.', command: sh`openssl x509 -in ${nodeCertWord(ctx)} -noout -enddate` },
        { cause: 'The CA above it expired.', likelihood: 'low', confirm: 'openssl x509 -noout -enddate on the CA.', command: sh`openssl x509 -in ${caWord(ctx)} -noout -enddate` },
        { cause: "The client's clock is wrong (far ahead).", likelihood: 'low', confirm: 'Compare date -u on the client with a trusted clock.', command: 'date -u' },
      ]
    : [
        { cause: "A clock is behind: the client's (or the issuing machine's clock was ahead when it signed).", likelihood: 'high', confirm: 'Compare date -u on client and server with the certificate\'s notBefore.', command: 'date -u' },
        { cause: 'The certificate was issued moments ago with a notBefore of "now" and the clocks differ by a few seconds.', likelihood: 'medium', confirm: 'notBefore is within minutes of now.', command: `${opensslProbe(ctx)} | openssl x509 -noout -startdate` },
      ];
}

export const serverCertExpired: Guide = {
  confirm: (ctx) => `the certificate the server presents has a notAfter in the past (\`${opensslProbe(ctx)} | openssl x509 -noout -enddate\`)`,
  explanation: (ctx) =>
    `The certificate the server presented, or a CA above it, is past its end date, so the client refuses it. psql says only "certificate verify failed" for this, exactly as for an unknown CA; Node says CERT_HAS_EXPIRED, Go "certificate has expired or is not yet valid: current time … is after …".${isCloud(ctx) ? ' Cloud manages server certificates: check the client clock first.' : ''} If this text comes from a NODE's log, it is a client's certificate that expired (client_cert_expired).`,
  causes: (ctx) => validityCauses(ctx, 'expired'),
  fixes: (ctx) =>
    isCloud(ctx)
      ? [{ action: 'Check the client clock, then the dates the server presents; CockroachDB Cloud renews its certificates itself — contact support if they are really expired.', command: `${opensslProbe(ctx)} | openssl x509 -noout -dates` }]
      : [
          { action: 'See which certificates expired and when (node certificates and CAs).', command: sh`crdb-tls cert list --certs-dir ${certsDirWord(ctx)}` },
          { action: 'Issue a new node certificate from the same CA, with the same names (read from the expired certificate, on the node), on each node.', command: reissueNodeCommand(ctx, []) },
          RELOAD_STEP,
          { action: 'If the CA itself expired: create a new CA (crdb-tls cert create-ca --overwrite keeps the old CA in ca.crt after the new one), give the new ca.crt to every node and client, then re-issue node and client certificates.', command: sh`crdb-tls cert create-ca ${certsDirFlag(ctx)} ${caKeyFlag(ctx)} --overwrite` },
        ],
  nextTools: (ctx) => [probeTool(ctx, 'see the dates of the certificate the server presents', false), listCertsTool(certsDirOf(ctx), 'days left of every certificate in the certs dir'), { tool: 'plan_rotation', arguments: { certs_dir: certsDirOf(ctx) }, reason: 'renew in an order that never breaks connections' }],
};

export const certNotYetValid: Guide = {
  confirm: () => 'the notBefore of the certificate is later than `date -u` on the machine that rejects it',
  explanation: () => 'A certificate in the chain starts being valid in the future, as seen by the machine that checks it: a clock is wrong, or the certificate was issued seconds ago with a notBefore of "now" while the clocks differ.',
  causes: (ctx) => validityCauses(ctx, 'not-yet'),
  fixes: (ctx) => [
    { action: 'Compare the clocks of client and server with UTC and turn on time sync where they drift.', command: 'date -u; timedatectl status' },
    { action: 'Enable NTP on the machine that is off.', command: 'timedatectl set-ntp true' },
    { action: 'If the clock of the machine that ISSUED the certificate was ahead, re-issue it once the clock is right.', command: sh`crdb-tls cert inspect ${ctx.certPath ?? nodeCertWord(ctx)}` },
  ],
  nextTools: (ctx) => [probeTool(ctx, 'see the notBefore of the certificate the server presents', false)],
};

export const certWrongUsage: Guide = {
  confirm: () => 'the certificate\'s Extended Key Usage lacks serverAuth (node) or clientAuth (client), or its CA lacks keyCertSign (`openssl x509 -noout -ext extendedKeyUsage,keyUsage,basicConstraints`)',
  explanation: () =>
    'A certificate is used for something its key usages do not allow. CockroachDB node certificates must carry serverAuth AND clientAuth (nodes dial each other), client certificates clientAuth, and a CA needs the CA flag and keyCertSign; Go enforces this ("x509: certificate specifies an incompatible key usage"). Certificates made by generic tooling often have serverAuth only.',
  causes: (ctx) => [
    { cause: 'The node certificate has serverAuth but not clientAuth (or the reverse).', likelihood: 'high', confirm: 'Read the extensions of the node certificate.', command: sh`openssl x509 -in ${nodeCertWord(ctx)} -noout -ext extendedKeyUsage,keyUsage` },
    { cause: 'A client certificate without clientAuth, or a client certificate used as a server certificate.', likelihood: 'medium', confirm: 'Read the extensions of the client certificate.', command: sh`openssl x509 -in ${certWord(ctx)} -noout -ext extendedKeyUsage` },
    { cause: 'The "CA" is not a CA (no basicConstraints CA:TRUE / keyCertSign).', likelihood: 'low', confirm: 'basicConstraints of the CA.', command: sh`openssl x509 -in ${caWord(ctx)} -noout -ext basicConstraints,keyUsage` },
  ],
  fixes: (ctx) => [
    { action: 'Re-issue the node certificate with CockroachDB\'s profile (serverAuth and clientAuth) from the same CA, keeping its names (read from the certificate it replaces, on the node).', command: reissueNodeCommand(ctx, []) },
    { action: 'For a client certificate (clientAuth):', command: createClientCommand(ctx, ' --overwrite') },
    RELOAD_STEP,
  ],
  nextTools: (ctx) => [inspectTool(ctx.certPath ?? path.join(certsDirOf(ctx), 'node.crt'), 'shows the usages and flags them')],
};

export const legacyCommonName: Guide = {
  confirm: () => 'the certificate has no subjectAltName extension at all (`openssl x509 -noout -ext subjectAltName` prints nothing)',
  explanation: () =>
    'The server certificate names its host only in the Common Name and has no Subject Alternative Names. Go ≥ 1.15 (pgx, lib/pq, cockroach sql) and other modern clients ignore the CN for host checks. GODEBUG=x509ignoreCN=0 helped on Go 1.15–1.16 only; it is gone since Go 1.17.',
  causes: (ctx) => [{ cause: 'The node certificate was made by tooling that puts the host in the CN only.', likelihood: 'high', confirm: 'The SAN extension is missing.', command: `${opensslProbe(ctx)} | openssl x509 -noout -subject -ext subjectAltName` }],
  fixes: (ctx) => [
    { action: `Re-issue the node certificate with SANs (crdb-tls puts every host in the SANs): every name clients dial, ${ctx.host ? `${ctx.host} included` : 'the host the client dialled included'}; the old certificate has none to keep.`, command: sh`crdb-tls cert create-node ${hostWord(ctx)} ${certsDirFlag(ctx)} ${caKeyFlag(ctx)} --overwrite` },
    RELOAD_STEP,
  ],
  nextTools: (ctx) => [probeTool(ctx, 'confirm the presented certificate has no SANs', false)],
};
