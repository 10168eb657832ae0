// Certificates arrive as PEM files (one or many blocks), DER files, or base64 pasted from a secret:
// certificateDers must give the same DER bytes for each, and refuse what holds no certificate.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { issueCaCertificate } from '../../src/pki/issue.js';
import { generateRsaKey, privateKeyPem } from '../../src/pki/keys.js';
import { certificateDers, pemBlocks } from '../../src/pki/pem.js';
import { toolErrorThrownBy } from '../support/tool-errors.js';

const DAY = 86_400_000;

let key: crypto.KeyObject;
let first: { der: Buffer; pem: string };
let second: { der: Buffer; pem: string };

before(async () => {
  key = await generateRsaKey(2048);
  first = issueCaCertificate(key, 365 * DAY);
  second = issueCaCertificate(key, 30 * DAY);
  assert.ok(!first.der.equals(second.der), 'two issuances must differ (random serial)');
});

/** Node's own X.509 parser must accept each returned DER, and it must be byte-identical to what was issued. */
function assertDers(actual: Buffer[], expected: Buffer[]) {
  assert.equal(actual.length, expected.length);
  actual.forEach((der, i) => {
    assert.ok(der.equals(expected[i]!), `certificate #${i + 1} differs from the issued DER`);
    assert.doesNotThrow(() => new crypto.X509Certificate(der));
  });
}

const refusalOf = (input: Buffer | string, source: string) => toolErrorThrownBy(() => certificateDers(input, source), 'input was accepted as a certificate');

describe('reading certificates from PEM, DER and base64', () => {
  test('a bundle of two PEM blocks gives both certificates in file order', () => {
    assertDers(certificateDers(first.pem + second.pem, 'ca.crt'), [first.der, second.der]);
    assertDers(certificateDers(second.pem + '\n' + first.pem, 'ca.crt'), [second.der, first.der]);
  });

  test('text around and between the blocks (as openssl x509 -text leaves it) is ignored', () => {
    const text = `subject=O=Cockroach, CN=Cockroach CA\n${first.pem}\n# the old CA\n\n${second.pem}trailing words\n`;
    assertDers(certificateDers(text, 'bundle.pem'), [first.der, second.der]);
  });

  test('CRLF line endings (a bundle saved on Windows) give the same certificates', () => {
    const crlf = (first.pem + second.pem).replace(/\n/g, '\r\n');
    assert.ok(crlf.includes('\r\n'));
    assertDers(certificateDers(crlf, 'ca.crt'), [first.der, second.der]);
    assertDers(certificateDers(Buffer.from(crlf, 'utf8'), 'ca.crt'), [first.der, second.der]);
  });

  test('a block of base64 and line breaks decodes (the fast way) to the bytes of its joined lines, for any bytes and any wrapping', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), fc.boolean(), (bytes, breaks, crlf, unpadded) => {
        let base64 = Buffer.from(bytes).toString('base64');
        if (unpadded) base64 = base64.replace(/=+$/, '');
        const positions = new Set(breaks.map((at) => at % (base64.length + 1)));
        let body = '';
        for (let i = 0; i <= base64.length; i++) body += (positions.has(i) ? (crlf ? '\r\n' : '\n') : '') + base64.charAt(i);
        const [block] = pemBlocks(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`);
        assert.deepEqual(block?.der, Buffer.from(bytes));
      }),
      { numRuns: 500, seed: 19 },
    );
  });

  test('raw DER bytes give that one certificate', () => {
    assertDers(certificateDers(first.der, 'ca.der'), [first.der]);
  });

  test('base64 of DER (pasted from a URI parameter or a secret) gives the certificate', () => {
    assertDers(certificateDers(first.der.toString('base64'), 'pasted'), [first.der]);
    // wrapped at 76 columns like `base64` prints it
    const wrapped = first.der.toString('base64').replace(/.{76}/g, '$&\n');
    assertDers(certificateDers(wrapped, 'pasted'), [first.der]);
  });

  test('base64 of a PEM bundle (a Kubernetes secret value) gives every certificate inside', () => {
    const encoded = Buffer.from(first.pem + second.pem, 'utf8').toString('base64');
    assertDers(certificateDers(encoded, 'secret'), [first.der, second.der]);
  });

  test('a PEM file with a key and a certificate gives only the certificate', () => {
    assertDers(certificateDers(privateKeyPem(key) + first.pem, 'combined.pem'), [first.der]);
  });

  test('a key-only PEM is refused with a message naming the file and the block it found', () => {
    const error = refusalOf(privateKeyPem(key), 'node.key');
    assert.equal(error.code, 'invalid_certificate');
    assert.match(error.message, /node\.key/);
    assert.match(error.message, /RSA PRIVATE KEY/);
  });

  test('plain text and empty input are refused as not a certificate, naming the source', () => {
    for (const input of ['hello, I am not a certificate\n', '', Buffer.alloc(0)]) {
      const error = refusalOf(input, 'ca.crt');
      assert.equal(error.code, 'invalid_certificate');
      assert.match(error.message, /ca\.crt/);
    }
  });
});
