/**
 * The keyword forms of pasted connection settings: libpq keyword/value (`host=db sslmode='verify-full'`)
 * and the .NET form (`Host=db;SSL Mode=VerifyFull`), both read into libpq's vocabulary.
 */
import { isSecret, libpqSslmode, MASK, parsePort, splitHostPort, type ParsedConnection } from './pasted-parts.js';

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

/** libpq keyword/value: `key=value key2 = 'quoted \' value'` (libpq-connect.html §34.1.1). */
export function parseKeyword(text: string): ParsedConnection {
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
export function parseDotnet(text: string): ParsedConnection {
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
