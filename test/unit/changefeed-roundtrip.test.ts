// Round trip of encode_changefeed_uri against the reference's decoding rules (§5.2: Go's query
// parsing that turns '+' into a space, then standard padded base64): for many generated CAs,
// client certificates and keys (RSA and EC; PKCS#1, PKCS#8, SEC1; PEM text, PEM files with CRLF
// or a preamble, DER files) and SASL passwords full of reserved characters, what CockroachDB would
// decode is the original PEM and password byte for byte, and DER comes back as openssl's PEM of it.
// The Go emulation in src/changefeed is itself checked against Go's own test table.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeChangefeedUri } from '../../src/changefeed/decode.js';
import { encodeChangefeedUri, type EncodeRequest } from '../../src/changefeed/encode.js';
import { decodeGoStdBase64 } from '../../src/changefeed/go-base64.js';
import { parseGoQuery, percentEncode } from '../../src/changefeed/go-url.js';
import {
  KEY_KINDS, clientCertificate, keyMaterial, makeCa, nodeKeyType, randomSecret, referenceBase64, referencePem, referenceQuery,
  sqlIntoLiteral, sqlOptionLiteral, type KeyKind,
} from '../support/changefeed-pki.js';
import { openssl } from '../support/openssl.js';
import { seededRandom } from '../support/seeded-random.js';
import { requireSystemTool } from '../support/system-tools.js';

const SEED = Number(process.env.CHANGEFEED_SEED ?? 20_260_527);
const CASES = Number(process.env.CHANGEFEED_CASES ?? 30);

let tmp = '';
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-cf-roundtrip-'));
});
after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const readFile = async (file: string) => fs.promises.readFile(path.resolve(tmp, file));

type Form = 'pem-text' | 'pem-file' | 'pem-crlf-file' | 'pem-preamble-file' | 'der-file';
const FORMS: Form[] = ['pem-text', 'pem-file', 'pem-crlf-file', 'pem-preamble-file', 'der-file'];

/** Writes or passes the material in the chosen form; returns the input value and the PEM bytes CockroachDB must get. */
function present(name: string, pem: string, der: Buffer, form: Form, derToPem: () => string): { input: string; expected: Buffer } {
  const file = path.join(tmp, name);
  switch (form) {
    case 'pem-text':
      return { input: pem, expected: Buffer.from(pem) };
    case 'pem-file':
      fs.writeFileSync(file, pem);
      return { input: file, expected: Buffer.from(pem) };
    case 'pem-crlf-file': {
      const crlf = pem.replace(/\n/g, '\r\n');
      fs.writeFileSync(file, crlf);
      return { input: file, expected: Buffer.from(crlf) };
    }
    case 'pem-preamble-file': {
      // What `openssl pkcs12 -nodes` or `openssl x509 -text` leave before the block; Go's pem.Decode skips it.
      const text = `Bag Attributes\n    friendlyName: cdc\nsubject=CN = cdc\n${pem}`;
      fs.writeFileSync(file, text);
      return { input: file, expected: Buffer.from(text) };
    }
    case 'der-file':
      fs.writeFileSync(file, der);
      return { input: file, expected: Buffer.from(derToPem()) };
  }
}

/** openssl's own PEM for a DER key, in the same format (PKCS#1 stays PKCS#1, SEC1 stays SEC1). */
function opensslKeyPem(kind: KeyKind, derFile: string): string {
  const type = nodeKeyType(kind);
  if (type === 'pkcs1') return openssl(['rsa', '-inform', 'DER', '-in', derFile, '-traditional']);
  if (type === 'sec1') return openssl(['ec', '-inform', 'DER', '-in', derFile]);
  return openssl(['pkey', '-inform', 'DER', '-in', derFile]);
}

describe('what encode_changefeed_uri builds decodes, under the reference rules, to exactly what was given', () => {
  test(`${CASES} generated sinks (seed ${SEED}): PEM and SASL password come back byte for byte, DER comes back as openssl's PEM`, async (t) => {
    if (!requireSystemTool(t, 'openssl')) return;
    const random = seededRandom(SEED);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const seenKinds = new Set<KeyKind>();
    const seenForms = new Set<Form>();
    for (let i = 0; i < CASES; i++) {
      const label = `case ${i} (seed ${SEED})`;
      const ca = makeCa(random() < 0.5 ? 'rsa' : 'ec');
      const kind = i < KEY_KINDS.length ? KEY_KINDS[i]! : pick(KEY_KINDS);
      const key = keyMaterial(kind);
      const cert = clientCertificate(ca, key.key, `cdc-${i}`);
      const caForm = pick(FORMS);
      const certForm = pick(FORMS);
      const keyForm = i < FORMS.length ? FORMS[i]! : pick(FORMS);
      seenKinds.add(kind);
      seenForms.add(keyForm);
      const caIn = present(`ca-${i}`, ca.cert.pem, ca.cert.der, caForm, () => openssl(['x509', '-inform', 'DER', '-in', path.join(tmp, `ca-${i}`)]));
      const certIn = present(`cert-${i}`, cert.pem, cert.der, certForm, () => openssl(['x509', '-inform', 'DER', '-in', path.join(tmp, `cert-${i}`)]));
      const keyIn = present(`key-${i}`, key.pem, key.der, keyForm, () => opensslKeyPem(kind, path.join(tmp, `key-${i}`)));
      const password = randomSecret(random, 1 + Math.floor(random() * 40));
      const topic = randomSecret(random, 1 + Math.floor(random() * 12));
      const webhook = random() < 0.25;
      const withRegistry = random() < 0.35;

      const request: EncodeRequest = {
        sink: webhook ? `https://hooks.example.com/cdc/${i}` : `kafka://broker-${i}.example.com:9093`,
        ca: caIn.input, cert: certIn.input, key: keyIn.input,
        params: webhook ? { route: topic } : { topic_name: topic, sasl_enabled: 'true', sasl_mechanism: pick(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']), sasl_user: 'cdc', sasl_password: password },
        tables: ['orders'],
        reveal: true,
      };
      let registryKey: ReturnType<typeof keyMaterial> | undefined;
      let registryCa: ReturnType<typeof makeCa> | undefined;
      if (withRegistry) {
        registryCa = makeCa('ec');
        registryKey = keyMaterial(pick(KEY_KINDS.filter((k) => k.startsWith('ec'))));
        const registryCert = clientCertificate(registryCa, registryKey.key, 'registry-client');
        Object.assign(request, { schemaRegistry: 'https://registry.example.com:8081', registryCa: registryCa.cert.pem, registryCert: registryCert.pem, registryKey: registryKey.pem });
      }

      const result = await encodeChangefeedUri(request, readFile);
      assert.equal(result.encoded, true, `${label}: not encoded: ${JSON.stringify(result.problems.filter((p) => p.level === 'error'))}`);
      const uri = result.uri!;
      assert.ok(uri, `${label}: reveal: true must return the URI`);
      const query = uri.slice(uri.indexOf('?') + 1);
      assert.match(query, /^[A-Za-z0-9%._~=&-]+$/, `${label}: the query holds a character Go could read differently`);

      assert.ok(referencePem(uri, 'ca_cert').equals(caIn.expected), `${label}: ca_cert (${caForm}) differs`);
      assert.ok(referencePem(uri, 'client_cert').equals(certIn.expected), `${label}: client_cert (${certForm}) differs`);
      const keyPem = referencePem(uri, 'client_key');
      assert.ok(keyPem.equals(keyIn.expected), `${label}: client_key (${kind}, ${keyForm}) differs`);
      // What came back is a working pair: Node reads the key and it belongs to the certificate.
      const x509 = new crypto.X509Certificate(referencePem(uri, 'client_cert'));
      assert.ok(x509.checkPrivateKey(crypto.createPrivateKey(keyPem)), `${label}: decoded key does not match the decoded certificate`);

      const values = referenceQuery(uri);
      if (webhook) {
        assert.ok(uri.startsWith('webhook-https://'), `${label}: a webhook sink is webhook-https://`);
        assert.equal(values.get('route'), topic, `${label}: forwarded parameter differs`);
      } else {
        assert.ok(uri.startsWith('kafka://'), label);
        assert.equal(values.get('tls_enabled'), 'true', `${label}: tls_enabled`);
        assert.equal(values.get('sasl_password'), password, `${label}: sasl_password ${JSON.stringify(password)} differs`);
        assert.equal(values.get('topic_name'), topic, `${label}: topic_name differs`);
      }
      assert.equal(sqlIntoLiteral(result.statement!), uri, `${label}: the statement's INTO literal is not the URI`);

      if (withRegistry) {
        const registryUri = sqlOptionLiteral(result.statement!, 'confluent_schema_registry') ?? '';
        assert.ok(registryUri.startsWith('https://registry.example.com:8081?'), `${label}: no registry URL in ${result.statement_redacted}`);
        assert.ok(referencePem(registryUri, 'ca_cert').equals(Buffer.from(registryCa!.cert.pem)), `${label}: registry ca_cert differs`);
        assert.ok(referencePem(registryUri, 'client_key').equals(Buffer.from(registryKey!.pem)), `${label}: registry client_key differs`);
      }

      // Our own decoder finds nothing wrong with what our encoder built.
      const decoded = decodeChangefeedUri(result.statement!);
      assert.deepEqual(decoded.problems.filter((p) => p.level === 'error'), [], `${label}: decode finds errors in an encoded URI`);
      assert.equal(decoded.sink.key?.matches_certificate, true, `${label}: decode says the key does not match`);
    }
    assert.equal(seenKinds.size, KEY_KINDS.length, 'every key format was exercised');
    assert.equal(seenForms.size, FORMS.length, 'every input form was exercised');
  });
});

describe('the Go emulation follows Go', () => {
  // golang/go src/encoding/base64/base64_test.go TestDecodeCorrupt: input and the offset Go reports.
  const GO_CORRUPT: Array<[string, number]> = [
    ['', -1], ['\n', -1], ['AAA=\n', -1], ['AAAA\n', -1], ['!!!!', 0], ['====', 0], ['x===', 1], ['=AAA', 0], ['A=AA', 1], ['AA=A', 2],
    ['AA==A', 4], ['AAA=AAAA', 4], ['AAAAA', 4], ['AAAAAA', 4], ['A=', 1], ['A==', 1], ['AA=', 3], ['AA==', -1], ['AAA=', -1],
    ['AAAA', -1], ['AAAAAA=', 7], ['YWJjZA=====', 8], ['A!\n', 1], ['A=\n', 1],
  ];
  for (const [input, offset] of GO_CORRUPT) {
    test(`base64.StdEncoding on ${JSON.stringify(input)} ${offset < 0 ? 'decodes' : `fails at input byte ${offset}`}`, () => {
      const result = decodeGoStdBase64(input);
      if (offset < 0) assert.equal(result.ok, true, JSON.stringify(result));
      else assert.deepEqual(result.ok ? 'decoded' : result.error, `illegal base64 data at input byte ${offset}`);
    });
  }

  test('a long line-wrapped base64 decodes (Go skips \\r and \\n) and URL-safe or unpadded base64 does not', () => {
    const bytes = crypto.randomBytes(200);
    const wrapped = bytes.toString('base64').replace(/(.{76})/g, '$1\r\n');
    const decoded = decodeGoStdBase64(wrapped);
    assert.ok(decoded.ok && decoded.bytes.equals(bytes));
    const urlSafe = Buffer.from([0xfb, 0xff, 0xfe, 0xfa]).toString('base64url');
    assert.equal(decodeGoStdBase64(urlSafe).ok, false);
    assert.equal(decodeGoStdBase64(Buffer.from('ab').toString('base64').replace(/=+$/, '')).ok, false);
  });

  test("Go's ParseQuery drops pairs with ';' or a bad escape, turns '+' into a space, keeps the first value", () => {
    const segments = parseGoQuery('a=1;2&b=%zz&c=x+y&d=%2B&c=second&e');
    assert.equal(segments.find((s) => s.rawKey === 'a')?.dropped, 'invalid semicolon separator in query');
    assert.equal(segments.find((s) => s.rawKey === 'b')?.dropped, 'invalid URL escape "%zz"');
    assert.equal(segments.find((s) => s.rawKey === 'c')?.value, 'x y');
    assert.equal(segments.find((s) => s.rawKey === 'd')?.value, '+');
    assert.equal(segments.find((s) => s.rawKey === 'e')?.value, '');
  });

  test('percentEncode leaves only unreserved characters, so a value survives both URI and SQL quoting', () => {
    const random = seededRandom(SEED + 1);
    for (let i = 0; i < 200; i++) {
      const value = randomSecret(random, 30);
      const encoded = percentEncode(value);
      assert.match(encoded, /^[A-Za-z0-9%._~-]*$/);
      assert.equal(referenceQuery(`x://h?v=${encoded}`).get('v'), value);
    }
  });

  test('base64 of PEM text never holds + or / (why a correct PEM value survives even unencoded), base64 of DER usually does', () => {
    const random = seededRandom(SEED + 2);
    let derWithPlus = 0;
    for (let i = 0; i < 20; i++) {
      const ca = makeCa(random() < 0.5 ? 'rsa' : 'ec');
      assert.match(Buffer.from(ca.cert.pem).toString('base64'), /^[A-Za-z0-9]+=*$/);
      if (/[+/]/.test(ca.cert.der.toString('base64'))) derWithPlus++;
    }
    assert.ok(derWithPlus >= 15, `only ${derWithPlus}/20 DER encodings held + or /`);
    assert.ok(referenceBase64(Buffer.from('x').toString('base64')).equals(Buffer.from('x')));
  });
});
