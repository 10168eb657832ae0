import crypto from 'node:crypto';
import net from 'node:net';
import { ToolError } from '../core/errors.js';
import * as A from './asn1.js';
import { OID } from './asn1.js';
import { parseCertificateDer, type ParsedCertificate } from './certificate.js';
import { spkiDer } from './keys.js';
import { toPem } from './pem.js';

/** The three X.509 profiles of pkg/security/x509.go (reference §1.2). */
type Profile = 'ca' | 'node' | 'client';

export interface CertificateRequest {
  profile: Profile;
  commonName: string;
  organizationalUnits?: string[];
  /** The subject's public key as SPKI DER (from a generated key or a CSR). */
  subjectPublicKey: Buffer;
  dnsNames?: string[];
  ipAddresses?: string[];
  uris?: string[];
  lifetimeMs: number;
  now?: Date;
}

/** Who signs: a CA certificate and its key, or only a key for a self-signed CA. */
export interface Signer {
  certificate?: ParsedCertificate;
  key: crypto.KeyObject;
}

export interface IssuedCertificate {
  der: Buffer;
  pem: string;
  parsed: ParsedCertificate;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

// Go's x509 picks PrintableString when every character allows it, UTF8String otherwise.
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const directoryString = (text: string) => (PRINTABLE.test(text) ? A.printable(text) : A.utf8(text));

function name(commonName: string, organizationalUnits: string[] = []): A.Asn1 {
  const rdn = (type: string, value: string) => A.set([A.seq([A.oid(type), directoryString(value)])]);
  return A.seq([rdn(OID.organization, 'Cockroach'), ...organizationalUnits.map((ou) => rdn(OID.organizationalUnit, ou)), rdn(OID.commonName, commonName)]);
}

function extension(id: string, critical: boolean, value: A.Asn1): A.Asn1 {
  return A.seq([A.oid(id), ...(critical ? [A.bool(true)] : []), A.octets(A.toDer(value))]);
}

function keyUsageBits(profile: Profile): A.Asn1 {
  // digitalSignature(0) | keyEncipherment(2), plus contentCommitment(1) | keyCertSign(5) on CAs.
  const bits = profile === 'ca' ? 0b11100100 : 0b10100000;
  const unused = profile === 'ca' ? 2 : 5;
  return A.asn1Raw.create(A.Class.UNIVERSAL, A.Type.BITSTRING, false, String.fromCharCode(unused, bits));
}

function ipBytes(ip: string): Buffer {
  if (net.isIPv6(ip)) {
    const [head = '', tail = ''] = ip.split('::');
    const headGroups = head ? head.split(':') : [];
    const tailGroups = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
    const groups = ip.includes('::') ? [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups] : ip.split(':');
    return Buffer.from(groups.flatMap((g) => { const n = parseInt(g, 16); return [n >> 8, n & 0xff]; }));
  }
  return Buffer.from(ip.split('.').map(Number));
}

function signatureAlgorithm(key: crypto.KeyObject): { node: A.Asn1; hash: string | null } {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { node: A.seq([A.oid(OID.sha256WithRSA), A.nullValue()]), hash: 'sha256' };
    case 'ec': {
      const p384 = key.asymmetricKeyDetails?.namedCurve === 'secp384r1';
      return { node: A.seq([A.oid(p384 ? OID.ecdsaWithSha384 : OID.ecdsaWithSha256)]), hash: p384 ? 'sha384' : 'sha256' };
    }
    case 'ed25519':
      return { node: A.seq([A.oid(OID.ed25519)]), hash: null };
    default:
      throw new ToolError('invalid_key', `cannot sign with a ${key.asymmetricKeyType} key`, 'Use an RSA, ECDSA or Ed25519 CA key.');
  }
}

/**
 * CockroachDB refuses a leaf that would outlive its CA (x509.go checkLifetimeAgainstCA); the
 * message follows theirs so that people who know it recognise it.
 */
export function checkLifetimeAgainstCa(ca: ParsedCertificate, lifetimeMs: number, now: Date): void {
  const caLeftMs = ca.notAfter.getTime() - now.getTime();
  if (caLeftMs < lifetimeMs) {
    const hours = (ms: number) => (ms / HOUR_MS).toFixed(6);
    throw new ToolError(
      'lifetime_exceeds_ca',
      `CA lifetime is ${hours(caLeftMs)}h, shorter than the requested ${hours(lifetimeMs)}h.`,
      `Renew CA certificate, or rerun with --lifetime=${Math.max(0, Math.floor(caLeftMs / HOUR_MS))}h for a shorter duration.`,
    );
  }
}

export function issueCertificate(request: CertificateRequest, signer: Signer): IssuedCertificate {
  const now = request.now ?? new Date();
  const { certificate: caCert, key: signingKey } = signer;
  if (request.profile !== 'ca' && !caCert) throw new ToolError('internal', 'a leaf certificate needs a CA certificate to sign it');
  if (caCert) checkLifetimeAgainstCa(caCert, request.lifetimeMs, now);

  const subject = name(request.commonName, request.organizationalUnits);
  const issuer = caCert ? A.fromDer(caCert.subjectDer) : subject;
  const spki = A.fromDer(request.subjectPublicKey);
  const extensions: A.Asn1[] = [extension(OID.keyUsage, true, keyUsageBits(request.profile))];
  if (request.profile === 'node') extensions.push(extension(OID.extKeyUsage, false, A.seq([A.oid(OID.serverAuth), A.oid(OID.clientAuth)])));
  if (request.profile === 'client') extensions.push(extension(OID.extKeyUsage, false, A.seq([A.oid(OID.clientAuth)])));
  if (request.profile === 'ca') {
    extensions.push(extension(OID.basicConstraints, true, A.seq([A.bool(true), A.smallInteger(1)])));
    // Go derives the SKID of a CA from the SHA-1 of the public key bits (RFC 5280 method 1).
    const publicKeyBits = A.bytesOf(A.children(spki)[1]).subarray(1);
    extensions.push(extension(OID.subjectKeyIdentifier, false, A.octets(crypto.createHash('sha1').update(publicKeyBits).digest())));
  }
  if (caCert?.subjectKeyId) extensions.push(extension(OID.authorityKeyIdentifier, false, A.seq([A.contextTag(0, false, caCert.subjectKeyId.toString('binary'))])));
  const generalNames = [
    ...(request.dnsNames ?? []).map((dns) => A.contextTag(2, false, dns)),
    ...(request.ipAddresses ?? []).map((ip) => A.contextTag(7, false, ipBytes(ip).toString('binary'))),
    ...(request.uris ?? []).map((uri) => A.contextTag(6, false, uri)),
  ];
  if (generalNames.length > 0) extensions.push(extension(OID.subjectAltName, false, A.seq(generalNames)));

  const algorithm = signatureAlgorithm(signingKey);
  const tbs = A.seq([
    A.contextTag(0, true, [A.smallInteger(2)]),
    A.unsignedInteger(crypto.randomBytes(16)),
    algorithm.node,
    issuer,
    // NotBefore backdated one day "to handle clock issues" (x509.go newTemplate).
    A.seq([A.time(new Date(now.getTime() - DAY_MS)), A.time(new Date(now.getTime() + request.lifetimeMs))]),
    subject,
    spki,
    A.contextTag(3, true, [A.seq(extensions)]),
  ]);
  const tbsDer = A.toDer(tbs);
  const signature = crypto.sign(algorithm.hash, tbsDer, signingKey);
  const der = A.toDer(A.seq([tbs, algorithm.node, A.bitString(signature)]));
  return { der, pem: toPem('CERTIFICATE', der), parsed: parseCertificateDer(der, 'issued certificate', now) };
}

/** A new self-signed CA for `key`, CockroachDB's CA profile. */
export function issueCaCertificate(key: crypto.KeyObject, lifetimeMs: number, now?: Date): IssuedCertificate {
  return issueCertificate({ profile: 'ca', commonName: 'Cockroach CA', subjectPublicKey: spkiDer(key), lifetimeMs, ...(now ? { now } : {}) }, { key });
}
