// Certificates built field by field for chain-verification tests: every knob RFC 5280 path
// validation turns on (basicConstraints, keyUsage, EKU, dates, AKI/SKI, key type) is set exactly
// as asked, which no CA tool allows. Keys come from a pool generated once per process.
import crypto from 'node:crypto';
import * as A from '../../src/pki/asn1.js';
import { OID } from '../../src/pki/asn1.js';
import { toPem } from '../../src/pki/pem.js';

export type KeyType = 'rsa' | 'ec' | 'ed25519';
export type BasicConstraints = 'absent' | 'ca_false' | 'ca_true' | 'pathlen0' | 'pathlen1';
export type Validity = 'valid' | 'expired' | 'not_yet_valid';
export type Eku = 'serverAuth' | 'clientAuth' | 'codeSigning';

export interface CertSpec {
  subject: string;
  /** Index into the key pool of `keyType`. */
  key: { type: KeyType; index: number };
  bc: BasicConstraints;
  /** Key usage bit names, or null for no keyUsage extension. */
  keyUsage: string[] | null;
  /** EKU names, or null for no extendedKeyUsage extension. */
  eku: Eku[] | null;
  validity: Validity;
  /** SKI on this certificate and AKI naming its issuer's SKI. */
  keyIds: boolean;
}

export interface BuiltCert {
  der: Buffer;
  pem: string;
  key: crypto.KeyObject;
  subject: string;
  ski: Buffer;
}

const DAY = 86_400_000;
const KU_BITS = ['digitalSignature', 'contentCommitment', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];
const EKU_OID: Record<Eku, string> = { serverAuth: OID.serverAuth, clientAuth: OID.clientAuth, codeSigning: '1.3.6.1.5.5.7.3.3' };

export class KeyPool {
  private readonly keys: Record<KeyType, crypto.KeyObject[]> = { rsa: [], ec: [], ed25519: [] };
  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) {
      this.keys.rsa.push(crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
      this.keys.ec.push(crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
      this.keys.ed25519.push(crypto.generateKeyPairSync('ed25519').privateKey);
    }
  }
  get(type: KeyType, index: number): crypto.KeyObject {
    return this.keys[type][index % this.size]!;
  }
}

function name(subject: string): A.Asn1 {
  const rdn = (type: string, value: string) => A.set([A.seq([A.oid(type), A.printable(value)])]);
  return A.seq([rdn(OID.organization, 'Differential'), rdn(OID.commonName, subject)]);
}

function extension(id: string, critical: boolean, value: A.Asn1): A.Asn1 {
  return A.seq([A.oid(id), ...(critical ? [A.bool(true)] : []), A.octets(A.toDer(value))]);
}

function keyUsageBitString(usages: string[]): A.Asn1 {
  const bits = usages.map((u) => KU_BITS.indexOf(u)).filter((i) => i >= 0);
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const unused = bytes.length * 8 - 1 - highest;
  return A.asn1Raw.create(A.Class.UNIVERSAL, A.Type.BITSTRING, false, String.fromCharCode(unused) + bytes.toString('binary'));
}

function signatureAlgorithm(key: crypto.KeyObject): { node: A.Asn1; hash: string | null } {
  if (key.asymmetricKeyType === 'rsa') return { node: A.seq([A.oid(OID.sha256WithRSA), A.nullValue()]), hash: 'sha256' };
  if (key.asymmetricKeyType === 'ec') return { node: A.seq([A.oid(OID.ecdsaWithSha256)]), hash: 'sha256' };
  return { node: A.seq([A.oid(OID.ed25519)]), hash: null };
}

const spkiOf = (key: crypto.KeyObject) => crypto.createPublicKey(key).export({ type: 'spki', format: 'der' });
/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
const keyIdOf = (spki: Buffer) => crypto.createHash('sha1').update(A.bytesOf(A.children(A.fromDer(spki))[1]).subarray(1)).digest();

function dates(validity: Validity, now: Date): [Date, Date] {
  const t = now.getTime();
  if (validity === 'expired') return [new Date(t - 30 * DAY), new Date(t - DAY)];
  if (validity === 'not_yet_valid') return [new Date(t + DAY), new Date(t + 30 * DAY)];
  return [new Date(t - DAY), new Date(t + 30 * DAY)];
}

/** A certificate for `spec`, signed by `issuer` (self-signed when undefined). */
export function buildCertificate(spec: CertSpec, issuer: BuiltCert | undefined, pool: KeyPool, now: Date, serial: Buffer): BuiltCert {
  const key = pool.get(spec.key.type, spec.key.index);
  const spki = spkiOf(key);
  const ski = keyIdOf(spki);
  const signer = issuer?.key ?? key;
  const extensions: A.Asn1[] = [];
  if (spec.bc !== 'absent') {
    const body = spec.bc === 'ca_false' ? [] : spec.bc === 'ca_true' ? [A.bool(true)] : [A.bool(true), A.smallInteger(spec.bc === 'pathlen0' ? 0 : 1)];
    extensions.push(extension(OID.basicConstraints, true, A.seq(body)));
  }
  if (spec.keyUsage) extensions.push(extension(OID.keyUsage, true, keyUsageBitString(spec.keyUsage)));
  if (spec.eku) extensions.push(extension(OID.extKeyUsage, false, A.seq(spec.eku.map((e) => A.oid(EKU_OID[e])))));
  if (spec.keyIds) {
    extensions.push(extension(OID.subjectKeyIdentifier, false, A.octets(ski)));
    if (issuer) extensions.push(extension(OID.authorityKeyIdentifier, false, A.seq([A.contextTag(0, false, issuer.ski.toString('binary'))])));
  }
  const algorithm = signatureAlgorithm(signer);
  const [notBefore, notAfter] = dates(spec.validity, now);
  const tbs = A.seq([
    A.contextTag(0, true, [A.smallInteger(2)]),
    A.unsignedInteger(serial),
    algorithm.node,
    name(issuer?.subject ?? spec.subject),
    A.seq([A.time(notBefore), A.time(notAfter)]),
    name(spec.subject),
    A.fromDer(spki),
    ...(extensions.length ? [A.contextTag(3, true, [A.seq(extensions)])] : []),
  ]);
  const signature = crypto.sign(algorithm.hash, A.toDer(tbs), signer);
  const der = A.toDer(A.seq([tbs, algorithm.node, A.bitString(signature)]));
  return { der, pem: toPem('CERTIFICATE', der), key, subject: spec.subject, ski };
}
