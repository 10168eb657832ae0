/**
 * The URL form of pasted connection settings (`postgresql://user:pass@host:26257/db?sslmode=...`,
 * `jdbc:postgresql://...`, `cockroachdb+psycopg2://...`), walked by hand without regular expressions.
 */
import { wellFormed } from '../core/unicode.js';
import { decode, isSecret, libpqSslmode, MASK, parsePort, splitHostPort, type ParsedConnection } from './pasted-parts.js';

function isSchemeChar(c: number, first: boolean): boolean {
  const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  if (first) return letter;
  return letter || (c >= 48 && c <= 57) || c === 43 /* + */ || c === 45 /* - */ || c === 46 /* . */ || c === 58; /* : (jdbc:postgresql) */
}

export function schemeEnd(text: string): number {
  const end = text.indexOf('://');
  if (end <= 0 || end > 40) return -1;
  for (let i = 0; i < end; i++) if (!isSchemeChar(text.charCodeAt(i), i === 0)) return -1;
  return end;
}

export function encodeQueryValue(value: string): string {
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

export function parseUrl(text: string, end: number): ParsedConnection {
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
