import * as z from 'zod';
import { CLIENT_NAMES, type ClientId } from './clients.js';
import { wellFormed } from '../core/unicode.js';

/**
 * Parses the three shapes of connection settings people paste — a URL
 * (`postgresql://user:pass@host:26257/db?sslmode=verify-full`, `jdbc:postgresql://...`,
 * `cockroachdb+psycopg2://...`), libpq keyword/value (`host=db sslmode='verify-full'`) and the .NET
 * form (`Host=db;SSL Mode=VerifyFull`) — by hand, in one linear walk, without regular expressions.
 * A password is never kept: every secret-looking value is replaced by `****` before anything
 * leaves this module (DESIGN.md §5).
 */

export const ConnectionAnalysis = z.object({
  format: z.enum(['url', 'keyword', 'dotnet']),
  scheme: z.string().nullable(),
  redacted: z.string().describe('The connection string with every password and secret replaced by ****'),
  hosts: z.array(z.object({ host: z.string(), port: z.number().int().nullable() })),
  user: z.string().nullable(),
  database: z.string().nullable(),
  has_password: z.boolean(),
  sslmode: z.string().nullable().describe('As written (normalised to libpq spelling), or null when absent'),
  params: z.record(z.string(), z.string()).describe('Query / keyword parameters, lowercased names, secrets as ****'),
  notes: z.array(z.string()).describe('What these settings mean for the client: sslmode semantics, traps, missing pieces'),
});
export type ConnectionAnalysis = z.infer<typeof ConnectionAnalysis>;

export interface ParsedConnection {
  format: 'url' | 'keyword' | 'dotnet';
  scheme: string | null;
  hosts: Array<{ host: string; port: number | null }>;
  user: string | null;
  database: string | null;
  hasPassword: boolean;
  /** Lowercased names; secret values already replaced by ****. */
  params: Record<string, string>;
  redacted: string;
}

export const MAX_CONNECTION_STRING_LENGTH = 16_384;

const SECRET_PARAMS = new Set(['password', 'pwd', 'sslpassword', 'sasl_password', 'sasl_client_secret', 'api_secret', 'shared_access_key', 'client_key', 'ssl password', 'client certificate key']);
const isSecret = (name: string) => SECRET_PARAMS.has(name.toLowerCase()) || name.toLowerCase().endsWith('password');
const MASK = '****';

/** .NET (Npgsql) keyword → libpq name, so later code reads one vocabulary. */
const DOTNET_NAMES: Record<string, string> = {
  host: 'host',
  server: 'host',
  port: 'port',
  database: 'dbname',
  db: 'dbname',
  username: 'user',
  'user name': 'user',
  'user id': 'user',
  userid: 'user',
  uid: 'user',
  password: 'password',
  pwd: 'password',
  'ssl mode': 'sslmode',
  sslmode: 'sslmode',
  'root certificate': 'sslrootcert',
  'ssl certificate': 'sslcert',
  'ssl key': 'sslkey',
  'ssl password': 'sslpassword',
  'trust server certificate': 'trust server certificate',
  options: 'options',
};

/** Npgsql's SslMode names (VerifyFull) → libpq's (verify-full). */
function libpqSslmode(value: string): string {
  const v = value.trim().toLowerCase();
  const dotnet: Record<string, string> = { verifyfull: 'verify-full', verifyca: 'verify-ca', require: 'require', prefer: 'prefer', allow: 'allow', disable: 'disable' };
  return dotnet[v] ?? v;
}

function decode(value: string): string {
  if (value.indexOf('%') < 0) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function parsePort(text: string): number | null {
  if (text.length === 0 || text.length > 5) return null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/** `host`, `host:26257`, `[::1]:26257`, `::1` (bare IPv6, no port). */
export function splitHostPort(text: string): { host: string; port: number | null } {
  const t = text.trim();
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close > 0) {
      const rest = t.slice(close + 1);
      return { host: t.slice(1, close), port: rest.startsWith(':') ? parsePort(rest.slice(1)) : null };
    }
  }
  const colon = t.lastIndexOf(':');
  if (colon > 0 && t.indexOf(':') === colon) {
    const port = parsePort(t.slice(colon + 1));
    if (port !== null) return { host: t.slice(0, colon), port };
  }
  return { host: t, port: null };
}

function isSchemeChar(c: number, first: boolean): boolean {
  const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  if (first) return letter;
  return letter || (c >= 48 && c <= 57) || c === 43 /* + */ || c === 45 /* - */ || c === 46 /* . */ || c === 58; /* : (jdbc:postgresql) */
}

function schemeEnd(text: string): number {
  const end = text.indexOf('://');
  if (end <= 0 || end > 40) return -1;
  for (let i = 0; i < end; i++) if (!isSchemeChar(text.charCodeAt(i), i === 0)) return -1;
  return end;
}

function encodeQueryValue(value: string): string {
  // `/` and `:` stay readable in paths; `<` `>` only ever come from placeholders like <user>.
  return encodeURIComponent(wellFormed(value)).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%3C/gi, '<').replace(/%3E/gi, '>');
}

const HOST_CHARS = new Set('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:,[]%{}<>');

/** Does a host list (`host:port,host2`) start at `from` and end at `/`, `?`, `#` or the end? */
function hostListAt(rest: string, from: number): boolean {
  let i = from;
  while (i < rest.length && HOST_CHARS.has(rest[i]!)) i++;
  return i > from && (i === rest.length || rest[i] === '/' || rest[i] === '?' || rest[i] === '#');
}

/**
 * Where the user-info of a URL ends. People paste raw passwords holding `/`, `@`, `#` or `?`, so
 * the split is on the LAST `@` followed by something host-like, skipping an `@` that sits inside
 * the query (after a `?` and a `=`). Whatever the guess, everything between the first `:` of the
 * user-info and that `@` is treated as the password and never shown.
 */
function userinfoEnd(rest: string): number {
  const firstQuery = rest.indexOf('?');
  let queryLike = -1;
  let fallback = -1;
  let at = rest.lastIndexOf('@');
  for (let tries = 0; at >= 0 && tries < 64; tries++) {
    if (hostListAt(rest, at + 1)) {
      const inQuery = firstQuery >= 0 && at > firstQuery && rest.slice(firstQuery, at).includes('=');
      if (!inQuery) return at;
      if (queryLike < 0) queryLike = at;
    } else if (fallback < 0) {
      fallback = at;
    }
    at = at > 0 ? rest.lastIndexOf('@', at - 1) : -1;
  }
  // Only '@'s that look like query values: take the last one anyway — a password holding "?" and
  // "=" looks exactly like that, and hiding too much is better than echoing a password.
  return queryLike >= 0 ? queryLike : fallback;
}

function parseUrl(text: string, end: number): ParsedConnection {
  const scheme = text.slice(0, end).toLowerCase();
  const rest = text.slice(end + 3);
  const at = userinfoEnd(rest);
  const userinfo = at >= 0 ? rest.slice(0, at) : '';
  const afterUserinfo = rest.slice(at + 1);
  let authorityEnd = afterUserinfo.length;
  for (const ch of ['/', '?', '#']) {
    const i = afterUserinfo.indexOf(ch);
    if (i >= 0 && i < authorityEnd) authorityEnd = i;
  }
  const hostList = afterUserinfo.slice(0, authorityEnd);
  const colon = userinfo.indexOf(':');
  let user: string | null = userinfo ? decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo) : null;
  let hasPassword = colon >= 0 && userinfo.length > colon + 1;

  let afterAuthority = afterUserinfo.slice(authorityEnd);
  const hash = afterAuthority.indexOf('#');
  if (hash >= 0) afterAuthority = afterAuthority.slice(0, hash);
  const question = afterAuthority.indexOf('?');
  const path = question >= 0 ? afterAuthority.slice(0, question) : afterAuthority;
  const query = question >= 0 ? afterAuthority.slice(question + 1) : '';
  let database: string | null = path.length > 1 ? decode(path.slice(1)) : null;

  const params: Record<string, string> = {};
  const redactedQuery: string[] = [];
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = decode(eq >= 0 ? pair.slice(0, eq) : pair).toLowerCase();
    const value = decode(eq >= 0 ? pair.slice(eq + 1) : '');
    if (isSecret(name)) {
      if (name === 'password' || name === 'pwd') hasPassword = hasPassword || value.length > 0;
      params[name] = MASK;
      redactedQuery.push(`${eq >= 0 ? pair.slice(0, eq) : pair}=${MASK}`);
      continue;
    }
    params[name] = name === 'sslmode' ? libpqSslmode(value) : value;
    redactedQuery.push(pair);
  }
  if (params.user && !user) user = params.user;
  if (params.dbname && !database) database = params.dbname;

  const hosts = hostList ? hostList.split(',').filter(Boolean).map(splitHostPort) : [];
  if (params.host && hosts.length === 0) hosts.push(...params.host.split(',').map(splitHostPort));
  if (hosts.length > 0 && params.port) {
    const port = parsePort(params.port);
    for (const h of hosts) if (h.port === null) h.port = port;
  }
  const redactedUserinfo = userinfo ? `${colon >= 0 ? userinfo.slice(0, colon) : userinfo}${hasPassword && colon >= 0 ? `:${MASK}` : ''}@` : '';
  const redacted = `${text.slice(0, end)}://${redactedUserinfo}${hostList}${path}${redactedQuery.length ? `?${redactedQuery.join('&')}` : ''}`;
  return { format: 'url', scheme, hosts, user, database, hasPassword, params, redacted };
}

/** libpq keyword/value: `key=value key2 = 'quoted \' value'` (libpq-connect.html §34.1.1). */
function parseKeyword(text: string): ParsedConnection {
  const params: Record<string, string> = {};
  const redactedParts: string[] = [];
  let i = 0;
  const n = text.length;
  const isSpace = (c: string | undefined) => c === ' ' || c === '\n' || c === '\t' || c === '\r';
  while (i < n) {
    while (i < n && isSpace(text[i])) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && text[i] !== '=' && !isSpace(text[i])) i++;
    const key = text.slice(keyStart, i).toLowerCase();
    while (i < n && isSpace(text[i])) i++;
    if (text[i] !== '=') {
      // Not key=value (malformed, or the tail of a badly quoted password): dropped, never echoed.
      if (key) redactedParts.push('…');
      continue;
    }
    i++;
    while (i < n && isSpace(text[i])) i++;
    let value: string;
    if (text[i] === "'") {
      i++;
      const chars: string[] = [];
      while (i < n && text[i] !== "'") {
        if (text[i] === '\\' && i + 1 < n) i++;
        chars.push(text[i]!);
        i++;
      }
      i++;
      // Anything glued to the closing quote belongs to the same (malformed) value.
      while (i < n && !isSpace(text[i])) chars.push(text[i++]!);
      value = chars.join('');
    } else {
      const valueStart = i;
      while (i < n && !isSpace(text[i])) i++;
      value = text.slice(valueStart, i);
    }
    if (!key) continue;
    const secret = isSecret(key);
    params[key] = secret ? MASK : key === 'sslmode' ? libpqSslmode(value) : value;
    redactedParts.push(`${key}=${secret ? MASK : value.length === 0 || /[\s'\\]/.test(value) ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : value}`);
  }
  return fromParams('keyword', params, redactedParts.join(' '));
}

/** Npgsql / ADO.NET: `Host=db;Port=26257;SSL Mode=VerifyFull;Root Certificate=/p/ca.crt`. */
function parseDotnet(text: string): ParsedConnection {
  const params: Record<string, string> = {};
  const redactedParts: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const keyStart = i;
    while (i < n && text[i] !== '=' && text[i] !== ';') i++;
    const rawKey = text.slice(keyStart, i).trim();
    if (text[i] !== '=') {
      i++;
      continue;
    }
    i++;
    let value: string;
    while (i < n && text[i] === ' ') i++;
    if (text[i] === '"' || text[i] === "'") {
      const quote = text[i];
      i++;
      const start = i;
      while (i < n && text[i] !== quote) i++;
      value = text.slice(start, i);
      i++;
      while (i < n && text[i] !== ';') i++;
    } else {
      const start = i;
      while (i < n && text[i] !== ';') i++;
      value = text.slice(start, i).trim();
    }
    i++;
    if (!rawKey) continue;
    const lower = rawKey.toLowerCase();
    const key = DOTNET_NAMES[lower] ?? lower;
    const secret = isSecret(key) || isSecret(lower);
    params[key] = secret ? MASK : key === 'sslmode' ? libpqSslmode(value) : value;
    redactedParts.push(`${rawKey}=${secret ? MASK : value}`);
  }
  return fromParams('dotnet', params, redactedParts.join(';'));
}

function fromParams(format: 'keyword' | 'dotnet', params: Record<string, string>, redacted: string): ParsedConnection {
  const port = params.port ? parsePort(params.port) : null;
  const hosts = params.host ? params.host.split(',').filter(Boolean).map((h) => {
    const split = splitHostPort(h);
    return { host: split.host, port: split.port ?? port };
  }) : [];
  const hasPassword = params.password === MASK || params.pwd === MASK;
  return { format, scheme: null, hosts, user: params.user ?? null, database: params.dbname ?? null, hasPassword, params, redacted };
}

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

export { encodeQueryValue };
