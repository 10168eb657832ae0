import crypto from 'node:crypto';
import { ToolError } from '../core/errors.js';
import { OID, SIGNATURE_NAMES, Type, bytesOf, children, dateOf, fromDer, integerOf, oidOf, textOf, toDer, type Asn1 } from './asn1.js';
import { walkShape, rsaBits, rsaPublicKeyObject, verifyShapeSignature, type CertificateShape } from './certificate-shape.js';
import { EKU_NAMES, NAME_ATTRIBUTES, UNDERSTOOD_EXTENSIONS, emptyExtensions, ipToString, keyUsageNames, serialHexOf, shapeFields, type CertificateFields, type Extensions } from './certificate-fields.js';
import { certificateDers } from './pem.js';

interface PublicKeyInfo {
  type: string;
  bits?: number | undefined;
  curve?: string | undefined;
}

/** A certificate's facts as every face shows them (zod's twin: schemas.ts). */
export interface CertificateInfo {
  subject: string;
  common_name: string;
  issuer: string;
  /** hex */
  serial: string;
  not_before: string;
  not_after: string;
  days_left: number;
  is_ca: boolean;
  path_len: number | null;
  key_usage: string[];
  ext_key_usage: string[];
  sans: { dns: string[]; ip: string[]; uri: string[]; email: string[] };
  public_key: PublicKeyInfo;
  signature_algorithm: string;
  sha256_fingerprint: string;
  self_signed: boolean;
}

/**
 * A certificate parsed once: plain facts for output plus what verification and signing need.
 * `x509` and `publicKey` are made when first read: OpenSSL's parser costs more than everything
 * else a listing does with a certificate (certificate-shape.ts), and most never need it.
 */
export interface ParsedCertificate {
  info: CertificateInfo;
  der: Buffer;
  readonly x509: crypto.X509Certificate;
  /** The subject's public key (x509.publicKey, or built from the numbers of an RSA key). */
  readonly publicKey: crypto.KeyObject;
  /** Set when the certificate is of the shape certificate-shape.ts reads without OpenSSL. */
  shape: CertificateShape | undefined;
  notBefore: Date;
  notAfter: Date;
  subjectDer: Buffer;
  subjectKeyId: Buffer | undefined;
  keyCertSign: boolean;
  /** What chain verification (verify.ts) needs beyond the facts above. */
  issuerDer: Buffer;
  authorityKeyId: Buffer | undefined;
  /** Whether the extension is there at all: RFC 5280 gives an absent keyUsage or EKU no restriction. */
  hasKeyUsage: boolean;
  hasBasicConstraints: boolean;
  hasExtKeyUsage: boolean;
  /** Key usage names when present (info.key_usage, kept here so verification does not reparse). */
  keyUsage: readonly string[];
  /** Critical extensions nobody here understands: RFC 5280 §4.2 says to reject the certificate. */
  unknownCriticalExtensions: string[];
}

const DAY_MS = 86_400_000;
const daysLeft = (notAfter: Date, now = new Date()) => Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);

function nameToString(name: Asn1 | undefined): string {
  return children(name)
    .flatMap((rdn) => children(rdn))
    .map((attr) => {
      const [type, value] = children(attr);
      const oid = oidOf(type);
      return `${NAME_ATTRIBUTES[oid] ?? oid}=${textOf(value)}`;
    })
    .join(', ');
}

function commonNameOf(name: Asn1 | undefined): string {
  for (const attr of children(name).flatMap((rdn) => children(rdn))) {
    const [type, value] = children(attr);
    if (oidOf(type) === OID.commonName) return textOf(value);
  }
  return '';
}

function readExtensions(extensionsWrapper: Asn1 | undefined): Extensions {
  const result = emptyExtensions();
  for (const extension of children(children(extensionsWrapper)[0])) {
    const parts = children(extension);
    const id = oidOf(parts[0]);
    result.present.add(id);
    const critical = parts.length === 3 && parts[1]?.type === Type.BOOLEAN && bytesOf(parts[1])[0] !== 0;
    if (critical && !UNDERSTOOD_EXTENSIONS.has(id)) result.unknownCritical.push(id);
    const value = fromDer(bytesOf(parts[parts.length - 1]));
    if (id === OID.keyUsage) {
      result.keyUsage = keyUsageNames(bytesOf(value));
    } else if (id === OID.extKeyUsage) {
      result.extKeyUsage = children(value).map((node) => EKU_NAMES[oidOf(node)] ?? oidOf(node));
    } else if (id === OID.basicConstraints) {
      for (const node of children(value)) {
        if (node.type === Type.BOOLEAN) result.isCa = bytesOf(node)[0] !== 0;
        if (node.type === Type.INTEGER) result.pathLen = integerOf(node);
      }
    } else if (id === OID.subjectAltName) {
      for (const general of children(value)) {
        const bytes = bytesOf(general);
        if (general.type === 2) result.sans.dns.push(bytes.toString('latin1'));
        else if (general.type === 7) result.sans.ip.push(ipToString(bytes));
        else if (general.type === 6) result.sans.uri.push(bytes.toString('latin1'));
        else if (general.type === 1) result.sans.email.push(bytes.toString('latin1'));
      }
    } else if (id === OID.subjectKeyIdentifier) {
      result.subjectKeyId = bytesOf(value);
    } else if (id === OID.authorityKeyIdentifier) {
      const keyId = children(value).find((node) => node.tagClass === 0x80 && node.type === 0);
      if (keyId) result.authorityKeyId = bytesOf(keyId);
    }
  }
  return result;
}

/** The fields from node-forge's tree of the whole certificate (certificate-fields.ts: the walk for every certificate not of the shape). */
export function forgeFields(root: Asn1): CertificateFields & { subjectDer: Buffer; issuerDer: Buffer } {
  const [tbs, signatureAlgorithm] = children(root);
  const fields = children(tbs);
  const offset = fields[0]?.tagClass === 0x80 ? 1 : 0; // [0] EXPLICIT version is optional
  const [serial, , issuer, validity, subject] = fields.slice(offset, offset + 5);
  const [notBeforeNode, notAfterNode] = children(validity);
  return {
    serialHex: serialHexOf(bytesOf(serial)),
    subject: nameToString(subject),
    commonName: commonNameOf(subject),
    issuer: nameToString(issuer),
    notBefore: dateOf(notBeforeNode),
    notAfter: dateOf(notAfterNode),
    extensions: readExtensions(fields.find((f) => f.tagClass === 0x80 && f.type === 3)),
    signatureOid: oidOf(children(signatureAlgorithm)[0]),
    subjectDer: toDer(subject!),
    issuerDer: toDer(issuer!),
  };
}

function publicKeyInfo(key: crypto.KeyObject): PublicKeyInfo {
  const details = key.asymmetricKeyDetails ?? {};
  const type = key.asymmetricKeyType ?? 'unknown';
  return {
    type,
    ...(details.modulusLength !== undefined ? { bits: details.modulusLength } : {}),
    ...(details.namedCurve !== undefined ? { curve: details.namedCurve } : {}),
  };
}

/** SHA-256 in hex: one call of crypto.hash where Node has it (>= 20.12), a third of createHash's cost on a certificate. */
export const sha256Hex = (bytes: Buffer): string => (typeof crypto.hash === 'function' ? crypto.hash('sha256', bytes, 'hex') : crypto.createHash('sha256').update(bytes).digest('hex'));
const HEX_DIGITS = Buffer.from('0123456789ABCDEF', 'latin1');
/**
 * X509Certificate.fingerprint256's form: upper-case hex pairs joined by colons, written as bytes and
 * made one string (a regex split was 3% of a listing; 31 concatenations were 4% of its allocations).
 */
function fingerprintOf(der: Buffer): string {
  const digest = typeof crypto.hash === 'function' ? crypto.hash('sha256', der, 'buffer') : crypto.createHash('sha256').update(der).digest();
  const text = Buffer.allocUnsafe(digest.length * 3 - 1);
  for (let i = 0; i < digest.length; i++) {
    text[3 * i] = HEX_DIGITS[digest[i]! >> 4]!;
    text[3 * i + 1] = HEX_DIGITS[digest[i]! & 15]!;
    if (i > 0) text[3 * i - 1] = 0x3a;
  }
  return text.toString('latin1');
}

/**
 * A ParsedCertificate whose OpenSSL parse and public key are made on first use. A class, not an
 * object literal with getters: a literal's getters are new closures per certificate, which gave
 * every one of a listing's thousand certificates its own dictionary of properties (a heap snapshot
 * of a 1,000-certificate listing: 1.3 MB of property tables and 0.6 MB of closures kept to the end).
 */
class LazyCertificate implements ParsedCertificate {
  #x509: crypto.X509Certificate | undefined;
  #publicKey: crypto.KeyObject | undefined;
  info!: CertificateInfo;
  notBefore: Date;
  notAfter: Date;
  subjectDer: Buffer;
  subjectKeyId: Buffer | undefined;
  keyCertSign: boolean;
  issuerDer: Buffer;
  authorityKeyId: Buffer | undefined;
  hasKeyUsage: boolean;
  hasBasicConstraints: boolean;
  hasExtKeyUsage: boolean;
  keyUsage: readonly string[];
  unknownCriticalExtensions: string[];

  constructor(readonly der: Buffer, readonly shape: CertificateShape | undefined, x509: crypto.X509Certificate | undefined, fields: CertificateFields, names: { subjectDer: Buffer; issuerDer: Buffer }) {
    this.#x509 = x509;
    const { extensions } = fields;
    this.notBefore = fields.notBefore;
    this.notAfter = fields.notAfter;
    this.subjectDer = names.subjectDer;
    this.subjectKeyId = extensions.subjectKeyId;
    this.keyCertSign = extensions.keyUsage.includes('keyCertSign');
    this.issuerDer = names.issuerDer;
    this.authorityKeyId = extensions.authorityKeyId;
    this.hasKeyUsage = extensions.present.has(OID.keyUsage);
    this.hasBasicConstraints = extensions.present.has(OID.basicConstraints);
    this.hasExtKeyUsage = extensions.present.has(OID.extKeyUsage);
    this.keyUsage = extensions.keyUsage;
    this.unknownCriticalExtensions = extensions.unknownCritical;
  }

  get x509(): crypto.X509Certificate {
    return (this.#x509 ??= new crypto.X509Certificate(this.der));
  }

  get publicKey(): crypto.KeyObject {
    return (this.#publicKey ??= this.shape ? rsaPublicKeyObject(this.shape.rsa) : this.x509.publicKey);
  }
}

export function parseCertificateDer(der: Buffer, source: string, now = new Date()): ParsedCertificate {
  let x509: crypto.X509Certificate | undefined;
  let root: Asn1 | undefined;
  // Of the shape certificate-shape.ts reads, OpenSSL is known to accept it: its parser runs only
  // when something asks for `x509`, and the fields are read from the DER without forge's tree
  // (certificate-fields.ts). Otherwise OpenSSL runs now, its refusal being this certificate's error.
  const shaped = walkShape(der);
  const shape = shaped?.shape;
  let fields = shaped ? shapeFields(der, shaped.walk) : undefined;
  if (!fields) {
    try {
      if (!shape) x509 = new crypto.X509Certificate(der);
      root = fromDer(der);
    } catch (error) {
      throw new ToolError('invalid_certificate', `${source} is not a valid X.509 certificate (${(error as Error).message})`, 'Check that the file is a certificate and not truncated.');
    }
  }
  // OpenSSL accepted the DER; what the walk reads (dates, names, extensions) can still be out of
  // range in a crafted or corrupted certificate (a flipped byte in a date made toISOString throw): an
  // invalid certificate for the caller, not a crash (test/fuzz).
  try {
    const walked = root ? forgeFields(root) : undefined;
    fields ??= walked!;
    const { notBefore, notAfter, extensions } = fields;
    const names = shape ? { subjectDer: shape.subject, issuerDer: shape.issuer } : walked!;
    const parsed = new LazyCertificate(der, shape, x509, fields, names);
    parsed.info = {
      subject: fields.subject,
      common_name: fields.commonName,
      issuer: fields.issuer,
      serial: fields.serialHex,
      not_before: notBefore.toISOString(),
      not_after: notAfter.toISOString(),
      days_left: daysLeft(notAfter, now),
      is_ca: extensions.isCa,
      path_len: extensions.pathLen,
      key_usage: extensions.keyUsage,
      ext_key_usage: extensions.extKeyUsage,
      sans: extensions.sans,
      public_key: shape ? { type: 'rsa', bits: rsaBits(shape.rsa.n) } : publicKeyInfo(parsed.x509.publicKey),
      signature_algorithm: SIGNATURE_NAMES[fields.signatureOid] ?? fields.signatureOid,
      sha256_fingerprint: shape ? fingerprintOf(der) : parsed.x509.fingerprint256,
      self_signed: false,
    };
    parsed.info.self_signed = parsed.subjectDer.equals(parsed.issuerDer) && verifySignature(parsed, parsed.publicKey);
    return parsed;
  } catch (error) {
    if (error instanceof ToolError) throw error;
    throw new ToolError('invalid_certificate', `${source} has fields that cannot be read (${(error as Error).message})`, 'Check it with: openssl x509 -text -noout -in FILE');
  }
}

/**
 * Whether `key` verifies the certificate's signature (OpenSSL's X509_verify): checked here for a
 * certificate of the common shape and signature algorithms (certificate-shape.ts), by OpenSSL otherwise.
 */
export function verifySignature(cert: ParsedCertificate, key: crypto.KeyObject): boolean {
  return (cert.shape ? verifyShapeSignature(cert.shape, key) : undefined) ?? safeVerify(cert.x509, key);
}

function safeVerify(cert: crypto.X509Certificate, key: crypto.KeyObject): boolean {
  try {
    return cert.verify(key);
  } catch {
    return false;
  }
}

/** Every certificate in PEM text, DER bytes or base64 of either. */
export function parseCertificates(input: Buffer | string, source: string, now = new Date()): ParsedCertificate[] {
  return certificateDers(input, source).map((der, i, all) => parseCertificateDer(der, all.length > 1 ? `${source} (certificate #${i + 1})` : source, now));
}
