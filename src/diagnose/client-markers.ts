// Which client wrote a pasted error: literal markers in the text, weighed (diagnosis only; the
// clients themselves are src/connection/clients.ts).
import { CLIENT_FAMILY, CLIENT_NAMES, type ClientFamily, type ClientId } from '../connection/clients.js';

/**
 * Literal markers of a client in pasted text: stack frames, prefixes, exception class names,
 * error codes. Weight 5 = names the client itself (TypeORM over node-pg frames, DBeaver over
 * pgJDBC), 3-4 = specific to one client, 1-2 = a family hint shared by several.
 */
export interface ClientMarker {
  phrase: string;
  client: ClientId;
  weight: number;
  boundary?: boolean;
}

const m = (client: ClientId, weight: number, ...phrases: string[]): ClientMarker[] => phrases.map((phrase) => ({ phrase, client, weight }));

export const CLIENT_MARKERS: ClientMarker[] = [
  ...m('psql', 4, 'psql: error:', 'psql: fatal:'),
  ...m('libpq', 2, 'connection to server at "', 'could not connect to server', 'fe_sendauth', 'server certificate for "', 'root certificate file "', 'ssl syscall error', 'received invalid response to ssl negotiation'),
  ...m('libpq', 3, 'libpq'),
  ...m('psycopg', 4, 'psycopg2', 'psycopg.operationalerror', 'psycopg.'),
  ...m('asyncpg', 4, 'asyncpg'),
  // Python's ssl module raises these; psycopg goes through libpq/OpenSSL and prints libpq text instead.
  ...m('asyncpg', 2, 'ssl.sslcertverificationerror', 'sslcertverificationerror', '(_ssl.c:'),
  ...m('sqlalchemy', 5, 'sqlalchemy', 'sqlalche.me'),
  ...m('node-pg', 3, 'node_modules/pg/', 'node_modules/pg-pool/', 'node_modules/pg-protocol/', 'there was an error establishing an ssl connection', 'the server does not support ssl connections'),
  ...m('node-pg', 2, 'self_signed_cert_in_chain', 'depth_zero_self_signed_cert', 'unable_to_verify_leaf_signature', 'unable_to_get_issuer_cert_locally', 'err_tls_cert_altname_invalid', 'err_ssl_', 'at tlssocket', 'hostname/ip does not match certificate\'s altnames', 'client network socket disconnected'),
  // Node exposes OpenSSL's verify results as these err.code strings (nodejs tls docs, ref §6.3).
  ...m('node-pg', 2, 'cert_has_expired', 'cert_not_yet_valid'),
  ...m('node-pg', 1, 'node:internal', 'econnreset', 'econnrefused', 'connection terminated unexpectedly'),
  ...m('typeorm', 5, 'typeorm', 'queryfailederror'),
  ...m('prisma', 5, 'prisma', 'p1011', 'error opening a tls connection'),
  ...m('prisma', 3, 'p1001', 'p1017'),
  ...m('go-pgx', 4, 'failed to connect to `host=', 'failed to connect to `user=', 'pgconn', 'jackc/pgx', 'server refused tls connection'),
  ...m('go-pgx', 2, 'tls error (eof)'),
  ...m('go-libpq', 5, 'lib/pq'),
  { phrase: 'pq: ', client: 'go-libpq', weight: 4, boundary: true },
  // Go's crypto/x509 and crypto/tls wording: some Go client, driver not named.
  ...m('go-pgx', 1, 'x509: ', 'remote error: tls:', 'dial tcp '),
  ...m('cockroach-sql', 5, 'failed running "sql"', 'cockroach sql', 'problem using security settings'),
  ...m('cockroach-sql', 3, 'cannot load certificates'),
  ...m('jdbc', 4, 'org.postgresql', 'psqlexception'),
  ...m('jdbc', 2, 'sun.security.', 'javax.net.ssl', 'pkix path building failed', 'java.io.', 'java.security.'),
  ...m('dbeaver', 6, 'dbeaver', 'org.jkiss'),
  ...m('npgsql', 5, 'npgsql'),
  ...m('npgsql', 3, 'system.security.authentication', 'system.net.sockets'),
  ...m('kafka-changefeed', 5, 'changefeed', 'sarama', 'webhook-https', 'confluent_schema_registry', 'client has run out of available brokers'),
  ...m('kafka-changefeed', 4, 'invalid client certificate data provided', 'must be base 64 encoded', 'requires tls_enabled=true', 'failed to parse certificate data', 'unknown kafka sink query parameters'),
  ...m('kafka-changefeed', 3, 'kafka', 'ca_cert', 'tls_enabled', 'client_cert requires', 'client_key requires'),
];

/** Which clients are more specific than others, for a tie: the first listed wins. */
const SPECIFICITY: ClientId[] = ['dbeaver', 'typeorm', 'prisma', 'sqlalchemy', 'kafka-changefeed', 'cockroach-sql', 'psql', 'psycopg', 'asyncpg', 'go-libpq', 'go-pgx', 'npgsql', 'node-pg', 'jdbc', 'libpq'];

export interface ClientHit {
  client: ClientId;
  weight: number;
  /** The marker as it appears in the input (original case). */
  text: string;
}

export interface ClientDetection {
  /** The client, when given or when the text names it clearly enough; null otherwise. */
  id: ClientId | null;
  /** The family even when the exact client is uncertain (e.g. "some Go client"). */
  family: ClientFamily | null;
  source: 'given' | 'text' | 'connection_string' | 'none';
  evidence: string[];
  note?: string;
}

/**
 * The client that printed the text: the highest marker weight wins (plus a little per extra
 * distinct marker), ties go to the more specific client. A best weight below 2 gives only the family.
 */
export function detectClient(hits: ClientHit[], given?: ClientId, fromConnectionString?: ClientId): ClientDetection {
  const byClient = new Map<ClientId, { best: number; texts: string[] }>();
  for (const hit of hits) {
    const entry = byClient.get(hit.client) ?? { best: 0, texts: [] };
    entry.best = Math.max(entry.best, hit.weight);
    if (!entry.texts.includes(hit.text)) entry.texts.push(hit.text);
    byClient.set(hit.client, entry);
  }
  const ranked = [...byClient.entries()]
    .map(([client, entry]) => ({ client, score: entry.best + 0.25 * (entry.texts.length - 1), best: entry.best, texts: entry.texts }))
    .sort((a, b) => b.score - a.score || SPECIFICITY.indexOf(a.client) - SPECIFICITY.indexOf(b.client));
  const top = ranked[0];

  if (given) {
    const detection: ClientDetection = { id: given, family: CLIENT_FAMILY[given], source: 'given', evidence: [] };
    if (top && top.best >= 4 && CLIENT_FAMILY[top.client] !== CLIENT_FAMILY[given]) {
      detection.note = `The text looks like it came from ${CLIENT_NAMES[top.client]} (${top.texts.slice(0, 2).map((t) => JSON.stringify(t)).join(', ')}), not ${CLIENT_NAMES[given]}; the fix steps follow the client you named.`;
    }
    return detection;
  }
  if (top && top.best >= 2) {
    return { id: top.client, family: CLIENT_FAMILY[top.client], source: 'text', evidence: top.texts.slice(0, 5) };
  }
  if (fromConnectionString) {
    return { id: fromConnectionString, family: CLIENT_FAMILY[fromConnectionString], source: 'connection_string', evidence: [] };
  }
  if (top) return { id: null, family: CLIENT_FAMILY[top.client], source: 'text', evidence: top.texts.slice(0, 5) };
  return { id: null, family: null, source: 'none', evidence: [] };
}
