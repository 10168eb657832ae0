import type { ConnectionOptions } from 'node:tls';
import { ToolError } from '../../core/errors.js';
import { readBoundedFile } from '../../core/read-file.js';
import { parseConnectionString } from '../../connection/pasted-settings.js';
import { passwordOf } from '../../net/login-settings.js';
import { pgTarget } from '../../net/pg-target.js';
import type { HostList, NetworkPolicy } from '../../net/policy.js';
import { daysOf, statusFor, type InventoryEntry, type InventoryItem, type SourceResult, type Thresholds } from '../items.js';

/**
 * A cluster's own view of its certificates: the security.certificate.* gauges of
 * crdb_internal.node_metrics (reference §2.2). `expiration.<type>` is the NotAfter as Unix seconds
 * and `ttl.<type>` the seconds left, both 0 when the node has no such certificate (or failed to
 * load it). The table is local to the node answering, so each node is one URL.
 */

const METRICS_QUERY = "SELECT name, value FROM crdb_internal.node_metrics WHERE name LIKE 'security.certificate.%'";

/** certificate_metrics.go types, with the `cockroach cert list` usage each stands for. */
const CERT_TYPES: Array<[type: string, usage: string]> = [
  ['ca', 'CA'],
  ['client-ca', 'Client CA'],
  ['ui-ca', 'UI CA'],
  ['node', 'Node'],
  ['node-client', 'Client'],
  ['ui', 'UI'],
  ['ca-client-tenant', 'Tenant Client CA'],
  ['client-tenant', 'Tenant Client'],
];

export interface SqlSourceOptions {
  /** Resolves a file named in the URL (sslrootcert, sslcert, sslkey) inside the allowed roots. */
  resolvePath: (file: string, what: string) => string;
  timeoutMs: number;
  /** Which SQL nodes may be contacted, and which may receive the environment's password. */
  network: NetworkPolicy;
  passwordHosts: HostList;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  progress?: (message: string, fraction?: number) => void;
}

interface Target {
  redacted: string;
  label: string;
  config: Record<string, unknown>;
}

async function readTls(file: string | undefined, what: string, options: SqlSourceOptions): Promise<Buffer | undefined> {
  if (!file) return undefined;
  const resolved = options.resolvePath(file, what);
  try {
    return await readBoundedFile(resolved, what);
  } catch (error) {
    if (error instanceof ToolError) throw error;
    throw new ToolError('not_found', `cannot read the ${what} ${resolved} named in the SQL URL: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'Check sslrootcert / sslcert / sslkey in the URL.');
  }
}

/** node-postgres settings from a libpq URL, with the TLS files read through the allowed roots. */
async function targetOf(url: string, options: SqlSourceOptions): Promise<Target> {
  const parsed = parseConnectionString(url);
  const first = parsed.hosts[0];
  if (!first?.host) throw new ToolError('invalid_input', `SQL URL ${parsed.redacted} names no host`, 'Give a URL like postgresql://root@node1:26257/defaultdb?sslmode=verify-full&sslrootcert=certs/ca.crt&sslcert=certs/client.root.crt&sslkey=certs/client.root.key');
  const p = parsed.params;
  const sslmode = p.sslmode ?? 'verify-full';
  const port = first.port ?? 26257;
  const label = `${first.host.includes(':') ? `[${first.host}]` : first.host}:${port}`;
  let ssl: ConnectionOptions | false = false;
  if (sslmode !== 'disable') {
    const [ca, cert, key] = await Promise.all([readTls(p.sslrootcert, 'CA certificate', options), readTls(p.sslcert, 'client certificate', options), readTls(p.sslkey, 'client key', options)]);
    const verify = sslmode === 'verify-full' || sslmode === 'verify-ca';
    ssl = {
      rejectUnauthorized: verify,
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      ...(sslmode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    };
  }
  const user = parsed.user ?? 'root';
  const database = parsed.database ?? 'defaultdb';
  const target = await pgTarget({ host: first.host, port, user, database, sslmode, given: passwordOf(url), network: options.network, passwordHosts: options.passwordHosts, ...(options.env ? { env: options.env } : {}) });
  if (ssl && target.servername) ssl.servername = target.servername;
  return {
    redacted: parsed.redacted,
    label,
    config: {
      host: target.dialHost,
      port,
      user,
      database,
      // Called only when the server asks; pg never reads PGPASSWORD or ~/.pgpass itself (net/pg-target.ts).
      password: target.password,
      ssl,
      connectionTimeoutMillis: options.timeoutMs,
      query_timeout: options.timeoutMs,
    },
  };
}

/** The items one node's metrics describe; `client` is left out: its aggregate value is meaningless (reference §2.2). */
function itemsFromMetrics(rows: Array<{ name: string; value: number }>, location: string, now: Date, thresholds: Thresholds): { items: InventoryItem[]; absent: string[] } {
  const metrics = new Map<string, number>();
  // Node-level gauges have store_id NULL; should a name come twice, the first value counts.
  for (const row of rows) if (row.value !== null && !metrics.has(row.name)) metrics.set(row.name, Number(row.value));
  const items: InventoryItem[] = [];
  const absent: string[] = [];
  const nowSeconds = now.getTime() / 1000;
  for (const [type, usage] of CERT_TYPES) {
    const expiration = metrics.get(`security.certificate.expiration.${type}`);
    const ttl = metrics.get(`security.certificate.ttl.${type}`);
    if (expiration === undefined && ttl === undefined) continue;
    // "0 means no certificate or error" (certificate_metrics.go).
    if (!expiration && !ttl) {
      absent.push(type);
      continue;
    }
    const secondsLeft = Math.floor(expiration ? expiration - nowSeconds : ttl!);
    const notAfter = new Date(expiration ? expiration * 1000 : now.getTime() + ttl! * 1000).toISOString();
    items.push({
      source: 'sql',
      location,
      what: `${type} certificate (security.certificate.expiration.${type})`,
      usage,
      path: null,
      position: null,
      subject: null,
      issuer: null,
      serial: null,
      sha256_fingerprint: null,
      not_after: notAfter,
      seconds_left: secondsLeft,
      days_left: daysOf(secondsLeft),
      status: statusFor(secondsLeft, thresholds),
      error: null,
    });
  }
  return { items, absent };
}

/** One node over SQL. Never throws for a node that cannot be read: that is the source's error. */
async function inventoryOne(url: string, now: Date, thresholds: Thresholds, options: SqlSourceOptions): Promise<SourceResult> {
  let target: Target;
  try {
    target = await targetOf(url, options);
  } catch (error) {
    const redacted = (() => {
      try {
        return parseConnectionString(url).redacted;
      } catch {
        return '(unreadable SQL URL)';
      }
    })();
    return { entries: [], report: { source: 'sql', location: redacted, items: 0, error: (error as Error).message, notes: [] } };
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client(target.config as ConstructorParameters<typeof pg.Client>[0]);
  client.on('error', () => undefined);
  const abort = () => void client.end().catch(() => undefined);
  options.signal?.addEventListener('abort', abort, { once: true });
  const notes: string[] = [];
  try {
    await client.connect();
    const result = await client.query<{ name: string; value: number }>(METRICS_QUERY);
    let location = target.label;
    try {
      // CockroachDB names the node answering; another server (or an old version) may not.
      const node = await client.query<{ id: string }>('SELECT crdb_internal.node_id()::TEXT AS id');
      if (node.rows[0]?.id) location = `n${node.rows[0].id} at ${target.label}`;
    } catch {
      // not CockroachDB, or no such function: the address names the node
    }
    const { items, absent } = itemsFromMetrics(result.rows, location, now, thresholds);
    if (result.rows.some((r) => r.name.startsWith('security.certificate.') && r.name.endsWith('.client'))) {
      notes.push('security.certificate.*.client is an aggregate over SQL users whose value means nothing on its own (reference §2.2); check client certificates in the certs dirs');
    }
    if (absent.length > 0) notes.push(`no certificate loaded (metric 0): ${absent.join(', ')}`);
    if (result.rows.length === 0) notes.push('crdb_internal.node_metrics has no security.certificate.* rows');
    const entries: InventoryEntry[] = items.map((item) => ({ item }));
    return { entries, report: { source: 'sql', location, items: entries.length, error: null, notes } };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    const e = error as Error & { code?: string };
    const hint = e.code === '42501' ? ' — reading crdb_internal.node_metrics needs the admin role' : e.code === '42P01' || e.code === '3F000' ? ' — the server has no crdb_internal.node_metrics (not CockroachDB?)' : '';
    return { entries: [], report: { source: 'sql', location: target.label, items: 0, error: `${target.redacted}: ${e.message}${e.code ? ` (${e.code})` : ''}${hint}`, notes } };
  } finally {
    options.signal?.removeEventListener('abort', abort);
    await client.end().catch(() => undefined);
  }
}

export async function inventorySql(urls: string[], now: Date, thresholds: Thresholds, options: SqlSourceOptions): Promise<SourceResult[]> {
  const results: SourceResult[] = [];
  for (const [i, url] of urls.entries()) {
    options.progress?.(`reading crdb_internal.node_metrics from SQL node ${i + 1}/${urls.length}`, i / urls.length);
    results.push(await inventoryOne(url, now, thresholds, options));
  }
  return results;
}
