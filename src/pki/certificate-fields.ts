import type { ShapeWalk } from './certificate-shape.js';
import { TAG, childrenOf, contentsOf, tlvAt, type Tlv } from './der-reader.js';

/**
 * The fields of a certificate as a listing shows them, read two ways that must agree: here from
 * the DER positions of a certificate of certificate-shape.ts's shape, and in certificate.ts from
 * node-forge's tree for every other one. The walk here builds no tree and no binary strings: in a
 * cold `cert list` of 1,000 certificates forge's decoder and the field walk over its tree were a
 * fifth of the allocations (README: listing). Anything this walk does not read exactly as the forge
 * walk would (a value that is not strict DER, an unexpected tag) answers undefined, and the
 * certificate takes the forge walk: test/fuzz/certificate-shape compares the two on every mutant.
 */
export interface Extensions {
  keyUsage: string[];
  extKeyUsage: string[];
  isCa: boolean;
  pathLen: number | null;
  sans: { dns: string[]; ip: string[]; uri: string[]; email: string[] };
  subjectKeyId: Buffer | undefined;
  authorityKeyId: Buffer | undefined;
  present: Set<string>;
  unknownCritical: string[];
}

export interface CertificateFields {
  serialHex: string;
  subject: string;
  commonName: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  extensions: Extensions;
  signatureOid: string;
}

const OIDS = {
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

const KEY_USAGE_NAMES = ['digitalSignature', 'contentCommitment', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'] as const;
export const EKU_NAMES: Record<string, string> = { '1.3.6.1.5.5.7.3.1': 'serverAuth', '1.3.6.1.5.5.7.3.2': 'clientAuth', '1.3.6.1.5.5.7.3.3': 'codeSigning', '1.3.6.1.5.5.7.3.4': 'emailProtection', '1.3.6.1.5.5.7.3.8': 'timeStamping', '1.3.6.1.5.5.7.3.9': 'OCSPSigning' };
export const NAME_ATTRIBUTES: Record<string, string> = { [OIDS.commonName]: 'CN', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'emailAddress' };

// Critical extensions that OpenSSL and Go process; any other critical one fails verification in
// both (X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, Go's UnhandledCriticalExtension). Name
// constraints and policies are known but not enforced by verify.ts (README: chain verification).
export const UNDERSTOOD_EXTENSIONS = new Set<string>([
  OIDS.subjectKeyIdentifier, OIDS.keyUsage, OIDS.subjectAltName, OIDS.basicConstraints, OIDS.authorityKeyIdentifier, OIDS.extKeyUsage,
  '2.5.29.30', '2.5.29.32', '2.5.29.33', '2.5.29.36', '2.5.29.54', // nameConstraints, certificatePolicies, policyMappings, policyConstraints, inhibitAnyPolicy
]);

export const emptyExtensions = (): Extensions => ({ keyUsage: [], extKeyUsage: [], isCa: false, pathLen: null, sans: { dns: [], ip: [], uri: [], email: [] }, subjectKeyId: undefined, authorityKeyId: undefined, present: new Set(), unknownCritical: [] });

/** keyUsage's BIT STRING contents (the unused-bits byte first) as names. */
export function keyUsageNames(bits: Buffer): string[] {
  const names: string[] = [];
  const total = (bits.length - 1) * 8 - (bits[0] ?? 0);
  for (let i = 0; i < total && i < KEY_USAGE_NAMES.length; i++) {
    if ((bits[1 + (i >> 3)]! >> (7 - (i & 7))) & 1) names.push(KEY_USAGE_NAMES[i]!);
  }
  return names;
}

export function ipToString(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return bytes.toString('hex');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  // RFC 5952: compress the longest run (of two or more) of zero groups.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The serial as output shows it: hex without the sign byte DER adds before a high bit. */
export const serialHexOf = (bytes: Buffer) => bytes.toString('hex').replace(/^00(?=[89a-f])/, '');

// ---- the walk over a certificate of the shape ------------------------------------------------

/** Dotted text of an OID's contents, as forge's derToOid gives it; undefined past its 53-bit limit. */
function oidText(der: Buffer, oid: Tlv): string | undefined {
  let text = '';
  let value = 0;
  for (let i = oid.start; i < oid.end; i++) {
    if (value > 0x3fffffffffff) return undefined;
    const byte = der[i]!;
    value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    text += text === '' ? (value < 80 ? `${Math.floor(value / 40)}.${value % 40}` : `2.${value - 80}`) : `.${value}`;
    value = 0;
  }
  return text;
}

/** A name's strings (the shape allows UTF8String, PrintableString and IA5String, all checked). */
const stringOf = (der: Buffer, value: Tlv) => der.toString(value.tag === TAG.UTF8 ? 'utf8' : 'latin1', value.start, value.end);

/** "CN=x, O=y" and the first CN from the walk's attributes, or undefined for an OID past forge's limit. */
function nameOf(der: Buffer, attributes: Tlv[][]): { text: string; commonName: string } | undefined {
  let text = '';
  let commonName: string | undefined;
  // By index, not destructuring (a cold listing runs this in the interpreter, where destructuring allocates an iterator).
  for (const attribute of attributes) {
    const oid = oidText(der, attribute[0]!);
    if (oid === undefined) return undefined;
    const string = stringOf(der, attribute[1]!);
    if (oid === OIDS.commonName) commonName ??= string;
    text += `${text === '' ? '' : ', '}${NAME_ATTRIBUTES[oid] ?? oid}=${string}`;
  }
  return { text, commonName: commonName ?? '' };
}

/** UTCTime or GeneralizedTime of the shape's plain form (digits, then Z), as forge dates it. */
function timeOf(der: Buffer, time: Tlv): Date {
  const digit = (i: number) => der[time.start + i]! - 0x30;
  const two = (i: number) => digit(i) * 10 + digit(i + 1);
  const utc = time.tag === TAG.UTC_TIME;
  const at = utc ? 2 : 4;
  const year = utc ? (two(0) >= 50 ? 1900 : 2000) + two(0) : two(0) * 100 + two(2);
  // setUTCFullYear, as forge does: Date.UTC would read years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, two(at) - 1, two(at + 2));
  date.setUTCHours(two(at + 4), two(at + 6), two(at + 8), 0);
  return date;
}

/**
 * Whether every constructed element down from `element` holds strict DER that fills it: what
 * forge's strict decoder (which descends into every constructed element, to a depth of 256)
 * accepts at least, so that a value read here is one the forge walk would not refuse.
 */
function wellFormed(der: Buffer, element: Tlv, depth: number): boolean {
  // Tag number 30 is BMPString to node-forge's decoder in any class: it reads the contents as UTF-16
  // and refuses an odd length ("Too few bytes to parse DER", a mutant of the fuzz test). Declined.
  if ((element.tag & 0x1f) === 0x1e) return false;
  if (!(element.tag & 0x20)) return true;
  if (depth >= 64) return false;
  const inner = childrenOf(der, element);
  return inner !== undefined && inner.every((child) => wellFormed(der, child, depth + 1));
}

/** The single element of an extension's OCTET STRING, strict DER throughout, or undefined. */
function valueOf(der: Buffer, octets: Tlv): Tlv | undefined {
  const value = tlvAt(der, octets.start, octets.end);
  return value && value.end === octets.end && wellFormed(der, value, 0) ? value : undefined;
}

/** One extension's facts into `into`; false when its value is not read here exactly as forge reads it. */
function readExtension(der: Buffer, id: string, value: Tlv, into: Extensions): boolean {
  if (id === OIDS.keyUsage) {
    if (value.tag !== TAG.BIT_STRING) return false;
    into.keyUsage = keyUsageNames(contentsOf(der, value));
  } else if (id === OIDS.extKeyUsage) {
    const oids = value.tag === TAG.SEQUENCE ? childrenOf(der, value) : undefined;
    if (!oids) return false;
    for (const node of oids) {
      const oid = node.tag === TAG.OID ? oidText(der, node) : undefined;
      if (oid === undefined) return false;
      into.extKeyUsage.push(EKU_NAMES[oid] ?? oid);
    }
  } else if (id === OIDS.basicConstraints) {
    const parts = value.tag === TAG.SEQUENCE ? childrenOf(der, value) : undefined;
    if (!parts) return false;
    for (const node of parts) {
      if (node.tag === TAG.BOOLEAN && node.end - node.start === 1) into.isCa = der[node.start] !== 0;
      else if (node.tag === TAG.INTEGER && node.end - node.start >= 1 && node.end - node.start <= 4) into.pathLen = der.readIntBE(node.start, node.end - node.start);
      else return false;
    }
  } else if (id === OIDS.subjectAltName) {
    const names = value.tag === TAG.SEQUENCE ? childrenOf(der, value) : undefined;
    if (!names) return false;
    for (const general of names) {
      // GeneralName is [n] IMPLICIT: a constructed form of the four read here is not.
      if ((general.tag & 0xc0) !== 0x80 || ((general.tag & 0x20) && [1, 2, 6, 7].includes(general.tag & 0x1f))) return false;
      const type = general.tag & 0x1f;
      if (type === 2) into.sans.dns.push(der.toString('latin1', general.start, general.end));
      else if (type === 7) into.sans.ip.push(ipToString(contentsOf(der, general)));
      else if (type === 6) into.sans.uri.push(der.toString('latin1', general.start, general.end));
      else if (type === 1) into.sans.email.push(der.toString('latin1', general.start, general.end));
    }
  } else if (id === OIDS.subjectKeyIdentifier) {
    if (value.tag !== TAG.OCTET_STRING) return false;
    into.subjectKeyId = Buffer.from(contentsOf(der, value));
  } else if (id === OIDS.authorityKeyIdentifier) {
    const parts = value.tag === TAG.SEQUENCE ? childrenOf(der, value) : undefined;
    if (!parts || parts.some((node) => node.tag === 0xa0)) return false;
    const keyId = parts.find((node) => node.tag === 0x80);
    if (keyId) into.authorityKeyId = Buffer.from(contentsOf(der, keyId));
  }
  return true;
}

/**
 * The fields of a certificate certificate-shape.ts accepted, from what its walk found (positions in
 * `der`), or undefined: then the forge walk reads them.
 */
export function shapeFields(der: Buffer, walk: ShapeWalk): CertificateFields | undefined {
  const issuer = nameOf(der, walk.issuer);
  const subject = nameOf(der, walk.subject);
  if (!issuer || !subject) return undefined;
  const extensions = emptyExtensions();
  for (const parts of walk.extensions) {
    const id = oidText(der, parts[0]!);
    const value = valueOf(der, parts[parts.length - 1]!);
    if (id === undefined || !value) return undefined;
    extensions.present.add(id);
    // The shape allows a criticality BOOLEAN only when it is TRUE (0xff).
    if (parts.length === 3 && !UNDERSTOOD_EXTENSIONS.has(id)) extensions.unknownCritical.push(id);
    if (!readExtension(der, id, value, extensions)) return undefined;
  }
  const signatureOid = oidText(der, walk.signatureOid);
  if (signatureOid === undefined) return undefined;
  return {
    serialHex: serialHexOf(contentsOf(der, walk.serial)),
    subject: subject.text,
    commonName: subject.commonName,
    issuer: issuer.text,
    notBefore: timeOf(der, walk.notBefore),
    notAfter: timeOf(der, walk.notAfter),
    extensions,
    signatureOid,
  };
}
