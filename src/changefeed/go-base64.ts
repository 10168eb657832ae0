/**
 * Go's `base64.StdEncoding.DecodeString`, which CockroachDB applies to ca_cert, client_cert,
 * client_key and sasl_client_secret (changefeedbase/sink_url.go `DecodeBase64FromString`,
 * reference §5.2). Node's Buffer decoder is lenient (URL-safe letters, missing padding, spaces);
 * Go's is not, and the error offset it reports is what people paste, so this follows Go's
 * `decodeQuantum` step by step: standard alphabet only, padding required, `\r` and `\n` skipped.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Map([...ALPHABET].map((c, i) => [c.charCodeAt(0), i]));
const PAD = 0x3d; // '='
const isNewline = (b: number | undefined) => b === 0x0a || b === 0x0d;

export type GoBase64Result = { ok: true; bytes: Buffer } | { ok: false; offset: number; error: string };

const corrupt = (offset: number): GoBase64Result => ({ ok: false, offset, error: `illegal base64 data at input byte ${offset}` });

export function decodeGoStdBase64(text: string): GoBase64Result {
  const src = Buffer.from(text, 'utf8');
  const out: number[] = [];
  let si = 0;
  for (;;) {
    const quantum = [0, 0, 0, 0];
    let dlen = 4;
    let trailing: number | undefined;
    let j = 0;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return { ok: true, bytes: Buffer.from(out) };
        return corrupt(si - j); // StdEncoding pads, so any short final quantum is corrupt
      }
      const input = src[si]!;
      si++;
      const value = DECODE.get(input);
      if (value !== undefined) {
        quantum[j] = value;
        continue;
      }
      if (isNewline(input)) {
        j--;
        continue;
      }
      if (input !== PAD) return corrupt(si - 1);
      if (j === 0 || j === 1) return corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && isNewline(src[si])) si++;
        if (si === src.length) return corrupt(src.length);
        if (src[si] !== PAD) return corrupt(si - 1);
        si++;
      }
      while (si < src.length && isNewline(src[si])) si++;
      if (si < src.length) trailing = si;
      dlen = j;
      break;
    }
    const value = (quantum[0]! << 18) | (quantum[1]! << 12) | (quantum[2]! << 6) | quantum[3]!;
    const bytes = [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
    out.push(...bytes.slice(0, dlen - 1));
    if (trailing !== undefined) return corrupt(trailing);
    if (dlen < 4) return { ok: true, bytes: Buffer.from(out) };
  }
}

/** What CockroachDB wants: standard alphabet, padded, one line. */
export const encodeStdBase64 = (bytes: Buffer) => bytes.toString('base64');
