import { ToolError } from '../core/errors.js';

export interface PemBlock {
  type: string;
  der: Buffer;
}

/** A PEM block as found in text: its type and the text between the BEGIN line and the END line. */
export interface RawPemBlock {
  type: string;
  body: string;
}

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const DASHES = '-----';
const isTypeChar = (c: number) => (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 32;

/** `T-----` at `start` (T of [A-Z0-9 ]+): the type and where the line's dashes end. */
function typeAt(text: string, start: number): { type: string; after: number } | undefined {
  let i = start;
  while (i < text.length && isTypeChar(text.charCodeAt(i))) i++;
  if (i === start || !text.startsWith(DASHES, i)) return undefined;
  return { type: text.slice(start, i), after: i + DASHES.length };
}

/**
 * The blocks `/-----BEGIN ([A-Z0-9 ]+)-----\r?\n?([\s\S]*?)-----END \1-----/g` matches (with
 * `newline: 'required'`, `\r?\n` after the BEGIN line), found in linear time. The regex itself
 * is quadratic on text with many BEGIN lines and no END: a pasted MiB of them took ~30 s and
 * stalled the whole server (test/fuzz).
 */
export function scanPemBlocks(text: string, newline: 'optional' | 'required' = 'optional'): RawPemBlock[] {
  const ends = new Map<string, number[]>();
  for (let i = text.indexOf(END); i !== -1; i = text.indexOf(END, i + 1)) {
    const found = typeAt(text, i + END.length);
    if (!found) continue;
    const list = ends.get(found.type);
    if (list) list.push(i);
    else ends.set(found.type, [i]);
  }
  const nextEnd = new Map<string, number>();
  const blocks: RawPemBlock[] = [];
  for (let i = text.indexOf(BEGIN); i !== -1; i = text.indexOf(BEGIN, i + 1)) {
    const header = typeAt(text, i + BEGIN.length);
    if (!header) continue;
    let body = header.after;
    if (text.charCodeAt(body) === 13) body++;
    if (text.charCodeAt(body) === 10) body++;
    else if (newline === 'required') continue;
    const list = ends.get(header.type);
    if (!list) continue;
    let k = nextEnd.get(header.type) ?? 0;
    while (k < list.length && list[k]! < body) k++;
    nextEnd.set(header.type, k);
    const endAt = list[k];
    if (endAt === undefined) continue;
    blocks.push({ type: header.type, body: text.slice(body, endAt) });
    // Like the regex's lastIndex: the next block starts after this END line.
    i = endAt + END.length + header.type.length + DASHES.length - 1;
  }
  return blocks;
}

const PLAIN_BASE64_LINES = /^[A-Za-z0-9+/=\r\n]*$/;

/** Every PEM block of a text, in order; headers (Proc-Type, DEK-Info) are kept out of the bytes. */
export function pemBlocks(text: string): PemBlock[] {
  return scanPemBlocks(text).map(({ type, body }) => {
    // Only base64 and line breaks (nearly every block): Node's decoder skips the breaks itself,
    // giving the same bytes as the joined lines (test/unit/pem.test.ts) without three copies.
    if (PLAIN_BASE64_LINES.test(body)) return { type, der: Buffer.from(body, 'base64') };
    const base64 = body.split(/\r?\n/).filter((line) => !line.includes(':')).join('');
    return { type, der: Buffer.from(base64.replace(/\s+/g, ''), 'base64') };
  });
}

export function toPem(type: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

const looksLikeDer = (bytes: Buffer) => bytes.length > 2 && bytes[0] === 0x30 && (bytes[1]! & 0x80) !== 0;

/**
 * The DER certificates held by file contents or pasted text: PEM (one or many blocks), raw DER,
 * or DER as bare base64 (what people paste from a URI parameter or a secret).
 */
export function certificateDers(input: Buffer | string, source: string): Buffer[] {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  // PEM first: text that happens to start with "0" and a non-ASCII character looks like DER (test/fuzz).
  if (looksLikeDer(bytes) && !bytes.includes('-----BEGIN ')) return [bytes];
  const text = bytes.toString('utf8');
  if (text.includes('-----BEGIN')) {
    const blocks = pemBlocks(text);
    const certs = blocks.filter((b) => b.type === 'CERTIFICATE' || b.type === 'X509 CERTIFICATE' || b.type === 'TRUSTED CERTIFICATE');
    if (certs.length > 0) return certs.map((b) => b.der);
    const found = blocks.map((b) => b.type).join(', ') || 'a malformed PEM block';
    throw new ToolError('invalid_certificate', `${source} holds no certificate (found ${found})`, 'Give a PEM file with -----BEGIN CERTIFICATE----- blocks, or a DER certificate.');
  }
  const compact = text.replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact) && compact.length >= 64) {
    const decoded = Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (looksLikeDer(decoded)) return [decoded];
    if (decoded.toString('utf8').includes('-----BEGIN')) return certificateDers(decoded, `${source} (base64-decoded)`);
  }
  throw new ToolError('invalid_certificate', `${source} is not a certificate: no PEM block and not DER`, 'Give a PEM certificate (-----BEGIN CERTIFICATE-----), a DER file, or base64 of either.');
}
