/**
 * What every form of pasted connection settings parses into, and the pieces the forms share:
 * secrets masked as ****, sslmode spelling, percent-decoding, ports and `host:port`.
 */

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

const SECRET_PARAMS = new Set(['password', 'pwd', 'sslpassword', 'sasl_password', 'sasl_client_secret', 'api_secret', 'shared_access_key', 'client_key', 'ssl password', 'client certificate key']);
export const isSecret = (name: string) => SECRET_PARAMS.has(name.toLowerCase()) || name.toLowerCase().endsWith('password');
export const MASK = '****';

/** Npgsql's SslMode names (VerifyFull) → libpq's (verify-full). */
export function libpqSslmode(value: string): string {
  const v = value.trim().toLowerCase();
  const dotnet: Record<string, string> = { verifyfull: 'verify-full', verifyca: 'verify-ca', require: 'require', prefer: 'prefer', allow: 'allow', disable: 'disable' };
  return dotnet[v] ?? v;
}

export function decode(value: string): string {
  if (value.indexOf('%') < 0) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function parsePort(text: string): number | null {
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
