import type forge from 'node-forge';
import asn1 from 'node-forge/lib/asn1.js';
import forgeUtil from 'node-forge/lib/util.js';

/**
 * Thin, typed helpers over node-forge's DER codec: the one place that speaks ASN.1 bytes. Only
 * forge's asn1 and util modules are imported (src/types/node-forge-lib.d.ts): reading a
 * certificate loads 80 KB of forge, not all 600.
 */
export type Asn1 = forge.asn1.Asn1;
export const { Class, Type } = asn1;

export const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  country: '2.5.4.6',
  locality: '2.5.4.7',
  state: '2.5.4.8',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1WithRSA: '1.2.840.113549.1.1.5',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  ed25519: '1.3.101.112',
  extensionRequest: '1.2.840.113549.1.9.14',
} as const;

export const SIGNATURE_NAMES: Record<string, string> = {
  [OID.sha1WithRSA]: 'sha1WithRSAEncryption',
  [OID.sha256WithRSA]: 'sha256WithRSAEncryption',
  [OID.sha384WithRSA]: 'sha384WithRSAEncryption',
  [OID.sha512WithRSA]: 'sha512WithRSAEncryption',
  [OID.ecdsaWithSha1]: 'ecdsa-with-SHA1',
  [OID.ecdsaWithSha256]: 'ecdsa-with-SHA256',
  [OID.ecdsaWithSha384]: 'ecdsa-with-SHA384',
  [OID.ecdsaWithSha512]: 'ecdsa-with-SHA512',
  [OID.ed25519]: 'ED25519',
};

/** Parses DER; throws forge's error for malformed input (callers map it to a ToolError). */
export function fromDer(der: Buffer): Asn1 {
  // The typings only know the old boolean form of the options argument.
  const options = { strict: true, decodeBitStrings: false, parseAllBytes: true } as unknown as boolean;
  return asn1.fromDer(forgeUtil.createBuffer(der.toString('binary')), options);
}

export function toDer(node: Asn1): Buffer {
  return Buffer.from(asn1.toDer(node).getBytes(), 'binary');
}

export const seq = (items: Asn1[]) => asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, items);
export const set = (items: Asn1[]) => asn1.create(Class.UNIVERSAL, Type.SET, true, items);
export const oid = (dotted: string) => asn1.create(Class.UNIVERSAL, Type.OID, false, asn1.oidToDer(dotted).getBytes());
export const bool = (value: boolean) => asn1.create(Class.UNIVERSAL, Type.BOOLEAN, false, value ? '\xff' : '\x00');
export const nullValue = () => asn1.create(Class.UNIVERSAL, Type.NULL, false, '');
export const octets = (bytes: Buffer) => asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, bytes.toString('binary'));
export const utf8 = (text: string) => asn1.create(Class.UNIVERSAL, Type.UTF8, false, forgeUtil.encodeUtf8(text));
export const printable = (text: string) => asn1.create(Class.UNIVERSAL, Type.PRINTABLESTRING, false, text);
export const contextTag = (tag: number, constructed: boolean, value: Asn1[] | string) => asn1.create(Class.CONTEXT_SPECIFIC, tag, constructed, value);
/** A DER INTEGER from unsigned big-endian bytes (adds the leading zero when the high bit is set). */
export function unsignedInteger(bytes: Buffer): Asn1 {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  let body = bytes.subarray(start);
  if (body[0]! & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return asn1.create(Class.UNIVERSAL, Type.INTEGER, false, body.toString('binary'));
}
export const smallInteger = (n: number) => asn1.create(Class.UNIVERSAL, Type.INTEGER, false, asn1.integerToDer(n).getBytes());
/** BIT STRING with zero unused bits holding `bytes`. */
export const bitString = (bytes: Buffer) => asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, '\x00' + bytes.toString('binary'));
/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime after. */
export function time(date: Date): Asn1 {
  return date.getUTCFullYear() < 2050
    ? asn1.create(Class.UNIVERSAL, Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(Class.UNIVERSAL, Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

export function children(node: Asn1 | undefined): Asn1[] {
  return node && Array.isArray(node.value) ? (node.value as Asn1[]) : [];
}
export function bytesOf(node: Asn1 | undefined): Buffer {
  return node && typeof node.value === 'string' ? Buffer.from(node.value, 'binary') : Buffer.alloc(0);
}
export function oidOf(node: Asn1 | undefined): string {
  return node && typeof node.value === 'string' ? asn1.derToOid(node.value) : '';
}
export function textOf(node: Asn1 | undefined): string {
  if (!node || typeof node.value !== 'string') return '';
  if (node.type === Type.BMPSTRING) return Buffer.from(node.value, 'binary').swap16().toString('utf16le');
  return node.type === Type.UTF8 ? forgeUtil.decodeUtf8(node.value) : node.value;
}
export function dateOf(node: Asn1 | undefined): Date {
  if (!node || typeof node.value !== 'string') return new Date(NaN);
  return node.type === Type.UTCTIME ? asn1.utcTimeToDate(node.value) : asn1.generalizedTimeToDate(node.value);
}
export function integerOf(node: Asn1 | undefined): number {
  return node && typeof node.value === 'string' ? asn1.derToInteger(node.value) : NaN;
}
export const asn1Raw = asn1;
