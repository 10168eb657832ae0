import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ToolError } from '../core/errors.js';
import { readBoundedFile } from '../core/read-file.js';
import { refuseCaKeyAsClientKey } from '../pki/ca-key-guard.js';
import { parseCertificates, type ParsedCertificate } from '../pki/certificate.js';
import { ClientId, parseConnectionString } from '../diagnose/index.js';
import { wellFormed } from '../core/unicode.js';
import type { HostList, NetworkPolicy } from './policy.js';

import { SSL_MODES, SslMode } from './login-report.js';

/**
 * The first phase of test_connection: the settings a login will use, read the way libpq reads
 * them (URL or keywords, then the input's fields, then the environment and ~/.cockroach-certs),
 * the TLS files read and checked (never a CA key as a client key), and the password kept out of
 * everything shown.
 */

const DEFAULT_PORT = 26257;
const DEFAULT_DATABASE = 'defaultdb';
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
export function scrub<T>(value: T, secrets: string[]): T {
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
export async function resolveSettings(input: LoginInput, deps: LoginDeps): Promise<Resolved> {
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

export class SettingsError extends Error {}

/** Reads a TLS file as libpq would, failing with libpq's words (which diagnose_error knows). */
/**
 * A CA's key is never presented as a client key (src/pki/ca-key-guard.ts); files that do not parse
 * are left to the driver, whose own error the report then quotes.
 */
export function refuseCaKeyAsClient(cert: Buffer, key: Buffer, ca: Buffer | undefined): void {
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

export async function readTlsFile(file: string, role: 'ca' | 'cert' | 'key'): Promise<Buffer> {
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

export function redactedUrl(r: Resolved): string {
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
