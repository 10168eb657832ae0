// readPrivateKey's fast path (src/pki/key-der.ts: DER of the key's own type instead of letting
// OpenSSL guess) against the general path it skips: the same key for every format a certs dir
// holds, the same refusals, and keyMatches (public keys compared, not encoded) agreeing with a
// comparison of the SPKI encodings.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { ToolError } from '../../src/core/errors.js';
import { keyMatches, readPrivateKey } from '../../src/pki/keys.js';
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
