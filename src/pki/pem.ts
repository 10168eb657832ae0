import { ToolError } from '../core/errors.js';

export interface PemBlock {
  type: string;
  der: Buffer;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n?([\s\S]*?)-----END \1-----/g;

/** Every PEM block of a text, in order; headers (Proc-Type, DEK-Info) are kept out of the bytes. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const body = match[2]!.split(/\r?\n/).filter((line) => !line.includes(':')).join('');
    blocks.push({ type: match[1]!, der: Buffer.from(body.replace(/\s+/g, ''), 'base64') });
  }
  return blocks;
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
  if (looksLikeDer(bytes)) return [bytes];
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
