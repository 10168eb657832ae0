import crypto from 'node:crypto';
import { TAG, childrenOf, contentsOf, elementOf, isOid, isWellFormedOid, positiveInteger, rootOf, tlvAt, type Tlv } from './der-reader.js';

/**
 * Whether a certificate can do without OpenSSL's parser. `new X509Certificate` costs ~140 µs in
 * OpenSSL 3.0, nearly all of it the decoder set-up for the public key (bench/profile-list.ts: more
 * than half of `cert list`); a listing or an inventory needs OpenSSL's verdict on the bytes, the
 * key's type and size, the fingerprint, and the signature checked against a CA's key. For a
 * certificate in the shape CockroachDB and nearly every CA issue (strict DER, an RSA key, RSA or
 * ECDSA signature, names of UTF8/Printable/IA5 strings) those are answered here at the cost of
 * a strict DER walk: OpenSSL accepts every certificate of this shape (test/fuzz/certificate-shape
 * compares the two on mutated certificates), so its verdict is known without asking. Anything
 * else, unusual or merely unknown here, is not of this shape and is parsed by OpenSSL as before.
 */
export interface CertificateShape {
  /** The signed bytes (the whole TBSCertificate element). */
  tbs: Buffer;
  /** The outer signatureAlgorithm and the one inside the TBSCertificate, whole elements. */
  signatureAlgorithm: Buffer;
  tbsSignatureAlgorithm: Buffer;
  /** The signature's bytes (the BIT STRING's, its unused-bits byte being 0). */
  signature: Buffer;
  /** The RSA public key's modulus and exponent, without sign bytes. */
  rsa: { n: Buffer; e: Buffer };
  /** The issuer and subject Names, whole elements (in strict DER, what re-encoding them gives). */
  issuer: Buffer;
  subject: Buffer;
}

/**
 * What the validating walk found on its way, for certificate-fields.ts to read the fields without
 * walking the TBSCertificate again (the two walks' element lists were a fifth of a cold 1,000-certificate
 * listing's allocations, README: listing). Positions in the whole certificate's DER. Not kept on the
 * parsed certificate: it is dropped once the fields are read.
 */
export interface ShapeWalk {
  serial: Tlv;
  /** Each attribute of the Name, in order: [type OID, string value]. */
  issuer: Tlv[][];
  subject: Tlv[][];
  notBefore: Tlv;
  notAfter: Tlv;
  /** Each extension's parts: [OID, OCTET STRING] or [OID, BOOLEAN TRUE, OCTET STRING]. */
  extensions: Tlv[][];
  /** The outer signatureAlgorithm's OID. */
  signatureOid: Tlv;
}

const oidBytes = (dotted: string) => {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const groups = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  }
  return Buffer.from(out);
};
const RSA_ENCRYPTION = oidBytes('1.2.840.113549.1.1.1');

/** The signatures verified here: digest and key type (OpenSSL's OBJ_find_sigid_algs for each OID). */
const SIGNATURES = new Map<string, { digest: string; keyType: 'rsa' | 'ec' }>(
  ([
    ['1.2.840.113549.1.1.5', 'sha1', 'rsa'],
    ['1.2.840.113549.1.1.11', 'sha256', 'rsa'],
    ['1.2.840.113549.1.1.12', 'sha384', 'rsa'],
    ['1.2.840.113549.1.1.13', 'sha512', 'rsa'],
    ['1.2.840.10045.4.1', 'sha1', 'ec'],
    ['1.2.840.10045.4.3.2', 'sha256', 'ec'],
    ['1.2.840.10045.4.3.3', 'sha384', 'ec'],
    ['1.2.840.10045.4.3.4', 'sha512', 'ec'],
  ] as const).map(([oid, digest, keyType]) => [oidBytes(oid).toString('hex'), { digest, keyType }]),
);

/** PrintableString's characters (X.680 §41.4), by byte. */
const PRINTABLE = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?") PRINTABLE[c.charCodeAt(0)] = 1;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether every byte of the element is below 0x80 (and, with `printable`, a PrintableString character). */
function allBytes(der: Buffer, value: Tlv, printable: boolean): boolean {
  for (let i = value.start; i < value.end; i++) {
    const c = der[i]!;
    if (printable ? PRINTABLE[c] !== 1 : c >= 0x80) return false;
  }
  return true;
}

function isPlainString(der: Buffer, value: Tlv): boolean {
  if (value.tag === TAG.UTF8) {
    // ASCII is UTF-8; only other text needs the decoder's verdict.
    if (allBytes(der, value, false)) return true;
    try {
      utf8.decode(contentsOf(der, value));
      return true;
    } catch {
      return false;
    }
  }
  if (value.tag === TAG.PRINTABLE) return allBytes(der, value, true);
  if (value.tag === TAG.IA5) return allBytes(der, value, false);
  return false;
}

/** Name: SEQUENCE OF non-empty SET OF { OID, string }; each attribute's parts pushed onto `attributesOut`. */
function isPlainName(der: Buffer, name: Tlv, attributesOut: Tlv[][]): boolean {
  if (name.tag !== TAG.SEQUENCE) return false;
  const rdns = childrenOf(der, name);
  if (!rdns) return false;
  for (const rdn of rdns) {
    const attributes = rdn.tag === TAG.SET ? childrenOf(der, rdn) : undefined;
    if (!attributes || attributes.length === 0) return false;
    for (const attribute of attributes) {
      const parts = attribute.tag === TAG.SEQUENCE ? childrenOf(der, attribute) : undefined;
      if (!parts || parts.length !== 2 || !isWellFormedOid(der, parts[0]) || !isPlainString(der, parts[1]!)) return false;
      attributesOut.push(parts);
    }
  }
  return true;
}

/** UTCTime of 12 digits or GeneralizedTime of 14, then Z, its month, day and time in range. */
function isPlainTime(der: Buffer, time: Tlv | undefined): boolean {
  if (!time) return false;
  const digits = time.tag === TAG.UTC_TIME ? 12 : time.tag === TAG.GENERALIZED_TIME ? 14 : -1;
  if (time.end - time.start !== digits + 1 || der[time.end - 1] !== 0x5a) return false;
  for (let i = time.start; i < time.end - 1; i++) if (der[i]! < 0x30 || der[i]! > 0x39) return false;
  const two = (i: number) => (der[time.start + digits - 10 + 2 * i]! - 0x30) * 10 + der[time.start + digits - 9 + 2 * i]! - 0x30;
  const month = two(0);
  const day = two(1);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && two(2) <= 23 && two(3) <= 59 && two(4) <= 59;
}

/** The OID of an AlgorithmIdentifier with no parameters or NULL ones, or undefined. */
function plainAlgorithmOid(der: Buffer, algorithm: Tlv | undefined): Tlv | undefined {
  const parts = algorithm?.tag === TAG.SEQUENCE ? childrenOf(der, algorithm) : undefined;
  if (!parts || parts.length < 1 || parts.length > 2 || !isWellFormedOid(der, parts[0])) return undefined;
  return parts.length === 1 || (parts[1]!.tag === TAG.NULL && parts[1]!.end === parts[1]!.start) ? parts[0] : undefined;
}

/** SubjectPublicKeyInfo of rsaEncryption (NULL parameters) holding RSAPublicKey { n, e }. */
function rsaPublicKey(der: Buffer, spki: Tlv | undefined): CertificateShape['rsa'] | undefined {
  const parts = spki?.tag === TAG.SEQUENCE ? childrenOf(der, spki) : undefined;
  if (!parts || parts.length !== 2) return undefined;
  // By index, not destructuring: a cold listing runs this in the interpreter, where destructuring allocates an iterator.
  const algorithm = parts[0]!;
  const bits = parts[1]!;
  const algorithmParts = algorithm.tag === TAG.SEQUENCE ? childrenOf(der, algorithm) : undefined;
  if (!algorithmParts || algorithmParts.length !== 2 || !isOid(der, algorithmParts[0], RSA_ENCRYPTION) || algorithmParts[1]!.tag !== TAG.NULL || algorithmParts[1]!.end !== algorithmParts[1]!.start) return undefined;
  if (bits.tag !== TAG.BIT_STRING || bits.end - bits.start < 2 || der[bits.start] !== 0) return undefined;
  const key = tlvAt(der, bits.start + 1, bits.end);
  if (!key || key.tag !== TAG.SEQUENCE || key.end !== bits.end) return undefined;
  const numbers = childrenOf(der, key);
  if (!numbers || numbers.length !== 2) return undefined;
  const n = positiveInteger(der, numbers[0]);
  const e = positiveInteger(der, numbers[1]);
  return n && e ? { n, e } : undefined;
}

/** Extensions: [3] { SEQUENCE OF { OID, BOOLEAN TRUE?, OCTET STRING } }, at least one, each OID once; each one's parts pushed onto `extensionsOut`. */
function isPlainExtensions(der: Buffer, wrapper: Tlv, extensionsOut: Tlv[][]): boolean {
  const inner = childrenOf(der, wrapper);
  if (!inner || inner.length !== 1 || inner[0]!.tag !== TAG.SEQUENCE) return false;
  const extensions = childrenOf(der, inner[0]!);
  if (!extensions || extensions.length === 0) return false;
  const seen = new Set<string>();
  for (const extension of extensions) {
    const parts = extension.tag === TAG.SEQUENCE ? childrenOf(der, extension) : undefined;
    if (!parts || parts.length < 2 || parts.length > 3 || !isWellFormedOid(der, parts[0])) return false;
    const id = contentsOf(der, parts[0]!).toString('hex');
    if (seen.has(id)) return false;
    seen.add(id);
    if (parts.length === 3 && (parts[1]!.tag !== TAG.BOOLEAN || parts[1]!.end - parts[1]!.start !== 1 || der[parts[1]!.start] !== 0xff)) return false;
    if (parts[parts.length - 1]!.tag !== TAG.OCTET_STRING) return false;
    extensionsOut.push(parts);
  }
  return true;
}

/** The shape, or undefined: then OpenSSL parses the certificate. */
export const certificateShape = (der: Buffer): CertificateShape | undefined => walkShape(der)?.shape;

/** The shape and what its walk found (ShapeWalk), or undefined: then OpenSSL parses the certificate. */
export function walkShape(der: Buffer): { shape: CertificateShape; walk: ShapeWalk } | undefined {
  const root = rootOf(der, TAG.SEQUENCE);
  const top = root && childrenOf(der, root);
  if (!top || top.length !== 3) return undefined;
  const tbs = top[0]!;
  const signatureAlgorithm = top[1]!;
  const signature = top[2]!;
  const signatureOid = plainAlgorithmOid(der, signatureAlgorithm);
  if (tbs.tag !== TAG.SEQUENCE || !signatureOid) return undefined;
  if (signature.tag !== TAG.BIT_STRING || signature.end - signature.start < 2 || der[signature.start] !== 0) return undefined;
  const fields = childrenOf(der, tbs);
  if (!fields) return undefined;
  let at = 0;
  let version = 0;
  if (fields[0]?.tag === 0xa0) {
    const explicit = childrenOf(der, fields[0]);
    const value = explicit?.length === 1 ? explicit[0]! : undefined;
    if (!value || value.tag !== TAG.INTEGER || value.end - value.start !== 1 || der[value.start]! > 2) return undefined;
    version = der[value.start]!;
    at = 1;
  }
  const serial = fields[at];
  const innerAlgorithm = fields[at + 1];
  const issuer = fields[at + 2];
  const validity = fields[at + 3];
  const subject = fields[at + 4];
  const spki = fields[at + 5];
  const afterKey = fields.length - (at + 6);
  const extensionsWrapper = fields[at + 6];
  if (!serial || serial.tag !== TAG.INTEGER || serial.end === serial.start || serial.end - serial.start > 21) return undefined;
  const serialFirst = der[serial.start]!;
  if (serial.end - serial.start > 1 && ((serialFirst === 0 && !(der[serial.start + 1]! & 0x80)) || (serialFirst === 0xff && der[serial.start + 1]! & 0x80))) return undefined;
  const issuerAttributes: Tlv[][] = [];
  const subjectAttributes: Tlv[][] = [];
  if (!plainAlgorithmOid(der, innerAlgorithm) || !issuer || !isPlainName(der, issuer, issuerAttributes) || !subject || !isPlainName(der, subject, subjectAttributes)) return undefined;
  const times = validity?.tag === TAG.SEQUENCE ? childrenOf(der, validity) : undefined;
  if (!times || times.length !== 2 || !isPlainTime(der, times[0]) || !isPlainTime(der, times[1])) return undefined;
  const rsa = rsaPublicKey(der, spki);
  if (!rsa) return undefined;
  // Unique identifiers ([1], [2]) are not of this shape; extensions ([3]) only in a v3 certificate.
  const extensions: Tlv[][] = [];
  if (afterKey > 1 || (afterKey === 1 && (extensionsWrapper!.tag !== 0xa3 || version !== 2 || !isPlainExtensions(der, extensionsWrapper!, extensions)))) return undefined;
  return {
    shape: {
      tbs: elementOf(der, tbs),
      signatureAlgorithm: elementOf(der, signatureAlgorithm),
      tbsSignatureAlgorithm: elementOf(der, innerAlgorithm!),
      signature: der.subarray(signature.start + 1, signature.end),
      rsa,
      issuer: elementOf(der, issuer),
      subject: elementOf(der, subject),
    },
    walk: { serial, issuer: issuerAttributes, subject: subjectAttributes, notBefore: times[0]!, notAfter: times[1]!, extensions, signatureOid },
  };
}

/** The certificate's key as a KeyObject, from its numbers (a JWK: no decoder set-up). */
export const rsaPublicKeyObject = (rsa: CertificateShape['rsa']) => crypto.createPublicKey({ key: { kty: 'RSA', n: rsa.n.toString('base64url'), e: rsa.e.toString('base64url') }, format: 'jwk' });

/** Bits of the modulus (OpenSSL's RSA_bits: BN_num_bits of n). */
export const rsaBits = (n: Buffer) => (n.length - 1) * 8 + (32 - Math.clz32(n[0]!));

/**
 * X509_verify(cert, key) for a certificate of this shape, when its signature algorithm is one of
 * SIGNATURES; undefined otherwise (the caller asks OpenSSL). X509_verify first requires the two
 * signatureAlgorithm fields to be equal (X509_ALGOR_cmp: same OID, same parameters; byte equality
 * here, both being absent-or-NULL), then ASN1_item_verify requires the key to be of the
 * algorithm's type and checks the signature over the TBSCertificate bytes with that digest, which
 * is what crypto.verify does with the same key.
 */
export function verifyShapeSignature(shape: CertificateShape, key: crypto.KeyObject): boolean | undefined {
  const algorithm = tlvAt(shape.signatureAlgorithm, 0)!;
  const oid = tlvAt(shape.signatureAlgorithm, algorithm.start)!;
  const known = SIGNATURES.get(contentsOf(shape.signatureAlgorithm, oid).toString('hex'));
  if (!known) return undefined;
  if (!shape.signatureAlgorithm.equals(shape.tbsSignatureAlgorithm)) return false;
  if (key.type !== 'public' || key.asymmetricKeyType !== known.keyType) return false;
  try {
    return crypto.verify(known.digest, shape.tbs, key, shape.signature);
  } catch {
    return false;
  }
}
