/**
 * Turns whatever a person pasted into text the matcher can read: JSON-escaped strings unescaped
 * (`\"`, `\n`, `\u0027` — a TypeORM error dumped with JSON.stringify, a log line from a JSON
 * logger), ANSI colours dropped, CRLF and tabs folded, runs of spaces collapsed (psql prints
 * `FATAL:  ` with two), typographic quotes and the HTML entities Slack sends made plain.
 *
 * Every pass is one left-to-right walk over the input with bounded look-ahead (at most 6
 * characters), so the cost is linear in the input whatever it contains. No regular expressions.
 * Timestamps and log prefixes are left in place: the matcher looks for literal phrases, which a
 * prefix on the same line does not disturb.
 */

/** The hard cap on what is normalised, in UTF-16 code units (1 MiB of ASCII). */
const MAX_NORMALIZED_LENGTH = 1_048_576;

export interface NormalizedText {
  text: string;
  /** Characters dropped because the input was longer than the cap. */
  truncated: number;
  /** How many escape sequences were decoded (JSON-dumped input shows up here). */
  unescaped: number;
}

const BACKSLASH = 92;
const HEX_DIGITS = '0123456789abcdefABCDEF';

function hexValue(text: string, at: number, digits: number): number {
  let value = 0;
  for (let i = 0; i < digits; i++) {
    const ch = text[at + i];
    if (ch === undefined) return -1;
    const digit = HEX_DIGITS.indexOf(ch);
    if (digit < 0) return -1;
    value = value * 16 + (digit > 15 ? digit - 6 : digit);
  }
  return value;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\n', t: ' ', '"': '"', "'": "'", '\\': '\\', '/': '/' };
const ENTITIES: Array<[string, string]> = [['&quot;', '"'], ['&#39;', "'"], ['&#x27;', "'"], ['&lt;', '<'], ['&gt;', '>'], ['&amp;', '&'], ['&nbsp;', ' ']];

/** One pass of escape decoding; returns the text and how many escapes it decoded. */
function unescapeOnce(text: string): { text: string; count: number } {
  if (text.indexOf('\\') < 0) return { text, count: 0 };
  const parts: string[] = [];
  let runStart = 0;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== BACKSLASH) continue;
    const next = text[i + 1];
    if (next === undefined) break;
    let replacement: string | undefined = SIMPLE_ESCAPES[next];
    let consumed = 2;
    if (replacement === undefined && next === 'u') {
      const code = hexValue(text, i + 2, 4);
      if (code >= 0) {
        replacement = String.fromCharCode(code);
        consumed = 6;
      }
    } else if (replacement === undefined && next === 'x') {
      const code = hexValue(text, i + 2, 2);
      if (code >= 0) {
        replacement = String.fromCharCode(code);
        consumed = 4;
      }
    }
    if (replacement === undefined) continue;
    parts.push(text.slice(runStart, i), replacement);
    count++;
    i += consumed - 1;
    runStart = i + 1;
  }
  parts.push(text.slice(runStart));
  return { text: parts.join(''), count };
}

/** ANSI colours out, CR/tab/nbsp folded, spaces collapsed, typographic quotes and entities made plain. */
function foldCharacters(text: string): string {
  const parts: string[] = [];
  let runStart = 0;
  const flush = (end: number, replacement: string, resume: number) => {
    parts.push(text.slice(runStart, end), replacement);
    runStart = resume;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x1b) {
      // ESC [ params letter: skip at most 32 characters of parameters.
      let end = i + 1;
      if (text.charCodeAt(end) === 0x5b) {
        end++;
        const limit = Math.min(text.length, end + 32);
        while (end < limit) {
          const p = text.charCodeAt(end);
          end++;
          if ((p >= 0x40 && p <= 0x5a) || (p >= 0x61 && p <= 0x7a)) break;
        }
      }
      flush(i, '', end);
      i = end - 1;
    } else if (c === 13) {
      // CRLF → LF, lone CR → LF
      flush(i, text.charCodeAt(i + 1) === 10 ? '' : '\n', i + 1);
    } else if (c === 9 || c === 0xa0 || c === 32) {
      let end = i + 1;
      while (end < text.length) {
        const n = text.charCodeAt(end);
        if (n !== 9 && n !== 0xa0 && n !== 32) break;
        end++;
      }
      if (c !== 32 || end > i + 1) {
        flush(i, ' ', end);
      }
      i = end - 1;
    } else if (c === 0x201c || c === 0x201d || c === 0x201e) {
      flush(i, '"', i + 1);
    } else if (c === 0x2018 || c === 0x2019) {
      flush(i, "'", i + 1);
    } else if (c === 38 /* & */) {
      for (const [entity, replacement] of ENTITIES) {
        if (text.startsWith(entity, i)) {
          flush(i, replacement, i + entity.length);
          i += entity.length - 1;
          break;
        }
      }
    }
  }
  parts.push(text.slice(runStart));
  return parts.join('');
}

export function normalizeErrorText(input: string): NormalizedText {
  const truncated = Math.max(0, input.length - MAX_NORMALIZED_LENGTH);
  let text = truncated ? input.slice(0, MAX_NORMALIZED_LENGTH) : input;
  // JSON inside JSON (a log line whose message is a JSON-dumped error) escapes twice; three passes
  // cover that and more, and a pass that decodes nothing ends the loop.
  let unescaped = 0;
  for (let pass = 0; pass < 3; pass++) {
    const result = unescapeOnce(text);
    text = result.text;
    unescaped += result.count;
    if (result.count === 0) break;
  }
  return { text: foldCharacters(text), truncated, unescaped };
}
