import type { ConnectionAnalysis } from './schemas.js';
import { CLIENT_NAMES, type ClientId } from './clients.js';
import { parseDotnet, parseKeyword } from './pasted-keyword.js';
import type { ParsedConnection } from './pasted-parts.js';
import { parseUrl, schemeEnd } from './pasted-url.js';

/**
 * Parses the three shapes of connection settings people paste — a URL
 * (`postgresql://user:pass@host:26257/db?sslmode=verify-full`, `jdbc:postgresql://...`,
 * `cockroachdb+psycopg2://...`), libpq keyword/value (`host=db sslmode='verify-full'`) and the .NET
 * form (`Host=db;SSL Mode=VerifyFull`) — by hand, in one linear walk, without regular expressions.
 * A password is never kept: every secret-looking value is replaced by `****` before anything
 * leaves this module (DESIGN.md §5).
 */

export type { ConnectionAnalysis } from './schemas.js';

export const MAX_CONNECTION_STRING_LENGTH = 16_384;
/** Parses any of the three forms; never throws for odd input (the worst case is few fields). */
export function parseConnectionString(raw: string): ParsedConnection {
  const text = raw.trim().slice(0, MAX_CONNECTION_STRING_LENGTH);
  const end = schemeEnd(text);
  if (end > 0) return parseUrl(text, end);
  const semicolon = text.indexOf(';');
  const equals = text.indexOf('=');
  if (semicolon >= 0 && equals >= 0 && equals < semicolon) return parseDotnet(text);
  return parseKeyword(text);
}

/** Which client a connection string's shape alone reveals. */
export function clientFromConnectionString(parsed: ParsedConnection): ClientId | undefined {
  if (parsed.format === 'dotnet') return 'npgsql';
  const scheme = parsed.scheme ?? '';
  if (scheme.startsWith('jdbc:')) return 'jdbc';
  if (scheme.startsWith('cockroachdb') || scheme.includes('+psycopg') || scheme.includes('+asyncpg')) return 'sqlalchemy';
  if (scheme === 'kafka' || scheme.startsWith('webhook-') || scheme === 'confluent-cloud' || scheme === 'azure-event-hub') return 'kafka-changefeed';
  return undefined;
}

export const isCloudHost = (host: string) => host.toLowerCase().endsWith('.cockroachlabs.cloud');

export function isIpLiteral(host: string): boolean {
  if (host.includes(':')) return true; // IPv6
  const parts = host.split('.');
  return parts.length === 4 && parts.every((p) => p.length > 0 && p.length <= 3 && [...p].every((c) => c >= '0' && c <= '9'));
}

/** The routing id of `options=--cluster=<id>` (URL-decoded already), or of `database=<id>.<db>` is not guessed. */
export function routingIdFromOptions(options: string | undefined): string | null {
  if (!options) return null;
  const at = options.indexOf('--cluster=');
  if (at < 0) return null;
  let end = at + '--cluster='.length;
  const start = end;
  while (end < options.length && options[end] !== ' ' && options[end] !== '&') end++;
  return options.slice(start, end) || null;
}

const LIBPQ_LIKE: ClientId[] = ['psql', 'libpq', 'psycopg', 'sqlalchemy', 'cockroach-sql'];

/**
 * What the settings mean for this client: sslmode semantics where drivers differ from libpq, and
 * the traps people fall into. Sources: libpq-ssl docs; brianc/node-postgres
 * packages/pg-connection-string/index.js + packages/pg/lib/connection-parameters.js (pg 8.23,
 * pg-connection-string 2.14, read here in node_modules); jackc/pgx pgconn/config.go `configTLS`;
 * lib/pq ssl.go; pgJDBC ssl-client docs; npgsql/doc security.md; prisma/docs postgresql.mdx.
 */
function connectionNotes(parsed: ParsedConnection, client: ClientId | undefined): string[] {
  const notes: string[] = [];
  const p = parsed.params;
  const sslmode = p.sslmode;
  const has = (name: string) => p[name] !== undefined && p[name] !== '';
  const name = client ? CLIENT_NAMES[client] : 'the client';

  if (parsed.hasPassword) notes.push('The connection string holds a password; it is not shown here (replaced by ****). Prefer PGPASSWORD or a secret store.');

  if (client === 'node-pg' || client === 'typeorm') {
    const overriding = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey'].filter(has);
    if (overriding.length > 0 || p.ssl !== undefined) {
      notes.push(
        `node-postgres trap: this connection string sets ${[...overriding, ...(p.ssl !== undefined ? ['ssl'] : [])].join(', ')}, so pg-connection-string builds its own \`ssl\` value and it REPLACES the \`ssl: { ca, cert, key }\` object you pass next to it ` +
          '(pg/lib/connection-parameters.js merges `Object.assign({}, config, parse(connectionString))`; documented at node-postgres.com/features/ssl; typeorm/typeorm#9761 for TypeORM `url`). Either put the files in the URL (sslrootcert=...) or remove every ssl* parameter from it and keep the object.',
      );
    }
    if (sslmode === 'require' || sslmode === 'prefer' || sslmode === 'verify-ca') {
      notes.push(
        p.uselibpqcompat === 'true'
          ? `With uselibpqcompat=true node-postgres gives sslmode=${sslmode} libpq's meaning${sslmode === 'require' && !has('sslrootcert') ? ': encryption without any server verification' : ''}.`
          : `node-postgres (pg 8.x) treats sslmode=${sslmode} as verify-full (and prints "SECURITY WARNING: The SSL modes 'prefer', 'require', and 'verify-ca' are treated as aliases for 'verify-full'"); libpq would NOT verify the server for require. pg v9 will switch to libpq semantics.`,
      );
    }
    if (sslmode === 'no-verify') notes.push('sslmode=no-verify makes node-postgres skip server verification entirely (rejectUnauthorized: false): encrypted, not authenticated.');
    if ((sslmode === 'verify-full' || sslmode === 'require' || sslmode === 'verify-ca') && !has('sslrootcert')) {
      notes.push("No sslrootcert: node-postgres verifies against Node's bundled public CAs, which never include a cluster's own CA (self-hosted, CockroachDB Advanced) → SELF_SIGNED_CERT_IN_CHAIN. Basic/Standard Cloud certificates are publicly trusted and need no CA.");
    }
    if (!sslmode && p.ssl === undefined && !has('sslrootcert')) notes.push('No ssl setting in the string: unless the code passes `ssl`, node-postgres connects WITHOUT TLS.');
  } else if (client === 'prisma') {
    if (sslmode && !['prefer', 'disable', 'require'].includes(sslmode)) notes.push(`Prisma's own engine accepts sslmode=prefer|disable|require only (prisma/docs postgresql.mdx), not ${sslmode}.`);
    if (p.sslaccept !== 'strict') notes.push('Prisma verifies the server only with sslaccept=strict; its default accept_invalid_certs skips the check. The CA goes in sslcert (not sslrootcert), the client identity in sslidentity (PKCS#12), paths relative to the prisma/ folder.');
  } else if (client === 'jdbc' || client === 'dbeaver') {
    if (sslmode === 'require' || sslmode === 'prefer' || sslmode === 'allow') notes.push(`pgJDBC with sslmode=${sslmode} encrypts but accepts any server certificate; use verify-full.`);
    if (p.ssl === 'true' && !sslmode) notes.push('pgJDBC: ssl=true alone means verify-full (unlike libpq).');
    if (!sslmode && p.ssl === undefined) notes.push("pgJDBC's default sslmode is prefer: no server verification.");
    if (has('sslkey') && !p.sslkey!.toLowerCase().endsWith('.pk8') && !p.sslkey!.toLowerCase().endsWith('.p12') && !p.sslkey!.toLowerCase().endsWith('.pfx')) {
      notes.push(`sslkey=${p.sslkey} does not end in .pk8: pgJDBC expects a PKCS#8 DER key (or .p12); a PEM key gives "Could not read SSL key file". Convert it (openssl pkcs8 -topk8 -inform PEM -outform DER -nocrypt) or create it with --also-generate-pkcs8-key.`);
    }
    if ((sslmode === 'verify-full' || sslmode === 'verify-ca') && !has('sslrootcert')) notes.push('No sslrootcert: pgJDBC (LibPQFactory) reads ~/.postgresql/root.crt.');
  } else if (client === 'npgsql') {
    if (sslmode === 'require') notes.push('Npgsql ≥ 6: SSL Mode=Require does not verify the server (and needs Trust Server Certificate=true); use VerifyFull with Root Certificate.');
    if (!sslmode) notes.push("Npgsql's default SSL Mode is Prefer: no server verification.");
  } else if (client === 'go-pgx' || client === 'go-libpq' || client === 'cockroach-sql' || client === undefined || LIBPQ_LIKE.includes(client) || client === 'asyncpg') {
    const who = client === 'go-pgx' ? 'pgx (like libpq)' : client === 'go-libpq' ? 'lib/pq (like libpq)' : client && LIBPQ_LIKE.includes(client) ? 'libpq' : `${name} (libpq semantics assumed)`;
    if (sslmode === 'require') notes.push(`${who}: sslmode=require encrypts but does NOT verify the server certificate${has('sslrootcert') ? '; with sslrootcert set it checks the chain like verify-ca, still not the host name' : ''}. Use verify-full.`);
    if (sslmode === 'prefer' || sslmode === 'allow') notes.push(`${who}: sslmode=${sslmode} may fall back to a plaintext connection and never verifies the server.`);
    if (sslmode === 'verify-ca') notes.push(`${who}: verify-ca checks the chain but not the host name; verify-full checks both.`);
    if (!sslmode) notes.push(client === 'go-libpq' ? "No sslmode: lib/pq's documented default is require (encrypt, no verification)." : `No sslmode: ${who} defaults to prefer (TLS if offered, no verification, plaintext fallback).`);
    if ((sslmode === 'verify-full' || sslmode === 'verify-ca') && !has('sslrootcert')) {
      notes.push(client === 'go-pgx' || client === 'go-libpq' ? 'No sslrootcert: Go verifies against the system roots, which do not include a private cluster CA.' : 'No sslrootcert: libpq reads ~/.postgresql/root.crt and fails if it is missing.');
    }
    if (p.sslrootcert === 'system') notes.push('sslrootcert=system (libpq ≥ 16) uses the OS trust store and implies verify-full: right for Basic/Standard Cloud (public CA), wrong for a self-hosted cluster CA.');
  }

  const cloudHost = parsed.hosts.find((h) => isCloudHost(h.host));
  const routing = routingIdFromOptions(p.options);
  if (cloudHost && !routing && parsed.hosts.some((h) => isIpLiteral(h.host))) {
    notes.push('A CockroachDB Cloud host given as an IP address sends no SNI: add options=--cluster%3D<routing-id> so the proxy knows the cluster.');
  }
  if (has('options') && p.options!.includes('--cluster') && !routing) notes.push('options mentions --cluster but not in the form --cluster=<routing-id> (URL-encode = as %3D).');
  return notes;
}

export function analyzeConnectionString(raw: string, client: ClientId | undefined): { parsed: ParsedConnection; analysis: ConnectionAnalysis } {
  const parsed = parseConnectionString(raw);
  return {
    parsed,
    analysis: {
      format: parsed.format,
      scheme: parsed.scheme,
      redacted: parsed.redacted,
      hosts: parsed.hosts,
      user: parsed.user,
      database: parsed.database,
      has_password: parsed.hasPassword,
      sslmode: parsed.params.sslmode ?? null,
      params: parsed.params,
      notes: connectionNotes(parsed, client),
    },
  };
}
