// readPrivateKey's fast path (src/pki/key-der.ts: DER of the key's own type instead of letting
// OpenSSL guess) against the general path it skips: the same key for every format a certs dir
// holds, the same refusals, and keyMatches (public keys compared, not encoded) agreeing with a
// comparison of the SPKI encodings.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import util from 'node:util';
import { describe, test } from 'node:test';
import { ToolError } from '../../src/core/errors.js';
import { issueCaCertificate, issueCertificate } from '../../src/pki/issue.js';
import { keyMatches, keyMatchesCertificate, readPrivateKey, readPrivateKeyLazily, spkiDer } from '../../src/pki/keys.js';
import { privateKeyFromDer } from '../../src/pki/key-der.js';
import { toPem } from '../../src/pki/pem.js';

const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const ed = crypto.generateKeyPairSync('ed25519').privateKey;
const pem = (key: crypto.KeyObject, type: 'pkcs1' | 'pkcs8' | 'sec1') => Buffer.from(key.export({ format: 'pem', type }) as string);
const der = (key: crypto.KeyObject, type: 'pkcs1' | 'pkcs8' | 'sec1') => key.export({ format: 'der', type }) as Buffer;
const spki = (key: crypto.KeyObject) => crypto.createPublicKey(key).export({ format: 'der', type: 'spki' });

const FORMATS: Array<[string, Buffer, crypto.KeyObject]> = [
  ['RSA PKCS#1 PEM (cockroach cert)', pem(rsa, 'pkcs1'), rsa],
  ['RSA PKCS#8 PEM (.key.pem)', pem(rsa, 'pkcs8'), rsa],
  ['RSA PKCS#8 DER (.pk8)', der(rsa, 'pkcs8'), rsa],
  ['EC SEC1 PEM', pem(ec, 'sec1'), ec],
  ['EC PKCS#8 PEM', pem(ec, 'pkcs8'), ec],
  ['EC PKCS#8 DER', der(ec, 'pkcs8'), ec],
  ['Ed25519 PKCS#8 PEM', pem(ed, 'pkcs8'), ed],
];

describe('readPrivateKey through the fast path', () => {
  for (const [name, bytes, key] of FORMATS) {
    test(`${name}: the same key as OpenSSL's general decoder reads`, () => {
      const read = readPrivateKey(bytes, 'key');
      assert.equal(read.type, 'private');
      assert.equal(read.asymmetricKeyType, key.asymmetricKeyType);
      const general = bytes.includes('-----BEGIN') ? crypto.createPrivateKey(bytes.toString()) : crypto.createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
      assert.deepEqual(read.export({ format: 'der', type: 'pkcs8' }), general.export({ format: 'der', type: 'pkcs8' }));
    });
  }

  test('a label that does not fit its contents is left to the general path, which refuses it as before', () => {
    const mislabelled = Buffer.from(toPem('RSA PRIVATE KEY', der(ec, 'sec1')));
    assert.equal(privateKeyFromDer(der(ec, 'sec1'), 'RSA PRIVATE KEY'), undefined);
    assert.throws(() => readPrivateKey(mislabelled, 'k'), (e: unknown) => e instanceof ToolError && e.code === 'invalid_key');
  });

  test('PKCS#8 of another algorithm, a wrong version or a truncated body is not taken by the RSA unwrap', () => {
    assert.equal(privateKeyFromDer(der(ec, 'pkcs8'), 'PRIVATE KEY'), undefined);
    const wrongVersion = Buffer.from(der(rsa, 'pkcs8'));
    const versionAt = wrongVersion.indexOf(Buffer.from([0x02, 0x01, 0x00]));
    wrongVersion[versionAt + 2] = 5;
    assert.equal(privateKeyFromDer(wrongVersion, 'PRIVATE KEY'), undefined);
    const truncated = der(rsa, 'pkcs8').subarray(0, 600);
    assert.equal(privateKeyFromDer(truncated, null), undefined);
    assert.throws(() => readPrivateKey(truncated, 'k.pk8'), (e: unknown) => e instanceof ToolError && e.code === 'invalid_key');
  });
});

describe('keyMatches compares public keys', () => {
  const others = [crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, crypto.generateKeyPairSync('ed25519').privateKey];
  for (const priv of [rsa, ec, ed]) {
    test(`${priv.asymmetricKeyType}: agrees with comparing SPKI encodings, for its own public key and every other`, () => {
      for (const candidate of [priv, ...others, rsa, ec, ed]) {
        const pub = crypto.createPublicKey(candidate);
        assert.equal(keyMatches(priv, pub), spki(priv).equals(spki(candidate)));
      }
    });
  }
});

test('a key compared with a public key of another type leaves nothing behind: the next key still decodes (Node 20 kept the OpenSSL error of EVP_PKEY_eq, and the next DER decode failed with it)', () => {
  const pkcs1 = der(rsa, 'pkcs1');
  assert.equal(keyMatches(rsa, crypto.createPublicKey(ec)), false);
  assert.equal(keyMatches(ec, crypto.createPublicKey(rsa)), false);
  assert.doesNotThrow(() => crypto.createPrivateKey({ key: pkcs1, format: 'der', type: 'pkcs1' }));
  assert.doesNotThrow(() => crypto.createPrivateKey({ key: der(ec, 'sec1'), format: 'der', type: 'sec1' }));
});

describe('a PKCS#1 RSA key built from its numbers (no OpenSSL DER decoder)', () => {
  const pkcs1 = der(rsa, 'pkcs1');
  /** What OpenSSL's own DER decoder makes of the bytes: the key's PKCS#8 encoding, or null when it refuses them. */
  const general = (bytes: Buffer) => {
    try {
      return crypto.createPrivateKey({ key: bytes, format: 'der', type: 'pkcs1' }).export({ format: 'der', type: 'pkcs8' });
    } catch {
      return null;
    }
  };
  const fast = (bytes: Buffer) => privateKeyFromDer(bytes, 'RSA PRIVATE KEY')?.export({ format: 'der', type: 'pkcs8' }) ?? null;

  test('the same key as the DER decoder, and a whole KeyObject that signs', () => {
    assert.deepEqual(fast(pkcs1), general(pkcs1));
    const key = privateKeyFromDer(pkcs1, 'RSA PRIVATE KEY')!;
    const signature = crypto.sign('sha256', Buffer.from('x'), key);
    assert.ok(crypto.verify('sha256', Buffer.from('x'), crypto.createPublicKey(rsa), signature));
  });

  test('every mutated key: the fast path reads what the DER decoder reads, and refuses what it refuses', () => {
    // The outer header, and each INTEGER's tag, length bytes and first two content bytes, set to
    // values that break or bend DER; and truncations. Wherever the strict reader says yes, OpenSSL
    // must read the same key.
    const offsets: number[] = [0, 1, 2, 3];
    for (let at = 4, i = 0; i < 9; i++) {
      const lengthByte = pkcs1[at + 1]!;
      const lengthBytes = lengthByte & 0x80 ? lengthByte & 0x7f : 0;
      const length = lengthBytes ? pkcs1.readUIntBE(at + 2, lengthBytes) : lengthByte;
      for (let k = 0; k < 2 + lengthBytes + Math.min(2, length); k++) offsets.push(at + k);
      at += 2 + lengthBytes + length;
    }
    let accepted = 0;
    let mutants = 0;
    for (const at of offsets) {
      for (const value of [0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0x82, 0xff, pkcs1[at]! ^ 0x01]) {
        const mutated = Buffer.from(pkcs1);
        mutated[at] = value;
        const mine = fast(mutated);
        if (mine !== null) {
          assert.deepEqual(mine, general(mutated), `byte ${at} set to ${value}: the fast path read a key OpenSSL reads otherwise`);
          accepted++;
        }
        mutants++;
      }
    }
    for (const length of [0, 1, 4, 100, pkcs1.length - 1]) assert.equal(fast(pkcs1.subarray(0, length)), general(pkcs1.subarray(0, length)));
    assert.ok(mutants > 300 && accepted > 20, `${mutants} mutants, ${accepted} taken by the fast path`);
  });

  test('multi-prime (version 1), a zero or negative number, or a non-minimal INTEGER go to the DER decoder', () => {
    const fieldAt = (bytes: Buffer, index: number) => {
      let at = bytes[1]! & 0x80 ? 2 + (bytes[1]! & 0x7f) : 2;
      for (let i = 0; i < index; i++) {
        const lengthByte = bytes[at + 1]!;
        const lengthBytes = lengthByte & 0x80 ? lengthByte & 0x7f : 0;
        const length = lengthBytes ? bytes.readUIntBE(at + 2, lengthBytes) : lengthByte;
        at += 2 + lengthBytes + length;
      }
      return at;
    };
    const version1 = Buffer.from(pkcs1);
    version1[fieldAt(version1, 0) + 2] = 1;
    assert.equal(privateKeyFromDer(version1, 'RSA PRIVATE KEY')?.export({ format: 'der', type: 'pkcs8' }) ?? null, general(version1));
    const eAt = fieldAt(pkcs1, 2); // e = 65537: 02 03 01 00 01
    const negative = Buffer.from(pkcs1);
    negative[eAt + 2] = 0x81;
    assert.deepEqual(fast(negative), general(negative));
    const zero = Buffer.concat([pkcs1.subarray(0, eAt), Buffer.from([0x02, 0x03, 0x00, 0x00, 0x00]), pkcs1.subarray(eAt + 5)]);
    assert.deepEqual(fast(zero), general(zero));
  });
});

describe('a listing compares an RSA key with its certificate by their numbers', () => {
  const caKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ca = issueCaCertificate(caKey, 86_400_000);
  const certFor = (key: crypto.KeyObject) => issueCertificate({ profile: 'client', commonName: 'u', subjectPublicKey: spkiDer(key), lifetimeMs: 3_600_000 }, { certificate: ca.parsed, key: caKey }).parsed;
  const otherRsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const certs = [certFor(rsa), certFor(otherRsa), certFor(ec), certFor(ed)];

  test('RSA keys of the plain shape are read without a KeyObject, others as before', () => {
    assert.ok(readPrivateKeyLazily(pem(rsa, 'pkcs1'), 'k').rsa);
    assert.ok(readPrivateKeyLazily(der(rsa, 'pkcs8'), 'k').rsa);
    assert.equal(readPrivateKeyLazily(pem(ec, 'sec1'), 'k').rsa, undefined);
    assert.equal(certs[0]!.shape !== undefined && certs[2]!.shape === undefined, true);
  });

  for (const [name, bytes, key] of FORMATS) {
    test(`${name}: agrees with keyMatches for its own certificate and every other`, () => {
      const read = readPrivateKeyLazily(bytes, 'k');
      for (const cert of certs) assert.equal(keyMatchesCertificate(read, cert), keyMatches(key, cert.x509.publicKey), cert.info.public_key.type);
      assert.deepEqual(read.object.export({ format: 'der', type: 'pkcs8' }), key.export({ format: 'der', type: 'pkcs8' }));
    });
  }

  test('a key read lazily shows no private number when logged or serialised (a careless log line of a listing entry)', () => {
    const jwk = rsa.export({ format: 'jwk' });
    const read = readPrivateKeyLazily(pem(rsa, 'pkcs1'), 'k');
    const shown = [JSON.stringify(read), JSON.stringify({ ...read }), util.inspect(read, { depth: 5, showHidden: true }), Object.keys(read).join(',')].join('\n');
    for (const secret of [jwk.d!, jwk.p!, jwk.q!, jwk.dp!, jwk.dq!, jwk.qi!]) {
      const bytes = Buffer.from(secret, 'base64url');
      assert.ok(!shown.includes(secret) && !shown.includes(bytes.toString('hex')) && !shown.includes(bytes.toString('base64')), 'a private number of the key was shown');
      assert.ok(!shown.includes(String(bytes[0]) + ',' + String(bytes[1]) + ',' + String(bytes[2]) + ',' + String(bytes[3])), 'a private number was shown as bytes');
    }
  });

  test('the same refusals as readPrivateKey', () => {
    for (const bad of [Buffer.from(''), Buffer.from('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n'), Buffer.concat([pem(rsa, 'pkcs1'), pem(ec, 'sec1')]), der(rsa, 'pkcs1').subarray(0, 300)]) {
      const code = (f: () => unknown) => { try { f(); return 'none'; } catch (e) { return e instanceof ToolError ? `${e.code}: ${e.message}` : 'other'; } };
      assert.equal(code(() => readPrivateKeyLazily(bad, 'k')), code(() => readPrivateKey(bad, 'k')));
      assert.notEqual(code(() => readPrivateKeyLazily(bad, 'k')), 'none');
    }
  });
});
