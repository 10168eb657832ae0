/**
 * How CockroachDB's Go code reads a sink URI (reference §5.2): `url.Parse`, then `u.Query()`
 * (= `url.ParseQuery` with its error ignored), then one value per name (`Values.Get`). Every rule
 * here follows Go's net/url source, because the point is to predict what CockroachDB sees, not
 * what a browser would see (WHATWG URL parsing differs: it keeps `;` pairs and bad `%` escapes).
 */
import { wellFormed } from '../core/unicode.js';

interface GoUrl {
  scheme: string;
  /** Everything between `//` and the path (user info, host, port), as written. */
  authority: string;
  path: string;
  /** The query without `?`, as written; what `u.Query()` parses. */
  rawQuery: string;
  /** What Go cut off at the first `#` (it never reaches the sink code). */
  fragment: string | null;
}

export type GoUrlResult = { ok: true; url: GoUrl } | { ok: false; error: string };

/** Go's stringContainsCTLByte: any byte below 0x20, or 0x7f. */
export const CONTROL_CHARACTER = /[\x00-\x1f\x7f]/;

/**
 * `url.Parse`: refuses control characters (a line break from wrapped base64 lands here:
 * `net/url: invalid control character in URL`), cuts the fragment at the first `#`, and splits
 * scheme, authority, path and query. Host validation is reduced to what sink URIs meet (invalid
 * characters, a port that is not a number). The error is Go's without its `parse "<url>": ` prefix.
 */
export function parseGoUrl(raw: string): GoUrlResult {
  const hash = raw.indexOf('#');
  const withoutFragment = hash >= 0 ? raw.slice(0, hash) : raw;
  const fragment = hash >= 0 ? raw.slice(hash + 1) : null;
  // Go's message starts with `parse "<the URL>": `; the URL is left out here because it may hold a key.
  const fail = (why: string): GoUrlResult => ({ ok: false, error: why });
  if (CONTROL_CHARACTER.test(withoutFragment)) return fail('net/url: invalid control character in URL');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(withoutFragment);
  if (!scheme) return fail('missing protocol scheme');
  let rest = withoutFragment.slice(scheme[0].length);
  const question = rest.indexOf('?');
  const rawQuery = question >= 0 ? rest.slice(question + 1) : '';
  if (question >= 0) rest = rest.slice(0, question);
  let authority = '';
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    authority = slash >= 0 ? rest.slice(2, slash) : rest.slice(2);
    rest = slash >= 0 ? rest.slice(slash) : '';
    const host = authority.slice(authority.lastIndexOf('@') + 1);
    const bad = /[ "<>\\^`{|}]/.exec(host);
    if (bad) return fail(`invalid character ${JSON.stringify(bad[0])} in host name`);
    // parseHost: after the last ':' of a host that is not [IPv6], only digits (the port) may follow.
    const colon = host.startsWith('[') ? host.indexOf(']:') + 1 : host.lastIndexOf(':');
    if (colon > 0 && !/^:\d*$/.test(host.slice(colon))) return fail('invalid port after host');
  }
  return { ok: true, url: { scheme: scheme[1]!.toLowerCase(), authority, path: rest, rawQuery, fragment } };
}

const isHex = (c: string | undefined) => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

/** Go's `url.QueryUnescape`: `+` becomes a space, `%XX` a byte; a bad escape is an error. */
export function goQueryUnescape(s: string): { ok: true; value: string } | { ok: false; error: string } {
  const bytes: number[] = [];
  const utf8 = Buffer.from(s, 'utf8');
  for (let i = 0; i < utf8.length; i++) {
    const b = utf8[i]!;
    if (b === 0x25 /* % */) {
      const h1 = String.fromCharCode(utf8[i + 1] ?? 0);
      const h2 = String.fromCharCode(utf8[i + 2] ?? 0);
      if (i + 2 >= utf8.length || !isHex(h1) || !isHex(h2)) {
        return { ok: false, error: `invalid URL escape ${JSON.stringify(utf8.subarray(i, i + 3).toString('utf8'))}` };
      }
      bytes.push(parseInt(h1 + h2, 16));
      i += 2;
    } else if (b === 0x2b /* + */) {
      bytes.push(0x20);
    } else {
      bytes.push(b);
    }
  }
  return { ok: true, value: Buffer.from(bytes).toString('utf8') };
}

/** One `&`-separated piece of the raw query and what Go made of it. */
export interface QuerySegment {
  /** Offset of the segment in the raw query. */
  offset: number;
  raw: string;
  rawKey: string;
  rawValue: string;
  /** Decoded name and value when Go kept the pair. */
  key?: string;
  value?: string;
  /** Why Go dropped the pair (`u.Query()` ignores the error and loses the pair). */
  dropped?: string;
}

/** Go ≥1.17 `parseQuery`: split on `&`, drop pairs holding `;` or a bad escape, unescape the rest. */
export function parseGoQuery(rawQuery: string): QuerySegment[] {
  const segments: QuerySegment[] = [];
  let offset = 0;
  for (const raw of rawQuery.split('&')) {
    const start = offset;
    offset += raw.length + 1;
    if (raw === '') continue;
    const eq = raw.indexOf('=');
    const rawKey = eq >= 0 ? raw.slice(0, eq) : raw;
    const rawValue = eq >= 0 ? raw.slice(eq + 1) : '';
    const segment: QuerySegment = { offset: start, raw, rawKey, rawValue };
    if (raw.includes(';')) {
      segment.dropped = 'invalid semicolon separator in query';
    } else {
      const key = goQueryUnescape(rawKey);
      const value = goQueryUnescape(rawValue);
      if (!key.ok) segment.dropped = key.error;
      else if (!value.ok) segment.dropped = value.error;
      else {
        segment.key = key.value;
        segment.value = value.value;
      }
    }
    segments.push(segment);
  }
  return segments;
}

/**
 * Percent-encodes a query name or value so that Go's `ParseQuery` returns it unchanged: every
 * byte except the RFC 3986 unreserved set is escaped. That is stricter than `encodeURIComponent`
 * (which leaves `!'()*`): a `'` left raw would also end the SQL string literal around the URI.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(wellFormed(value)).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Go's `strconv.ParseBool`, which `ConsumeBool` uses for tls_enabled and friends. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}
