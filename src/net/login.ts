import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import * as z from 'zod';
import { ToolError } from '../core/errors.js';
import { readBoundedFile } from '../core/read-file.js';
import { refuseCaKeyAsClientKey } from '../pki/ca-key-guard.js';
import { parseCertificates, type ParsedCertificate } from '../pki/certificate.js';
import { ClientId, DiagnosisCode, diagnose, parseConnectionString } from '../diagnose/index.js';
import { Cause, FixStep } from '../diagnose/fixes/context.js';
import { wellFormed } from '../core/unicode.js';
import { pgTarget, type PgTarget } from './pg-target.js';
import type { HostList, NetworkPolicy } from './policy.js';

/**
 * test_connection: a real login with node-postgres (`pg`, loaded only when a login runs, so the MCP
 * server's cold start does not pay for it), with the TLS settings read the way libpq reads them,
 * then `SELECT version()`. On failure the driver's own error text goes through diagnose_error.
 * The password is taken from the connection string, or from PGPASSWORD / ~/.pgpass for a host the
 * password policy allows (pg-target.ts), and never appears in the result: the settings are shown
 * redacted and every string of the result is scrubbed. The target passes the network policy first.
 */

export const DEFAULT_LOGIN_TIMEOUT_MS = 10_000;
const DEFAULT_PORT = 26257;
const DEFAULT_DATABASE = 'defaultdb';
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export const SslMode = z.enum(SSL_MODES);
export type SslMode = z.infer<typeof SslMode>;

export const LoginReport = z.object({
  ok: z.boolean(),
  code: DiagnosisCode.nullable().describe('The diagnosis of the failure; null on success'),
  summary: z.string(),
  server_version: z.string().nullable().describe('SELECT version()'),
  current_user: z.string().nullable(),
  tls: z.object({ protocol: z.string(), cipher: z.string() }).nullable().describe('null when the session is not encrypted'),
  settings: z.object({
    redacted: z.string().describe('The settings used, as a libpq URL, password replaced by ****'),
    host: z.string(),
    port: z.number().int(),
    user: z.string(),
    database: z.string(),
    sslmode: SslMode,
    server_verification: z.enum(['none', 'chain', 'chain_and_host']),
    ca: z.string().nullable(),
    cert: z.string().nullable(),
    key: z.string().nullable(),
    has_password: z.boolean(),
    notes: z.array(z.string()).describe('Where the settings mean something a person may not expect'),
  }),
  error: z.object({
    message: z.string().describe('The error as the driver (or, for unreadable files, libpq) words it'),
    driver_code: z.string().nullable().describe('Node error code or SQLSTATE'),
    origin: z.enum(['driver', 'settings']),
  }).nullable(),
  diagnosis: z.object({
    code: DiagnosisCode,
    title: z.string(),
    confidence: z.number(),
    explanation: z.string(),
    evidence: z.array(z.string()),
    causes: z.array(Cause),
    fix_steps: z.array(FixStep),
    alternatives: z.array(z.object({ code: DiagnosisCode, confidence: z.number() })),
  }).nullable(),
  warnings: z.array(z.string()),
  elapsed_ms: z.number(),
});
export type LoginReport = z.infer<typeof LoginReport>;

export interface LoginInput {
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  database?: string;
  sslmode?: SslMode;
  ca?: string;
  cert?: string;
  key?: string;
  client?: ClientId;
  timeoutMs?: number;
}

export interface LoginDeps {
  /** Resolves a user path inside the allowed roots (throws outside_roots). */
  resolvePath: (file: string, what: string) => string;
  signal?: AbortSignal;
  progress?: (message: string, fraction?: number) => void;
  /** Environment for PGPASSWORD (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Which targets this face may reach (CRDB_TLS_NETWORK_ALLOW). */
  network: NetworkPolicy;
  /** Which hosts may receive the environment's password (CRDB_TLS_PASSWORD_HOSTS). */
  passwordHosts: HostList;
}

/** The password of a URL (`user:pass@`, `?password=`) or keyword string (`password=...`); never logged. */
export function passwordOf(raw: string): string | undefined {
  const text = raw.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const query = text.indexOf('?');
    if (query >= 0) {
      for (const pair of text.slice(query + 1).split('&')) {
        const eq = pair.indexOf('=');
        if (eq > 0 && pair.slice(0, eq).toLowerCase() === 'password') return safeDecode(pair.slice(eq + 1));
      }
    }
    const rest = text.slice(text.indexOf('://') + 3);
    // The last '@' before the query: passwords may hold '@' or '/' unencoded.
    const queryInRest = rest.indexOf('?');
    const at = rest.slice(0, queryInRest >= 0 ? queryInRest : rest.length).lastIndexOf('@');
    if (at < 0) return undefined;
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    return colon >= 0 ? safeDecode(userinfo.slice(colon + 1)) : undefined;
  }
  const dotnet = text.includes(';') ? /(?:^|;)\s*(?:password|pwd)\s*=\s*([^;]*)/i.exec(text) : null;
  if (dotnet) return dotnet[1]!.trim();
  const match = /(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S*)/i.exec(text);
  if (!match) return undefined;
  const value = match[1]!;
  return value.startsWith("'") ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Replaces every occurrence of each secret in every string of `value` (deep). */
function scrub<T>(value: T, secrets: string[]): T {
  if (secrets.length === 0) return value;
  const clean = (s: string) => secrets.reduce((acc, secret) => acc.split(secret).join('****'), s);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return clean(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

interface Resolved {
  host: string;
  port: number;
  user: string;
  database: string;
  sslmode: SslMode;
  ca: string | null;
  caSystem: boolean;
  cert: string | null;
  key: string | null;
  password: string | undefined;
  notes: string[];
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** libpq's reading of the settings: URL / keyword string first, then the separate fields. */
async function resolveSettings(input: LoginInput, deps: LoginDeps): Promise<Resolved> {
  const parsed = input.url ? parseConnectionString(input.url) : null;
  const p = parsed?.params ?? {};
  const host = input.host ?? parsed?.hosts[0]?.host;
  if (!host) throw new ToolError('invalid_input', 'no host: give a connection URL with a host, or host', 'Example: postgresql://app@db.example.com:26257/defaultdb?sslmode=verify-full&sslrootcert=certs/ca.crt');
  const notes: string[] = [];
  if (parsed && parsed.hosts.length > 1 && !input.host) notes.push(`The settings name ${parsed.hosts.length} hosts; only the first (${host}) is tried.`);
  const rawMode = input.sslmode ?? p.sslmode ?? (input.url ? 'prefer' : 'verify-full');
  if (!(SSL_MODES as readonly string[]).includes(rawMode)) throw new ToolError('invalid_input', `sslmode=${rawMode} is not a libpq sslmode`, `Use one of ${SSL_MODES.join(', ')}.`);
  const sslmode = rawMode as SslMode;
  if (sslmode === 'prefer' || sslmode === 'allow') notes.push(`sslmode=${sslmode}: tried with TLS and no server verification; libpq would also fall back to (or start with) a plaintext connection.`);
  if (!input.sslmode && !p.sslmode && input.url) notes.push('No sslmode in the settings: libpq\'s default prefer applies (no server verification).');

  const home = os.homedir();
  const given = (field: string | undefined, param: string | undefined) => field ?? (param && param !== '' ? param : undefined);
  let ca = given(input.ca, p.sslrootcert) ?? null;
  let caSystem = false;
  if (ca === 'system') {
    ca = null;
    caSystem = true;
    notes.push('sslrootcert=system: verified against Node\'s bundled public CAs (libpq ≥ 16 uses the OS store).');
  } else if (!ca && (sslmode === 'verify-ca' || sslmode === 'verify-full')) {
    ca = path.join(home, '.postgresql', 'root.crt');
    notes.push(`No sslrootcert: libpq's default ${ca} is used.`);
  } else if (!ca && sslmode === 'require' && (await exists(path.join(home, '.postgresql', 'root.crt')))) {
    ca = path.join(home, '.postgresql', 'root.crt');
  }
  let cert = given(input.cert, p.sslcert) ?? null;
  let key = given(input.key, p.sslkey) ?? null;
  if (!cert && !key && sslmode !== 'disable') {
    const defaultCert = path.join(home, '.postgresql', 'postgresql.crt');
    if (await exists(defaultCert)) {
      cert = defaultCert;
      key = path.join(home, '.postgresql', 'postgresql.key');
      notes.push(`No sslcert: libpq's default ${defaultCert} exists and is used.`);
    }
  }
  if (cert && !key) key = cert.endsWith('.crt') ? `${cert.slice(0, -4)}.key` : null;
  const resolve = (file: string | null, what: string) => (file ? deps.resolvePath(file, what) : null);
  const password = input.url ? passwordOf(input.url) : undefined;
  return {
    host,
    port: input.port ?? parsed?.hosts[0]?.port ?? DEFAULT_PORT,
    user: input.user ?? parsed?.user ?? 'root',
    database: input.database ?? parsed?.database ?? DEFAULT_DATABASE,
    sslmode,
    ca: resolve(ca, 'CA'),
    caSystem,
    cert: resolve(cert, 'client certificate'),
    key: resolve(key, 'client key'),
    password,
    notes,
  };
}

class SettingsError extends Error {}

/** Reads a TLS file as libpq would, failing with libpq's words (which diagnose_error knows). */
/**
 * A CA's key is never presented as a client key (src/pki/ca-key-guard.ts); files that do not parse
 * are left to the driver, whose own error the report then quotes.
 */
function refuseCaKeyAsClient(cert: Buffer, key: Buffer, ca: Buffer | undefined): void {
  const parsed = (bytes: Buffer, what: string): ParsedCertificate[] => {
    try {
      return parseCertificates(bytes, what);
    } catch {
      return [];
    }
  };
  let keyObject: crypto.KeyObject | undefined;
  try {
    keyObject = crypto.createPrivateKey(key);
  } catch {
    keyObject = undefined;
  }
  refuseCaKeyAsClientKey({ cert: parsed(cert, 'client certificate')[0], key: keyObject, cas: ca ? parsed(ca, 'root certificate') : [], keyName: 'the client key (key, sslkey)', certName: 'client certificate (cert, sslcert)' });
}

async function readTlsFile(file: string, role: 'ca' | 'cert' | 'key'): Promise<Buffer> {
  try {
    return await readBoundedFile(file, role === 'ca' ? 'root certificate file' : role === 'cert' ? 'certificate file' : 'private key file');
  } catch (error) {
    if (error instanceof ToolError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (role === 'ca') {
      throw new SettingsError(code === 'ENOENT' ? `root certificate file "${file}" does not exist\nEither provide the file or change sslmode to disable server certificate verification.` : `could not read root certificate file "${file}": ${(error as Error).message}`);
    }
    if (role === 'cert') throw new SettingsError(`could not open certificate file "${file}": ${code === 'ENOENT' ? 'No such file or directory' : (error as Error).message}`);
    throw new SettingsError(code === 'ENOENT' ? `certificate present, but not private key file "${file}"` : `could not open private key file "${file}": ${(error as Error).message}`);
  }
}

function redactedUrl(r: Resolved): string {
  const q = new URLSearchParams();
  q.set('sslmode', r.sslmode);
  if (r.caSystem) q.set('sslrootcert', 'system');
  else if (r.ca) q.set('sslrootcert', r.ca);
  if (r.cert) q.set('sslcert', r.cert);
  if (r.key) q.set('sslkey', r.key);
  const host = r.host.includes(':') ? `[${r.host}]` : r.host;
  const query = q.toString().replace(/%2F/gi, '/');
  return `postgresql://${encodeURIComponent(wellFormed(r.user))}${r.password ? ':****' : ''}@${host}:${r.port}/${encodeURIComponent(wellFormed(r.database))}?${query}`;
}

/** node-postgres errors as a person pastes them: message, then the code (Node) or SQLSTATE (server). */
function errorTextOf(error: unknown): { text: string; driverCode: string | null } {
  const e = error as Error & { code?: string; severity?: string; detail?: string; hint?: string };
  if (e && typeof e.severity === 'string') {
    const lines = [`${e.severity}:  ${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ''}`];
    if (e.detail) lines.push(`DETAIL:  ${e.detail}`);
    if (e.hint) lines.push(`HINT:  ${e.hint}`);
    return { text: lines.join('\n'), driverCode: e.code ?? null };
  }
  const message = e?.message ?? String(error);
  return { text: e?.code ? `Error: ${message} { code: '${e.code}' }` : `Error: ${message}`, driverCode: e?.code ?? null };
}

export async function testConnection(input: LoginInput, deps: LoginDeps): Promise<LoginReport> {
  const started = performance.now();
  const timeoutMs = input.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
  const r = await resolveSettings(input, deps);
  // A refused target is a structured error before anything is read or sent; a name that does not resolve is the login's failure.
  let target: PgTarget | undefined;
  let unresolved: unknown;
  try {
    target = await pgTarget({ host: r.host, port: r.port, user: r.user, database: r.database, sslmode: r.sslmode, given: r.password, network: deps.network, passwordHosts: deps.passwordHosts, ...(deps.env ? { env: deps.env } : {}) });
    r.notes.push(...target.notes);
  } catch (error) {
    if (error instanceof ToolError) throw error;
    unresolved = error;
  }
  const environmentPassword = (deps.env ?? process.env).PGPASSWORD;
  const secrets = [r.password, environmentPassword].filter((s): s is string => !!s && s.length >= 3).flatMap((s) => [s, encodeURIComponent(wellFormed(s))]);
  const warnings: string[] = [];
  const verification = r.sslmode === 'verify-full' ? 'chain_and_host' : r.sslmode === 'verify-ca' || (r.sslmode === 'require' && r.ca) ? 'chain' : 'none';
  const report: LoginReport = {
    ok: false,
    code: null,
    summary: '',
    server_version: null,
    current_user: null,
    tls: null,
    settings: {
      redacted: redactedUrl(r),
      host: r.host,
      port: r.port,
      user: r.user,
      database: r.database,
      sslmode: r.sslmode,
      server_verification: r.sslmode === 'disable' ? 'none' : verification,
      ca: r.caSystem ? 'system' : r.ca,
      cert: r.cert,
      key: r.key,
      has_password: target ? target.passwordSource !== 'none' : Boolean(r.password),
      notes: r.notes,
    },
    error: null,
    diagnosis: null,
    warnings,
    elapsed_ms: 0,
  };

  const fail = (text: string, driverCode: string | null, origin: 'driver' | 'settings') => {
    report.error = { message: text, driver_code: driverCode, origin };
    const d = diagnose({ error_text: text, client: input.client ?? 'libpq', connection_string: report.settings.redacted });
    report.code = d.code;
    report.diagnosis = {
      code: d.code,
      title: d.title,
      confidence: d.confidence,
      explanation: d.explanation,
      evidence: d.evidence,
      causes: d.causes,
      fix_steps: d.fix_steps,
      alternatives: d.alternatives.map((a) => ({ code: a.code, confidence: a.confidence })),
    };
  };

  const finish = (): LoginReport => {
    report.elapsed_ms = Math.round(performance.now() - started);
    report.summary = report.ok
      ? `logged in to ${r.host}:${r.port} as ${report.current_user}${report.tls ? ` over ${report.tls.protocol}` : ' WITHOUT TLS'}: ${report.server_version}`
      : `login to ${r.host}:${r.port} as ${r.user} failed: ${report.code} — ${report.error?.message.split('\n')[0]}`;
    return scrub(report, secrets);
  };

  if (!target) {
    const { text, driverCode } = errorTextOf(unresolved);
    fail(text, driverCode, 'driver');
    return finish();
  }

  // ---- the TLS material, read like libpq reads it
  let ssl: false | ConnectionOptions = false;
  try {
    if (r.sslmode !== 'disable') {
      const options: ConnectionOptions = { rejectUnauthorized: verification !== 'none' };
      if (verification === 'chain') options.checkServerIdentity = () => undefined;
      if (target.servername) options.servername = target.servername;
      if (r.ca && verification !== 'none') options.ca = (await readTlsFile(r.ca, 'ca')).toString('utf8');
      if (r.cert && r.key) {
        const cert = await readTlsFile(r.cert, 'cert');
        const key = await readTlsFile(r.key, 'key');
        try {
          crypto.createPrivateKey(key);
        } catch (error) {
          throw new SettingsError(`could not load private key file "${r.key}": ${(error as Error).message}`);
        }
        refuseCaKeyAsClient(cert, key, r.ca && verification !== 'none' ? Buffer.from(options.ca as string) : undefined);
        const stat = await fs.stat(r.key);
        if ((stat.mode & 0o077) !== 0 && !(stat.uid === 0 && (stat.mode & 0o037) === 0)) {
          warnings.push(`private key file "${r.key}" has group or world access (mode ${(stat.mode & 0o777).toString(8)}): libpq (psql, psycopg) refuses it; node-postgres does not check. chmod 600 it.`);
        }
        options.cert = cert.toString('utf8');
        options.key = key.toString('utf8');
      }
      ssl = options;
    }
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    fail(error.message, null, 'settings');
    return finish();
  }

  // ---- the login
  deps.progress?.(`logging in to ${r.host}:${r.port} as ${r.user}`, 0.2);
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    host: target.dialHost,
    port: r.port,
    user: r.user,
    database: r.database,
    // A function: pg calls it only when the server asks, and never reads PGPASSWORD or ~/.pgpass itself.
    password: target.password,
    ssl,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'crdb-tls test-connection',
  });
  client.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`timeout expired: no login within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    onAbort = () => reject(new ToolError('cancelled', `the login to ${r.host}:${r.port} was cancelled`));
    deps.signal?.addEventListener('abort', onAbort, { once: true });
    if (deps.signal?.aborted) onAbort();
  });
  stop.catch(() => {});
  try {
    await Promise.race([client.connect(), stop]);
    deps.progress?.('connected; SELECT version()', 0.7);
    const result = await Promise.race([client.query<{ version: string; current_user: string }>('SELECT version() AS version, current_user AS current_user'), stop]);
    report.ok = true;
    report.server_version = result.rows[0]?.version ?? null;
    report.current_user = result.rows[0]?.current_user ?? null;
    const stream = (client as unknown as { connection?: { stream?: { getProtocol?: () => string | null; getCipher?: () => { name: string } } } }).connection?.stream;
    if (stream?.getProtocol) report.tls = { protocol: stream.getProtocol() ?? 'unknown', cipher: stream.getCipher?.().name ?? 'unknown' };
  } catch (error) {
    if (error instanceof ToolError) throw error;
    const { text, driverCode } = errorTextOf(error);
    fail(text, driverCode, 'driver');
  } finally {
    clearTimeout(timer);
    if (onAbort) deps.signal?.removeEventListener('abort', onAbort);
    const ending = client.end().catch(() => {});
    // A stalled server never answers Terminate: do not wait for it.
    await Promise.race([ending, new Promise((resolve) => setTimeout(resolve, 500).unref())]);
    (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
  }
  return finish();
}

export function renderLogin(report: LoginReport): string {
  const lines = [report.ok ? `OK  ${report.summary}` : `FAILED  ${report.summary}`];
  lines.push(`settings: ${report.settings.redacted}`);
  for (const note of report.settings.notes) lines.push(`  note: ${note}`);
  for (const warning of report.warnings) lines.push(`  warning: ${warning}`);
  if (report.tls) lines.push(`TLS: ${report.tls.protocol}, ${report.tls.cipher}`);
  if (report.error) {
    lines.push('', `error (${report.error.origin === 'driver' ? 'node-postgres' : 'settings'}):`, ...report.error.message.split('\n').map((l) => `  ${l}`));
  }
  if (report.diagnosis) {
    const d = report.diagnosis;
    lines.push('', `diagnosis: ${d.code} (${Math.round(d.confidence * 100)}%) — ${d.title}`, `  ${d.explanation}`, '', 'how to fix:');
    for (const s of d.fix_steps) {
      lines.push(`  ${s.step}. ${s.action}`);
      if (s.command) lines.push(`     $ ${s.command}`);
    }
  }
  lines.push('', `time: ${report.elapsed_ms} ms`);
  return lines.join('\n');
}
