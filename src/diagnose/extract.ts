import type { Facts } from './schema.js';
import { splitHostPort } from '../connection/pasted-parts.js';
import { parseConnectionString } from '../connection/pasted-settings.js';
import { classifyPath, pathInMissingFileLine } from './rules/paths.js';

/**
 * Facts read from the text: the host the client dialled, files it named, the SQL user, the names
 * a certificate is valid for. Each extractor starts at an anchor the matcher already found (one
 * pass over the input) and reads a bounded token from there, so the whole step stays linear.
 * Passwords are never extracted: URLs are parsed with the redacting parser and only their host,
 * port and user are kept.
 */

export type { Facts } from './schema.js';

const MAX_TOKEN = 255;
const MAX_URL = 2048;

interface Reader {
  text: string;
  facts: Facts;
}

type Extractor = (r: Reader, after: number) => void;

function lineEnd(text: string, from: number, max = 1024): number {
  const limit = Math.min(text.length, from + max);
  for (let i = from; i < limit; i++) if (text.charCodeAt(i) === 10) return i;
  return limit;
}

function lineStart(text: string, from: number, max = 1024): number {
  const limit = Math.max(0, from - max);
  for (let i = from - 1; i >= limit; i--) if (text.charCodeAt(i) === 10) return i + 1;
  return limit;
}

/** Up to `stop` (a string) within the line and MAX_TOKEN characters; undefined when not found. */
function until(text: string, from: number, stop: string, max = MAX_TOKEN): string | undefined {
  const end = lineEnd(text, from, max + stop.length);
  const at = text.slice(from, end).indexOf(stop);
  return at >= 0 ? text.slice(from, from + at) : undefined;
}

const TOKEN_STOPS = new Set([' ', '\n', '\t', '"', "'", '`', ',', ';', ')', '(', '<', '>']);

function token(text: string, from: number, max = MAX_TOKEN): string {
  let end = from;
  const limit = Math.min(text.length, from + max);
  while (end < limit && !TOKEN_STOPS.has(text[end]!)) end++;
  return text.slice(from, end);
}

function cleanHost(raw: string): string {
  let host = raw.trim();
  while (host.endsWith('.') || host.endsWith(':')) host = host.slice(0, -1);
  if (host.startsWith("'") && host.endsWith("'")) host = host.slice(1, -1);
  return host;
}

function addHost(r: Reader, raw: string | undefined, port: number | null = null): void {
  if (!raw) return;
  const split = port === null ? splitHostPort(cleanHost(raw)) : { host: cleanHost(raw), port };
  if (!split.host || split.host.length > MAX_TOKEN || split.host.includes(' ')) return;
  const existing = r.facts.hosts.find((h) => h.host === split.host);
  if (existing) {
    if (existing.port === null) existing.port = split.port;
    return;
  }
  r.facts.hosts.push(split);
}

function addFile(r: Reader, raw: string | undefined, role?: 'ca' | 'client'): void {
  const path = raw?.trim();
  if (!path || path.length > MAX_TOKEN || path.startsWith('"')) return;
  if (r.facts.files.some((f) => f.path === path)) return;
  r.facts.files.push({ path, role: role ?? classifyPath(path) });
}

/** The name the certificate was checked against (libpq's host name, Go's "not X", Node's Host:): first in the list, with the port another mention gave. */
function addCheckedName(r: Reader, raw: string | undefined): void {
  if (!raw) return;
  const host = cleanHost(raw);
  if (!host || host.length > MAX_TOKEN || host.includes(' ')) return;
  const existing = r.facts.hosts.findIndex((h) => h.host === host);
  const port = existing >= 0 ? r.facts.hosts[existing]!.port : null;
  if (existing >= 0) r.facts.hosts.splice(existing, 1);
  r.facts.hosts.unshift({ host, port: port ?? r.facts.hosts.find((h) => h.port !== null)?.port ?? null });
}

function addUser(r: Reader, raw: string | undefined, role: 'requested' | 'certificate'): void {
  const user = raw?.trim();
  if (!user || user.length > 63 || user.includes(' ')) return;
  if (!r.facts.users.some((u) => u.user === user && u.role === role)) r.facts.users.push({ user, role });
}

function digitsAfter(text: string, from: number, label: string, window = 200): number | null {
  const end = lineEnd(text, from, window);
  const at = text.slice(from, end).toLowerCase().indexOf(label);
  if (at < 0) return null;
  const digits = token(text, from + at + label.length, 6);
  const port = Number(digits.replace('.', ''));
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
}

const URL_STOPS = new Set([' ', '\n', '\t', '"', "'", '`', ')', '<', '>']);

function fromUrl(r: Reader, after: number, anchorLength: number): void {
  const start = after - anchorLength;
  let end = start;
  const limit = Math.min(r.text.length, start + MAX_URL);
  while (end < limit && !URL_STOPS.has(r.text[end]!)) end++;
  const parsed = parseConnectionString(r.text.slice(start, end));
  for (const h of parsed.hosts) addHost(r, h.host, h.port);
  if (parsed.user) addUser(r, parsed.user, 'requested');
}

function altNames(r: Reader, at: number): void {
  let end = lineEnd(r.text, at);
  for (const quote of ["'", '"', '`']) {
    const q = r.text.indexOf(quote, at);
    if (q >= 0 && q < end) end = q;
  }
  for (const name of r.text.slice(at, end).split(',')) {
    const n = name.trim().replace('DNS:', '').replace('IP Address:', '').trim();
    if (n && n.length <= MAX_TOKEN && !n.includes(' ') && !r.facts.certificate_names.includes(n)) r.facts.certificate_names.push(n);
  }
}

/** Anchor (lowercase, as the matcher finds it) → what to read right after it. */
export const ANCHORS: Record<string, Extractor> = {
  // libpq ≥ 14: connection to server at "db" (10.0.0.1), port 26257 failed: ...
  'connection to server at "': (r, at) => {
    const host = until(r.text, at, '"');
    addHost(r, host, host ? digitsAfter(r.text, at + host.length, ', port ', 120) : null);
  },
  'is the server running on host "': (r, at) => {
    const host = until(r.text, at, '"');
    addHost(r, host, host ? digitsAfter(r.text, at, 'on port ', 300) : null);
  },
  'dial tcp ': (r, at) => addHost(r, token(r.text, at)),
  'dial tcp: lookup ': (r, at) => addHost(r, token(r.text, at)),
  'failed to connect to `host=': (r, at) => {
    addHost(r, token(r.text, at));
    const user = until(r.text, at, ' user=');
    if (user !== undefined) addUser(r, token(r.text, at + user.length + ' user='.length), 'requested');
  },
  'host: ': (r, at) => {
    const host = until(r.text, at, " is not in the cert's");
    if (host !== undefined) addCheckedName(r, host);
  },
  'ip: ': (r, at) => {
    const host = until(r.text, at, " is not in the cert's");
    if (host !== undefined) addCheckedName(r, host);
  },
  // Node: "... is not in the cert's altnames: DNS:a, DNS:b, IP Address:127.0.0.1" — inside a dumped
  // error object the list ends at the closing quote of reason: '...' / "...".
  "is not in the cert's altnames: ": (r, at) => altNames(r, at),
  "is not in the cert's list: ": (r, at) => altNames(r, at),
  "subjectaltname: '": (r, at) => altNames(r, at),
  // pgx v5: failed to connect to `user=U database=D`: 10.0.0.7:26257 (db.internal): tls error: ...
  'failed to connect to `user=': (r, at) => {
    addUser(r, token(r.text, at, 64), 'requested');
    const close = until(r.text, at, '`: ', 200);
    if (close === undefined) return;
    const from = at + close.length + 3;
    const address = token(r.text, from);
    const rest = r.text.slice(from + address.length, from + address.length + MAX_TOKEN + 3);
    const name = rest.startsWith(' (') ? until(rest, 2, ')') : undefined;
    const split = splitHostPort(address);
    addHost(r, name && name.length > 0 ? name : split.host, split.port);
  },
  'does not match host name "': (r, at) => addCheckedName(r, until(r.text, at, '"')),
  'server certificate for "': (r, at) => {
    const name = until(r.text, at, '"');
    if (name && !r.facts.certificate_names.includes(name)) r.facts.certificate_names.push(name);
  },
  // Go: x509: certificate is valid for a, b, not c
  'certificate is valid for ': (r, at) => {
    const line = r.text.slice(at, lineEnd(r.text, at));
    const not = line.lastIndexOf(', not ');
    if (not < 0) return;
    for (const name of line.slice(0, not).split(', ')) {
      const n = name.trim();
      if (n && n.length <= MAX_TOKEN && !r.facts.certificate_names.includes(n)) r.facts.certificate_names.push(n);
    }
    addCheckedName(r, token(r.text, at + not + ', not '.length));
  },
  'cannot validate certificate for ': (r, at) => addHost(r, token(r.text, at)),
  'but wanted to match ': (r, at) => addHost(r, token(r.text, at)),
  'hostname mismatch, certificate is not valid for ': (r, at) => addHost(r, until(r.text, at + 1, "'")),
  'ip address mismatch, certificate is not valid for ': (r, at) => addHost(r, until(r.text, at + 1, "'")),
  'the hostname ': (r, at) => {
    if (until(r.text, at, ' could not be verified') !== undefined) addHost(r, token(r.text, at));
  },
  'connect econnrefused ': (r, at) => addHost(r, token(r.text, at)),
  'connect etimedout ': (r, at) => addHost(r, token(r.text, at)),
  'connect econnreset ': (r, at) => addHost(r, token(r.text, at)),
  'connection to ': (r, at) => {
    const target = token(r.text, at);
    if (target.includes(':') && r.text.slice(at + target.length, at + target.length + 8).toLowerCase() === ' refused') addHost(r, target);
  },
  'postgresql://': (r, at) => fromUrl(r, at, 'postgresql://'.length),
  'postgres://': (r, at) => fromUrl(r, at, 'postgres://'.length),
  'cockroachdb://': (r, at) => fromUrl(r, at, 'cockroachdb://'.length),
  'kafka://': (r, at) => fromUrl(r, at, 'kafka://'.length),
  'webhook-https://': (r, at) => fromUrl(r, at, 'webhook-https://'.length),

  'root certificate file "': (r, at) => addFile(r, until(r.text, at, '"'), 'ca'),
  'private key file "': (r, at) => addFile(r, until(r.text, at, '"'), 'client'),
  'could not open certificate file "': (r, at) => addFile(r, until(r.text, at, '"'), 'client'),
  'key file ': (r, at) => {
    const path = until(r.text, at, ' has permissions');
    if (path !== undefined) addFile(r, path, 'client');
  },
  ': no such file or directory': (r, at) => {
    const start = lineStart(r.text, at);
    const found = pathInMissingFileLine(r.text.slice(start, lineEnd(r.text, at)).toLowerCase());
    if (found === undefined) return;
    // Same offsets in the original-case line: the lowercase copy only changed letters.
    const line = r.text.slice(start, lineEnd(r.text, at));
    const offset = line.toLowerCase().indexOf(found);
    addFile(r, offset >= 0 ? line.slice(offset, offset + found.length) : found);
  },
  'could not read ssl key file ': (r, at) => addFile(r, cleanHost(token(r.text, at)), 'client'),
  'could not open ssl root certificate file ': (r, at) => addFile(r, cleanHost(token(r.text, at)), 'ca'),
  'could not open ssl certificate file ': (r, at) => addFile(r, cleanHost(token(r.text, at)), 'client'),

  'for user "': (r, at) => addUser(r, until(r.text, at, '"', 64), 'requested'),
  'password authentication failed for user ': (r, at) => {
    if (r.text[at] !== '"') addUser(r, token(r.text, at, 64), 'requested');
  },
  'requested user is ': (r, at) => addUser(r, token(r.text, at, 64), 'requested'),
  'but certificate is for ': (r, at) => addUser(r, token(r.text, at, 64), 'certificate'),
  ') is valid for "': (r, at) => addUser(r, until(r.text, at, '"', 64), 'certificate'),
  'provided user name (': (r, at) => addUser(r, until(r.text, at, ')', 64), 'requested'),
  'authenticated user name (': (r, at) => addUser(r, until(r.text, at, ')', 64), 'certificate'),

  '(sqlstate ': (r, at) => {
    const code = token(r.text, at, 5);
    if (code.length === 5 && r.facts.sqlstate === null) r.facts.sqlstate = code.toUpperCase();
  },
  "invalid cluster identifier '": (r, at) => {
    const id = until(r.text, at, "'", 100);
    if (id && r.facts.routing_id === null) r.facts.routing_id = id;
  },
  '--cluster=': (r, at) => {
    const id = token(r.text, at, 100).split('&')[0];
    if (id && r.facts.routing_id === null) r.facts.routing_id = id;
  },
  // Only its presence matters (the engine reads it as "this is CockroachDB Cloud").
  'cockroachlabs.cloud': () => undefined,
  '--cluster%3d': (r, at) => {
    const id = token(r.text, at, 100).split('&')[0];
    if (id && r.facts.routing_id === null) r.facts.routing_id = id;
  },
};

export function emptyFacts(): Facts {
  return { hosts: [], files: [], users: [], certificate_names: [], sqlstate: null, routing_id: null };
}

/** Runs the extractor of each anchor found, at each of its first positions (start offsets). */
export function extractFacts(text: string, found: Array<{ anchor: string; positions: number[] }>): Facts {
  const reader: Reader = { text, facts: emptyFacts() };
  // In text order, so that the first host named is the first in the list.
  const occurrences = found.flatMap(({ anchor, positions }) => positions.map((position) => ({ anchor, position })));
  occurrences.sort((a, b) => a.position - b.position);
  for (const { anchor, position } of occurrences) ANCHORS[anchor]?.(reader, position + anchor.length);
  // A host the certificate is valid FOR is not the host that was dialled.
  reader.facts.hosts = reader.facts.hosts.filter((h) => !reader.facts.certificate_names.includes(h.host) || reader.facts.hosts.length === 1);
  return reader.facts;
}
