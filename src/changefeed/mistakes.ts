/**
 * The encoding mistakes people make when they put values into a sink URI by hand, recognised from
 * the raw text and from what Go made of it (reference §5.2): line-wrapped base64, DER base64'd
 * with its `+` left raw, URL-safe or unpadded base64, base64 applied twice, reserved characters
 * left raw in other values. Each explanation also recovers the bytes the person meant, so that
 * decode can go on to check the certificate or key inside.
 */
import { decodeGoStdBase64 } from './go-base64.js';
import { goQueryUnescape } from './go-url.js';
import { problem, type SinkProblem, type Where } from './problems.js';

const WRAP_FIX = 'Encode on one line: base64 -w 0 FILE (GNU coreutils wraps at 76 columns without -w 0; on macOS: base64 -i FILE | tr -d \'\\n\'), then percent-encode the value; or let `crdb-tls changefeed-uri encode` build the URI.';
const PERCENT_FIX = 'Percent-encode every query value (JavaScript encodeURIComponent, Go url.QueryEscape, Python urllib.parse.quote(v, safe=\'\')), or let `crdb-tls changefeed-uri encode` build the URI.';

export interface Base64Explanation {
  /** The bytes CockroachDB gets, or (after a mistake) the bytes the person meant, when they can be recovered. */
  bytes?: Buffer;
  /** True when `bytes` were recovered from a broken value rather than decoded as CockroachDB would. */
  recovered: boolean;
  problems: SinkProblem[];
}

const isBase64Text = (bytes: Buffer) => bytes.length >= 16 && /^[A-Za-z0-9+/=\r\n]+$/.test(bytes.toString('latin1'));

/**
 * A ca_cert / client_cert / client_key value: `rawValue` as written in the URI, `goValue` after
 * Go's query unescaping. Never quotes the value itself (it may be a key).
 */
export function explainBase64Value(param: string, rawValue: string, goValue: string, where: Where): Base64Explanation {
  const problems: SinkProblem[] = [];
  const first = decodeGoStdBase64(goValue);
  const cockroachError = first.ok ? undefined : `param ${param} must be base 64 encoded: ${first.error}`;
  const push = (code: string, message: string, fix: string, level: SinkProblem['level'] = 'error') =>
    problems.push(problem({ code, level, where, param, message, fix, ...(cockroachError && level === 'error' ? { cockroach_error: cockroachError } : {}) }));

  if (first.ok) {
    if (/[\r\n]/.test(goValue)) {
      push('encoded_line_breaks', `${param} holds percent-encoded line breaks (line-wrapped base64). Go's base64 decoder skips \\r and \\n, so CockroachDB reads it, but other tools and a raw copy of the URI break on them.`, WRAP_FIX, 'info');
    }
    const inner = isBase64Text(first.bytes) ? decodeGoStdBase64(first.bytes.toString('latin1')) : undefined;
    if (inner?.ok && (inner.bytes.includes('-----BEGIN') || inner.bytes[0] === 0x30)) {
      push('double_base64', `${param} is base64 of base64: decoding it once gives more base64 text, not the PEM file CockroachDB needs.`, 'Base64-encode the PEM file once: base64 -w 0 FILE.');
      return { bytes: inner.bytes, recovered: true, problems };
    }
    return { bytes: first.bytes, recovered: false, problems };
  }

  let value = goValue;
  if (rawValue.includes('+')) {
    const kept = goQueryUnescape(rawValue.replace(/\+/g, '%2B'));
    if (kept.ok) value = kept.value;
    push('unencoded_plus', `The base64 in ${param} holds '+' characters that were not percent-encoded: Go's query parsing turns each '+' into a space and the base64 decoder stops at the first one. Base64 of PEM text never holds '+' (only letters, digits and '='), so this is base64 of binary data: most likely a DER certificate or key instead of the PEM file.`,
      `Base64 the PEM file, not DER (openssl x509 -inform DER -in FILE -out FILE.pem, or openssl pkey -inform DER for a key), and percent-encode the value ('+' is %2B, '/' %2F, '=' %3D). ${PERCENT_FIX}`);
  }
  if (/\s/.test(value.replace(/[\r\n]/g, ''))) {
    value = value.replace(/\s+/g, '');
    push('line_wrapped_base64', `${param} holds spaces inside its base64: line-wrapped base64 whose line breaks became spaces (a shell's word splitting, or a copy from a terminal), or '%20's. Go's base64 decoder refuses spaces.`, WRAP_FIX);
  }
  if (/[-_]/.test(value)) {
    value = value.replace(/-/g, '+').replace(/_/g, '/');
    push('url_safe_base64', `${param} uses the URL-safe base64 alphabet ('-' and '_'); CockroachDB decodes the standard alphabet only (base64.StdEncoding; the code has a TODO to accept both).`,
      'Use standard base64 (base64 -w 0, Buffer.toString(\'base64\'), Go base64.StdEncoding) and percent-encode it: percent-encoding, not the URL-safe alphabet, is what makes it safe in a URL.');
  }
  const unpadded = value.replace(/=+$/, '');
  if (/^[A-Za-z0-9+/]+$/.test(unpadded) && unpadded.length % 4 !== 0 && value.length % 4 !== 0) {
    value = unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4);
    push('unpadded_base64', `${param} lacks the '=' padding at the end (its length is not a multiple of 4); CockroachDB's base64.StdEncoding requires it (unpadded or base64url output is refused).`,
      'Keep the padding: use standard padded base64 (base64 -w 0) and percent-encode \'=\' as %3D.');
  }
  const repaired = decodeGoStdBase64(value);
  if (!repaired.ok) {
    push('invalid_base64', problems.length === 0
      ? `${param} is not valid base64 (standard alphabet, padded).`
      : `${param} is still not valid base64 after undoing the mistakes above.`, `Put base64 of the PEM file in ${param}: base64 -w 0 FILE, percent-encoded.`);
    return { recovered: false, problems };
  }
  return { bytes: repaired.bytes, recovered: true, problems };
}

/** A value that is not base64 (passwords, topic names): reserved characters Go reads differently from what was meant. */
export function explainPlainValue(param: string, rawValue: string, where: Where, secret: boolean): SinkProblem[] {
  if (!rawValue.includes('+')) return [];
  return [problem({
    code: 'unencoded_plus', level: secret ? 'error' : 'warning', where, param,
    message: secret
      ? `${param} holds a raw '+': Go's query parsing reads it as a space, so CockroachDB sends a different ${param.includes('password') ? 'password' : 'secret'} and the broker refuses it (SASL authentication failed).`
      : `${param} holds a raw '+', which CockroachDB reads as a space.`,
    fix: `Percent-encode the value ('+' is %2B). ${PERCENT_FIX}`,
  })];
}

export { PERCENT_FIX, WRAP_FIX };
