// src/pki/certificate-shape.ts answers for OpenSSL without asking it: for a certificate of its
// shape, it claims that OpenSSL's parser (new X509Certificate) accepts the bytes, that the public
// key is the RSA key of its numbers, that the fingerprint is SHA-256 of the bytes, and that a
// signature checks out exactly when X509_verify says so. Each claim is compared with OpenSSL itself
// on real certificates (made by `openssl req`/`openssl x509`, and by crdb-tls) and on every
// single-byte mutation of them, then on random multi-byte mutations: wherever the shape says yes,
// OpenSSL must agree. The shape may say no to anything (then OpenSSL parses it, as before).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { children, fromDer, toDer } from '../../src/pki/asn1.js';
import { forgeFields, parseCertificateDer, verifySignature } from '../../src/pki/certificate.js';
import { shapeFields } from '../../src/pki/certificate-fields.js';
import { certificateShape, rsaBits, rsaPublicKeyObject, verifyShapeSignature, walkShape } from '../../src/pki/certificate-shape.js';
import { issueCaCertificate, issueCertificate } from '../../src/pki/issue.js';
import { spkiDer } from '../../src/pki/keys.js';
import { runs, seed } from '../support/fuzz.js';
import { requireSystemTool } from '../support/system-tools.js';

interface Fixture {
  name: string;
  der: Buffer;
  /** The key that signed it, and keys that did not (another RSA key, an EC key). */
  issuer: crypto.KeyObject;
}

let dir: string;
const fixtures: Fixture[] = [];
const otherRsa = crypto.createPublicKey(crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
const otherEc = crypto.createPublicKey(crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);

before(() => {
  const opensslBinary = requireSystemTool(undefined, 'openssl');
  if (!opensslBinary) throw new Error('openssl is needed to make the certificates compared here');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-shape-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync(opensslBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const derOf = (name: string) => new crypto.X509Certificate(fs.readFileSync(file(name))).raw;
  const publicOf = (name: string) => crypto.createPublicKey(fs.readFileSync(file(name)));
  openssl('genrsa', '-out', file('ca.key'), '2048');
  openssl('req', '-x509', '-new', '-key', file('ca.key'), '-subj', '/O=Shape Test/CN=RSA CA', '-days', '30', '-out', file('ca.crt'));
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file('ec-ca.key'));
  openssl('req', '-x509', '-new', '-key', file('ec-ca.key'), '-subj', '/CN=EC CA', '-days', '30', '-out', file('ec-ca.crt'));
  openssl('genrsa', '-out', file('leaf.key'), '2048');
  openssl('req', '-new', '-key', file('leaf.key'), '-subj', '/O=Cockroach/CN=node', '-out', file('leaf.csr'));
  fs.writeFileSync(file('leaf.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:node1.example,DNS:localhost,IP:127.0.0.1,IP:::1\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  for (const [ca, out] of [['ca', 'leaf.crt'], ['ec-ca', 'leaf-by-ec.crt']] as const) {
    openssl('x509', '-req', '-in', file('leaf.csr'), '-CA', file(`${ca}.crt`), '-CAkey', file(`${ca}.key`), '-CAcreateserial', '-days', '30', '-sha256', '-extfile', file('leaf.ext'), '-out', file(out));
  }
  // Every field the DER walk reads (certificate-fields.ts): UTF-8 and DC names, GeneralizedTime
  // (after 2049), pathlen, e-mail and URI SANs, policies, name constraints, an unknown critical extension.
  fs.writeFileSync(file('wide.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:3\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectAltName=email:ops@example.com,URI:spiffe://example/ca,DNS:ca.example,IP:10.1.2.3,IP:2001:db8::7\ncertificatePolicies=1.2.3.4\nnameConstraints=permitted;DNS:.example\n1.2.3.4.5.6=critical,ASN1:UTF8String:hello\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n');
  openssl('req', '-new', '-key', file('leaf.key'), '-utf8', '-subj', '/DC=com/DC=example/O=Zürich Ops/OU=Ünits/CN=wide', '-out', file('wide.csr'));
  openssl('x509', '-req', '-in', file('wide.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '20000', '-sha256', '-extfile', file('wide.ext'), '-out', file('wide.crt'));
  fixtures.push({ name: 'openssl req -x509 RSA CA', der: derOf('ca.crt'), issuer: publicOf('ca.key') });
  fixtures.push({ name: 'openssl x509 -req: UTF-8 and DC names, GeneralizedTime, pathlen, e-mail/URI SANs, policies, name constraints, unknown critical', der: derOf('wide.crt'), issuer: publicOf('ca.key') });
  fixtures.push({ name: 'openssl x509 -req node leaf (SANs, KU critical, EKU, SKI/AKI)', der: derOf('leaf.crt'), issuer: publicOf('ca.key') });
  fixtures.push({ name: 'RSA leaf signed by an EC CA (ecdsa-with-SHA256)', der: derOf('leaf-by-ec.crt'), issuer: publicOf('ec-ca.key') });
  const caKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ca = issueCaCertificate(caKey, 30 * 86_400_000);
  const clientKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const client = issueCertificate({ profile: 'client', commonName: 'maxroach', subjectPublicKey: spkiDer(clientKey), lifetimeMs: 86_400_000 }, { certificate: ca.parsed, key: caKey });
  fixtures.push({ name: 'crdb-tls CA', der: ca.parsed.der, issuer: crypto.createPublicKey(caKey) });
  fixtures.push({ name: 'crdb-tls client certificate', der: client.parsed.der, issuer: crypto.createPublicKey(caKey) });
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** OpenSSL's answer for the bytes, or null when its parser refuses them. */
function openssl(der: Buffer): crypto.X509Certificate | null {
  try {
    return new crypto.X509Certificate(der);
  } catch {
    return null;
  }
}

/** How many inputs of the shape the DER walk read (rather than declining): it must be most. */
let walkedBoth = 0;

/** Every claim the shape makes about `der`, checked against OpenSSL; false when the shape declines. */
function agrees(der: Buffer, issuer: crypto.KeyObject, what: string): boolean {
  const walked = walkShape(der);
  if (!walked) return false;
  const { shape } = walked;
  const x509 = openssl(der);
  assert.ok(x509, `${what}: of the shape, but OpenSSL refuses it`);
  const key = x509.publicKey;
  assert.equal(key.asymmetricKeyType, 'rsa', what);
  assert.ok(rsaPublicKeyObject(shape.rsa).equals(key), `${what}: not the key OpenSSL reads`);
  assert.equal(rsaBits(shape.rsa.n), key.asymmetricKeyDetails?.modulusLength, what);
  for (const candidate of [issuer, otherRsa, otherEc]) {
    assert.equal(verifyShapeSignature(shape, candidate) ?? x509.verify(candidate), x509.verify(candidate), `${what}: the signature check differs from X509_verify`);
  }
  // The DER walk reads exactly what forge's walk reads, or declines (then forge's walk runs).
  const fast = shapeFields(der, walked.walk);
  let slow;
  try {
    slow = forgeFields(fromDer(der));
  } catch {
    slow = undefined;
  }
  if (fast) {
    walkedBoth++;
    assert.ok(slow, `${what}: the DER walk read fields forge's walk refuses`);
    const { subjectDer: _subject, issuerDer: _issuer, ...slowFields } = slow;
    assert.deepEqual(fast, slowFields, `${what}: the two walks read different fields`);
  }
  let parsed;
  try {
    parsed = parseCertificateDer(der, what);
  } catch {
    return true; // the field walk refuses it; nothing more to compare
  }
  if (slow) assert.equal(parsed.info.not_after, slow.notAfter.toISOString(), what);
  assert.equal(parsed.info.sha256_fingerprint, x509.fingerprint256, what);
  // The names as the bytes hold them are what node-forge re-encodes (the path for other certificates).
  const fields = children(children(fromDer(der))[0]);
  const offset = fields[0]?.tagClass === 0x80 ? 1 : 0;
  assert.deepEqual([parsed.issuerDer, parsed.subjectDer], [toDer(fields[offset + 2]!), toDer(fields[offset + 4]!)], what);
  assert.deepEqual(parsed.info.public_key, { type: 'rsa', bits: key.asymmetricKeyDetails?.modulusLength }, what);
  assert.equal(parsed.info.self_signed, parsed.subjectDer.equals(parsed.issuerDer) && x509.verify(key), what);
  assert.equal(verifySignature(parsed, issuer), x509.verify(issuer), what);
  return true;
}

test('the certificates themselves are of the shape, and every claim holds', () => {
  assert.equal(fixtures.length, 6);
  walkedBoth = 0;
  for (const f of fixtures) assert.ok(agrees(f.der, f.issuer, f.name), `${f.name} should be of the shape`);
  assert.equal(walkedBoth, fixtures.length, 'every fixture is read by the DER walk, not handed to forge');
});

test('every single-byte mutation: where the shape says yes, OpenSSL agrees on parse, key, fingerprint and signature', () => {
  let mutants = 0;
  let ofShape = 0;
  walkedBoth = 0;
  for (const f of fixtures) {
    for (let at = 0; at < f.der.length; at++) {
      for (const value of new Set([f.der[at]! ^ 0x01, f.der[at]! ^ 0x80, 0xff])) {
        const mutated = Buffer.from(f.der);
        mutated[at] = value;
        if (agrees(mutated, f.issuer, `${f.name}, byte ${at} set to 0x${value.toString(16)}`)) ofShape++;
        mutants++;
      }
    }
  }
  // Most content bytes (signature, modulus, names, serial) keep the shape; most structure bytes break it.
  assert.ok(ofShape > mutants / 4 && ofShape < mutants, `${ofShape} of ${mutants} mutants of the shape`);
  assert.ok(walkedBoth > ofShape * 0.9, `the DER walk read ${walkedBoth} of the ${ofShape} mutants of the shape`);
  if (process.env.FUZZ_STATS) process.stderr.write(`${ofShape} of ${mutants} mutants of the shape, ${walkedBoth} read by the DER walk\n`);
});

test('truncated, extended and random multi-byte mutations', () => {
  for (const f of fixtures) {
    for (const length of [0, 1, 2, 4, 10, f.der.length - 1]) assert.equal(certificateShape(f.der.subarray(0, length)), undefined);
    assert.equal(certificateShape(Buffer.concat([f.der, Buffer.from([0])])), undefined, 'trailing bytes');
  }
  fc.assert(
    fc.property(fc.nat({ max: fixtures.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }), (which, changes) => {
      const f = fixtures[which]!;
      const mutated = Buffer.from(f.der);
      for (const [at, value] of changes) mutated[at % mutated.length] = value;
      agrees(mutated, f.issuer, `${f.name} with ${JSON.stringify(changes)}`);
    }),
    { numRuns: runs(1000), seed },
  );
});
