/**
 * TLS material as CockroachDB receives it after base64 decoding (reference §5.2): ca_cert goes
 * through Go's `CertPool.AppendCertsFromPEM`, client_cert + client_key through
 * `tls.X509KeyPair`. Both read PEM only, so each view says how the bytes are encoded and the
 * Go error texts are reproduced, because those are what people paste from a failed changefeed.
 */
import crypto from 'node:crypto';
import { parseCertificateDer, type ParsedCertificate } from '../pki/certificate.js';
import { keyMatches } from '../pki/keys.js';
import { scanPemBlocks, toPem } from '../pki/pem.js';

export type KeyFormat = 'PKCS#1' | 'PKCS#8' | 'SEC1';
type Encoding = 'pem' | 'der' | 'other';

interface GoPemBlock {
  type: string;
  der: Buffer;
  /** RFC 1421 headers such as `Proc-Type: 4,ENCRYPTED` (legacy encrypted keys). */
  headers: string[];
}

/**
 * The blocks Go's `pem.Decode` would return, in order, with their headers. Found by scanPemBlocks
 * (linear) rather than the regex /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g
 * it replaces, which took minutes on a file of many BEGIN lines (test/fuzz).
 */
function goPemBlocks(text: string): GoPemBlock[] {
  const blocks: GoPemBlock[] = [];
  for (const { type, body: raw } of scanPemBlocks(text, 'required')) {
    const lines = raw.split(/\r?\n/);
    const headers = lines.filter((line) => line.includes(':'));
    const body = lines.filter((line) => !line.includes(':')).join('').replace(/\s+/g, '');
    blocks.push({ type, der: Buffer.from(body, 'base64'), headers });
  }
  return blocks;
}

const looksLikeDer = (bytes: Buffer) => bytes.length > 2 && bytes[0] === 0x30 && (bytes[1]! & 0x80) !== 0;
const isPemText = (bytes: Buffer) => bytes.includes('-----BEGIN ');
const isKeyType = (type: string) => type === 'PRIVATE KEY' || type.endsWith(' PRIVATE KEY');

export interface CertificateView {
  encoding: Encoding;
  /** The certificates Go would use, in order (for a DER input: the one it would NOT use). */
  certificates: ParsedCertificate[];
  /** PEM blocks that are not certificates, by type (a key pasted into ca_cert, ...). */
  otherBlocks: string[];
  /** A certificate block that is not valid X.509. */
  parseError?: string;
}

export function viewCertificates(bytes: Buffer, label: string, now = new Date()): CertificateView {
  if (isPemText(bytes)) {
    const blocks = goPemBlocks(bytes.toString('utf8'));
    const certificates: ParsedCertificate[] = [];
    let parseError: string | undefined;
    blocks.filter((b) => b.type === 'CERTIFICATE').forEach((block, i, all) => {
      try {
        certificates.push(parseCertificateDer(block.der, all.length > 1 ? `${label} (certificate #${i + 1})` : label, now));
      } catch (error) {
        parseError ??= (error as Error).message;
      }
    });
    const otherBlocks = blocks.filter((b) => b.type !== 'CERTIFICATE').map((b) => b.type);
    return { encoding: 'pem', certificates, otherBlocks, ...(parseError ? { parseError } : {}) };
  }
  if (looksLikeDer(bytes)) {
    try {
      return { encoding: 'der', certificates: [parseCertificateDer(bytes, label, now)], otherBlocks: [] };
    } catch (error) {
      return { encoding: 'der', certificates: [], otherBlocks: [], parseError: (error as Error).message };
    }
  }
  return { encoding: 'other', certificates: [], otherBlocks: [] };
}

export interface KeyView {
  encoding: Encoding;
  format?: KeyFormat;
  encrypted: boolean;
  key?: crypto.KeyObject;
  /** The PEM block type Go would pick, when PEM. */
  blockType?: string;
  /** Why the key cannot be used, when it cannot. */
  error?: string;
}

const FORMAT_OF_BLOCK: Record<string, KeyFormat> = { 'RSA PRIVATE KEY': 'PKCS#1', 'EC PRIVATE KEY': 'SEC1', 'PRIVATE KEY': 'PKCS#8', 'ENCRYPTED PRIVATE KEY': 'PKCS#8' };
const NODE_TYPE: Record<KeyFormat, 'pkcs1' | 'pkcs8' | 'sec1'> = { 'PKCS#1': 'pkcs1', 'PKCS#8': 'pkcs8', SEC1: 'sec1' };

export function viewPrivateKey(bytes: Buffer): KeyView {
  if (isPemText(bytes)) {
    const block = goPemBlocks(bytes.toString('utf8')).find((b) => isKeyType(b.type));
    if (!block) return { encoding: 'pem', encrypted: false, error: 'no PEM block of a private key' };
    const format = FORMAT_OF_BLOCK[block.type];
    const encrypted = block.type === 'ENCRYPTED PRIVATE KEY' || block.headers.some((h) => /^Proc-Type:\s*4,ENCRYPTED/i.test(h));
    const base = { encoding: 'pem' as const, blockType: block.type, encrypted, ...(format ? { format } : {}) };
    if (encrypted) return { ...base, error: 'the key is encrypted' };
    if (!format) return { ...base, error: `a ${block.type} is not a key type CockroachDB reads (PKCS#1, PKCS#8 or SEC1)` };
    try {
      return { ...base, key: crypto.createPrivateKey({ key: block.der, format: 'der', type: NODE_TYPE[format] }) };
    } catch (error) {
      return { ...base, error: `the ${block.type} block does not parse (${(error as Error).message})` };
    }
  }
  if (bytes.length > 2 && bytes[0] === 0x30) {
    for (const format of ['PKCS#8', 'PKCS#1', 'SEC1'] as const) {
      try {
        return { encoding: 'der', format, encrypted: false, key: crypto.createPrivateKey({ key: bytes, format: 'der', type: NODE_TYPE[format] }) };
      } catch (error) {
        // An EncryptedPrivateKeyInfo parses as far as the passphrase prompt.
        if ((error as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE') return { encoding: 'der', format, encrypted: true, error: 'the key is encrypted' };
      }
    }
    return { encoding: 'der', encrypted: false, error: 'DER bytes that are not a private key' };
  }
  return { encoding: 'other', encrypted: false, error: 'neither PEM nor DER' };
}

/** PEM for a DER certificate, wrapped at 64 columns like `openssl x509 -inform DER -outform PEM`. */
export const certificatePemFromDer = (der: Buffer) => toPem('CERTIFICATE', der);

/** PEM for a key read from DER, in the same format (PKCS#1 stays PKCS#1, ...), like `openssl pkey -inform DER`. */
export const keyPemFromKey = (key: crypto.KeyObject, format: KeyFormat) => key.export({ format: 'pem', type: NODE_TYPE[format] }) as string;

/** How many certificates Go's `AppendCertsFromPEM` adds: CERTIFICATE blocks without headers that parse. */
export function goAppendCertsFromPem(bytes: Buffer): number {
  if (!isPemText(bytes)) return 0;
  return goPemBlocks(bytes.toString('utf8')).filter((b) => {
    if (b.type !== 'CERTIFICATE' || b.headers.length > 0) return false;
    try {
      new crypto.X509Certificate(b.der);
      return true;
    } catch {
      return false;
    }
  }).length;
}

/** The error Go's `tls.X509KeyPair(cert, key)` returns, or null when it accepts the pair (crypto/tls/tls.go). */
export function goX509KeyPairError(certBytes: Buffer, keyBytes: Buffer): string | null {
  const certBlocks = goPemBlocks(certBytes.toString('utf8'));
  const certificates = certBlocks.filter((b) => b.type === 'CERTIFICATE');
  if (certificates.length === 0) {
    const skipped = certBlocks.map((b) => b.type);
    if (skipped.length === 0) return 'tls: failed to find any PEM data in certificate input';
    if (skipped.length === 1 && skipped[0]!.endsWith('PRIVATE KEY')) {
      return 'tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched';
    }
    return `tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of the following types: [${skipped.join(' ')}]`;
  }
  const keyBlocks = goPemBlocks(keyBytes.toString('utf8'));
  const keyIndex = keyBlocks.findIndex((b) => isKeyType(b.type));
  if (keyIndex < 0) {
    const skipped = keyBlocks.map((b) => b.type);
    if (skipped.length === 0) return 'tls: failed to find any PEM data in key input';
    if (skipped.length === 1 && skipped[0] === 'CERTIFICATE') return 'tls: found a certificate rather than a key in the PEM for the private key';
    return `tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM blocks of the following types: [${skipped.join(' ')}]`;
  }
  let leaf: crypto.X509Certificate;
  try {
    leaf = new crypto.X509Certificate(certificates[0]!.der);
  } catch {
    return 'x509: malformed certificate';
  }
  // Go's parsePrivateKey tries PKCS#1, PKCS#8 and SEC1 on the block's bytes whatever its label.
  const der = keyBlocks[keyIndex]!.der;
  let key: crypto.KeyObject | undefined;
  for (const type of ['pkcs1', 'pkcs8', 'sec1'] as const) {
    try {
      key = crypto.createPrivateKey({ key: der, format: 'der', type });
      break;
    } catch {
      // next format
    }
  }
  if (!key) return 'tls: failed to parse private key';
  return keyMatches(key, leaf.publicKey) ? null : 'tls: private key does not match public key';
}
