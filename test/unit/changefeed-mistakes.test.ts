// decode_changefeed_uri on URIs made the wrong way — by hand here, with the real `base64` and
// `openssl` where people use them — and encode_changefeed_uri refusing material CockroachDB or the
// broker would refuse. Expected error texts come from CockroachDB's own tests and Go's rules
// (reference §5.2; pkg/ccl/changefeedccl/sink_external_connection_test.go), never from our output.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeChangefeedUri, type DecodedChangefeedUri } from '../../src/changefeed/decode.js';
import { encodeChangefeedUri, type EncodeRequest } from '../../src/changefeed/encode.js';
import { CHANGEFEED_DIAGNOSIS, type SinkProblem } from '../../src/changefeed/problems.js';
import { ToolError } from '../../src/core/errors.js';
import { issueCertificate } from '../../src/pki/issue.js';
import { spkiDer } from '../../src/pki/keys.js';
import { DAY_MS, clientCertificate, keyMaterial, makeCa, type Ca } from '../support/changefeed-pki.js';
import { fingerprintOf, openssl } from '../support/openssl.js';
import { requireSystemTool } from '../support/system-tools.js';

let tmp = '';
let ca: Ca;
let client: { cert: string; certDer: Buffer; key: string };
const file = (name: string) => path.join(tmp, name);
const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const enc = encodeURIComponent;
const every: SinkProblem[] = [];

/** A correct URI built by hand from the reference: base64 -w 0 of each PEM, percent-encoded. */
function goodQuery(overrides: Record<string, string> = {}): string {
  const params: Record<string, string> = { tls_enabled: 'true', ca_cert: enc(b64(ca.cert.pem)), client_cert: enc(b64(client.cert)), client_key: enc(b64(client.key)), ...overrides };
  return Object.entries(params).filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`).join('&');
}

function decode(text: string): DecodedChangefeedUri {
  const result = decodeChangefeedUri(text);
  every.push(...result.problems);
  return result;
}

function problemOf(result: DecodedChangefeedUri, code: string, param?: string): SinkProblem {
  const found = result.problems.find((p) => p.code === code && (param === undefined || p.param === param));
  assert.ok(found, `expected problem ${code}${param ? ` on ${param}` : ''}, got ${JSON.stringify(result.problems.map((p) => `${p.level}:${p.code}:${p.param ?? ''}`))}`);
  return found;
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-cf-mistakes-'));
  ca = makeCa('ec');
  const key = keyMaterial('rsa-pkcs1');
  const cert = clientCertificate(ca, key.key, 'cdc');
  client = { cert: cert.pem, certDer: cert.der, key: key.pem };
  fs.writeFileSync(file('ca.crt'), ca.cert.pem);
  fs.writeFileSync(file('client.crt'), client.cert);
  fs.writeFileSync(file('client.key'), client.key, { mode: 0o600 });
});
after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('decode_changefeed_uri explains a correct URI', () => {
  test('a hand-made correct Kafka URI has no error, and each certificate is shown with the fingerprint openssl computes', (t) => {
    const result = decode(`kafka://broker:9093?${goodQuery()}`);
    assert.equal(result.ok, true, JSON.stringify(result.problems));
    assert.equal(result.sink.kind, 'kafka');
    const caShown = result.sink.certificates.find((c) => c.param === 'ca_cert');
    const clientShown = result.sink.certificates.find((c) => c.param === 'client_cert');
    assert.match(caShown?.subject ?? '', /CN=Cockroach CA/);
    assert.match(clientShown?.subject ?? '', /CN=cdc/);
    assert.equal(clientShown?.issuer, caShown?.subject);
    assert.equal(result.sink.key?.format, 'PKCS#1');
    assert.equal(result.sink.key?.type, 'rsa');
    assert.equal(result.sink.key?.matches_certificate, true);
    if (!requireSystemTool(t, 'openssl')) return;
    assert.equal(caShown?.sha256_fingerprint, fingerprintOf(file('ca.crt')));
    assert.equal(clientShown?.sha256_fingerprint, fingerprintOf(file('client.crt')));
  });

  test('a correct PEM value needs no percent-encoding: base64 of PEM text holds no + or /, so the raw URI is read the same', () => {
    const raw = `kafka://broker:9093?tls_enabled=true&ca_cert=${b64(ca.cert.pem)}&client_cert=${b64(client.cert)}&client_key=${b64(client.key)}`;
    assert.equal(decode(raw).ok, true);
  });
});

describe('decode_changefeed_uri finds the encoding mistakes people make', () => {
  test('base64 wrapped at 76 columns by GNU base64 (a newline in the URI) is line_wrapped_base64: Go url.Parse refuses the URI', () => {
    const wrapped = execFileSync('base64', [file('ca.crt')], { encoding: 'utf8' }).trim();
    assert.ok(wrapped.includes('\n'), 'GNU base64 wraps at 76 columns without -w 0');
    const result = decode(`kafka://broker:9093?${goodQuery({ ca_cert: wrapped })}`);
    const found = problemOf(result, 'line_wrapped_base64', 'ca_cert');
    assert.equal(found.level, 'error');
    assert.match(found.cockroach_error ?? '', /invalid control character in URL/);
    assert.match(found.fix, /-w 0/);
    assert.ok(result.sink.certificates.some((c) => c.param === 'ca_cert'), 'the CA inside is still explained');
  });

  test('line breaks turned into spaces fail in base64 at the first space, byte 76', () => {
    const spaced = execFileSync('base64', [file('ca.crt')], { encoding: 'utf8' }).trim().replace(/\n/g, ' ');
    const found = problemOf(decode(`kafka://broker:9093?${goodQuery({ ca_cert: spaced })}`), 'line_wrapped_base64', 'ca_cert');
    assert.equal(found.cockroach_error, 'param ca_cert must be base 64 encoded: illegal base64 data at input byte 76');
  });

  test('percent-encoded line breaks are only noted: Go skips \\r and \\n when decoding base64', () => {
    const wrapped = execFileSync('base64', [file('ca.crt')], { encoding: 'utf8' });
    const result = decode(`kafka://broker:9093?${goodQuery({ ca_cert: enc(wrapped) })}`);
    assert.equal(problemOf(result, 'encoded_line_breaks', 'ca_cert').level, 'info');
    assert.equal(result.ok, true);
  });

  test("a DER certificate base64'd with its + left raw is unencoded_plus (failing at the first +) and der_instead_of_pem", (t) => {
    if (!requireSystemTool(t, 'openssl')) return;
    // Certificates differ in every issuance (random serial, key); take one whose base64 holds a '+'.
    let der = Buffer.alloc(0);
    let certFile: string;
    for (let i = 0; i < 20 && !der.toString('base64').includes('+'); i++) {
      const key = keyMaterial('ec-p256-sec1');
      certFile = file(`plus-${i}.crt`);
      fs.writeFileSync(certFile, clientCertificate(ca, key.key).pem);
      der = execFileSync('openssl', ['x509', '-in', certFile, '-outform', 'DER']);
    }
    const base64 = execFileSync('base64', ['-w', '0'], { input: der, encoding: 'utf8' });
    assert.ok(base64.includes('+'), 'no certificate with a + in its base64 in 20 tries');
    const result = decode(`kafka://broker:9093?${goodQuery({ client_cert: base64 })}`);
    const plus = problemOf(result, 'unencoded_plus', 'client_cert');
    assert.equal(plus.cockroach_error, `param client_cert must be base 64 encoded: illegal base64 data at input byte ${base64.indexOf('+')}`);
    assert.match(plus.message, /DER/);
    problemOf(result, 'der_instead_of_pem', 'client_cert');
  });

  test('URL-safe base64 (- and _) is url_safe_base64, and the DER inside is still named', () => {
    let der = client.certDer;
    for (let i = 0; !/[-_]/.test(der.toString('base64url')); i++) der = clientCertificate(ca, keyMaterial('ec-p256-pkcs8').key).der;
    const result = decode(`kafka://broker:9093?${goodQuery({ client_cert: der.toString('base64url') })}`);
    problemOf(result, 'url_safe_base64', 'client_cert');
    problemOf(result, 'der_instead_of_pem', 'client_cert');
  });

  test('unpadded base64 is unpadded_base64, failing where Go says: at the start of the last, short quantum', () => {
    const pem = ca.cert.pem.length % 3 === 0 ? `${ca.cert.pem}\n` : ca.cert.pem;
    const unpadded = b64(pem).replace(/=+$/, '');
    const result = decode(`kafka://broker:9093?${goodQuery({ ca_cert: unpadded })}`);
    const found = problemOf(result, 'unpadded_base64', 'ca_cert');
    assert.equal(found.cockroach_error, `param ca_cert must be base 64 encoded: illegal base64 data at input byte ${unpadded.length - (unpadded.length % 4)}`);
    assert.ok(result.sink.certificates.some((c) => c.param === 'ca_cert'), 'the CA is recovered and explained');
  });

  test('base64 applied twice is double_base64', () => {
    problemOf(decode(`kafka://broker:9093?${goodQuery({ ca_cert: b64(b64(ca.cert.pem)) })}`), 'double_base64', 'ca_cert');
  });

  test("a raw + in sasl_password is read as a space: unencoded_plus, an error", () => {
    const found = problemOf(decode(`kafka://broker:9093?${goodQuery()}&sasl_enabled=true&sasl_user=cdc&sasl_password=pa+ss`), 'unencoded_plus', 'sasl_password');
    assert.equal(found.level, 'error');
    assert.match(found.fix, /%2B/);
  });

  test("a raw & in sasl_password is unencoded_ampersand, and the piece after it is never shown", () => {
    const tail = 'Zq9SecretTail';
    const result = decode(`kafka://broker:9093?${goodQuery()}&sasl_enabled=true&sasl_user=cdc&sasl_password=pa&${tail}`);
    problemOf(result, 'unencoded_ampersand', 'sasl_password');
    assert.ok(!JSON.stringify(result).includes(tail), 'a piece of the password reached the output');
    assert.ok(!result.problems.some((p) => p.code === 'unknown_parameter'), 'the piece is not reported as a parameter of its own');
  });

  test("a raw # cuts the URI: unencoded_hash names the parameters CockroachDB never sees", () => {
    const result = decode(`kafka://broker:9093?tls_enabled=true&sasl_enabled=true&sasl_user=cdc&sasl_password=pa#ss&topic_name=orders&ca_cert=${b64(ca.cert.pem)}`);
    const found = problemOf(result, 'unencoded_hash', 'sasl_password');
    assert.match(found.message, /topic_name/);
    assert.match(found.message, /ca_cert/);
    assert.ok(!result.sink.parameters.some((p) => p.name === 'topic_name'), 'CockroachDB never reads topic_name');
  });

  test("a raw ; makes Go drop the whole pair: unencoded_semicolon", () => {
    const result = decode(`kafka://broker:9093?${goodQuery()}&sasl_enabled=true&sasl_user=cdc&sasl_password=pa;ss`);
    problemOf(result, 'unencoded_semicolon', 'sasl_password');
    problemOf(result, 'sasl_parameter_missing', 'sasl_password');
  });

  for (const [label, args] of [
    ['PKCS#8 (openssl pkey -aes256)', ['pkey', '-aes256', '-passout', 'pass:secret']],
    ['legacy PEM (openssl rsa -aes256 -traditional)', ['rsa', '-aes256', '-traditional', '-passout', 'pass:secret']],
  ] as const) {
    test(`an encrypted ${label} client key is encrypted_key, with the openssl command to decrypt it`, (t) => {
      if (!requireSystemTool(t, 'openssl')) return;
      const encrypted = openssl([...args, '-in', file('client.key')]);
      const result = decode(`kafka://broker:9093?${goodQuery({ client_key: enc(b64(encrypted)) })}`);
      const found = problemOf(result, 'encrypted_key', 'client_key');
      assert.match(found.fix, /openssl pkey -in/);
      assert.match(found.cockroach_error ?? '', /tls: failed to parse private key/);
      assert.equal(result.sink.key?.encrypted, true);
    });
  }

  test('a key that belongs to another certificate is key_mismatch', () => {
    const other = keyMaterial('rsa-pkcs1');
    const result = decode(`kafka://broker:9093?${goodQuery({ client_key: enc(b64(other.pem)) })}`);
    assert.equal(problemOf(result, 'key_mismatch', 'client_key').cockroach_error, 'invalid client certificate data provided: tls: private key does not match public key');
    assert.equal(result.sink.key?.matches_certificate, false);
  });

  test('a DER CA is der_instead_of_pem: on Kafka it is silently ignored and fails later as unknown authority', () => {
    const result = decode(`kafka://broker:9093?${goodQuery({ ca_cert: enc(ca.cert.der.toString('base64')) })}`);
    const found = problemOf(result, 'der_instead_of_pem', 'ca_cert');
    assert.match(found.message, /ignores/);
    assert.match(found.cockroach_error ?? '', /certificate signed by unknown authority/);
    assert.match(found.cockroach_error ?? '', /run out of available brokers/);
  });

  test('a non-PEM CA on a webhook is refused at once: failed to parse certificate data', () => {
    const result = decode(`webhook-https://hooks.example.com/cdc?ca_cert=${enc(b64('not a certificate at all'))}`);
    assert.match(problemOf(result, 'ca_cert_not_pem', 'ca_cert').cockroach_error ?? '', /failed to parse certificate data/);
  });

  test('certificate and key swapped is pem_inputs_switched', () => {
    const result = decode(`kafka://broker:9093?${goodQuery({ client_cert: enc(b64(client.key)), client_key: enc(b64(client.cert)) })}`);
    problemOf(result, 'pem_inputs_switched', 'client_cert');
    assert.ok(!JSON.stringify(result).includes(b64(client.key).slice(40, 120)), 'the key placed in client_cert reached the output');
  });
});

describe('decode_changefeed_uri applies the parameter rules CockroachDB enforces', () => {
  // Error texts from CockroachDB's sink_external_connection_test.go (reference §5.2).
  const cases: Array<[string, string, string, string]> = [
    ['kafka_topic_prefix is unknown', 'kafka_topic_prefix=foo', 'unknown_parameter', 'unknown kafka sink query parameters: [kafka_topic_prefix]'],
    ['tls_enabled must be a bool', 'tls_enabled=foo', 'not_a_bool', 'param tls_enabled must be a bool'],
    ['ca_cert requires tls_enabled=true', `ca_cert=${b64('x')}`, 'tls_not_enabled', 'ca_cert requires tls_enabled=true'],
    ['sasl_handshake needs sasl_enabled', 'sasl_handshake=false', 'sasl_not_enabled', 'sasl_enabled must be enabled to configure SASL handshake behavior'],
    ['sasl_mechanism needs sasl_enabled', 'sasl_mechanism=SCRAM-SHA-256', 'sasl_not_enabled', 'sasl_enabled must be enabled to configure SASL mechanism'],
    ['schema_topic is not supported', 'schema_topic=foo', 'unsupported_parameter', 'schema_topic is not yet supported'],
  ];
  for (const [label, query, code, cockroachError] of cases) {
    test(`${label}: ${code} with CockroachDB's text`, () => {
      const found = problemOf(decode(`kafka://nope/?${query}`), code);
      assert.ok(found.cockroach_error?.startsWith(cockroachError), `${found.cockroach_error} does not start with ${cockroachError}`);
    });
  }

  test('SASL: a user without sasl_enabled, a missing password, an unknown mechanism, an OAuth parameter with PLAIN', () => {
    assert.match(problemOf(decode('kafka://nope/?sasl_user=a'), 'sasl_not_enabled').cockroach_error ?? '', /^sasl_enabled must be enabled if sasl_user is provided/);
    assert.match(problemOf(decode('kafka://nope/?sasl_enabled=true&sasl_user=a'), 'sasl_parameter_missing', 'sasl_password').cockroach_error ?? '', /^sasl_password must be provided when SASL is enabled/);
    assert.match(problemOf(decode('kafka://nope/?sasl_enabled=true&sasl_mechanism=unsupported&sasl_user=a&sasl_password=b'), 'unknown_sasl_mechanism').cockroach_error ?? '', /^param sasl_mechanism must be one of /);
    problemOf(decode('kafka://nope/?sasl_enabled=true&sasl_user=a&sasl_password=b&sasl_client_id=c'), 'oauth_parameter_without_oauth', 'sasl_client_id');
    problemOf(decode('kafka://nope/?sasl_enabled=true&sasl_mechanism=OAUTHBEARER&sasl_client_id=c&sasl_client_secret=not-base64!&sasl_token_url=https%3A%2F%2Fidp'), 'client_secret_not_base64');
  });

  test('https:// with TLS parameters is the cloud-storage sink, not a webhook; webhook-http:// is refused', () => {
    problemOf(decode(`https://hooks.example.com/cdc?ca_cert=${enc(b64(ca.cert.pem))}`), 'wrong_scheme');
    problemOf(decode('webhook-http://hooks.example.com/cdc'), 'webhook_requires_https');
  });

  test('a whole CREATE CHANGEFEED statement: targets, options, the sink and the schema registry are each explained', () => {
    const der = enc(ca.cert.der.toString('base64'));
    const sql = `CREATE CHANGEFEED FOR TABLE orders, "My Table" INTO 'kafka://broker:9093?${goodQuery()}'\n  WITH updated, format = avro, confluent_schema_registry = 'https://registry:8081?ca_cert=${der}';`;
    const result = decode(sql);
    assert.equal(result.input, 'create_changefeed');
    assert.deepEqual(result.targets, ['orders', '"My Table"']);
    assert.deepEqual(result.options.map((o) => o.name), ['updated', 'format', 'confluent_schema_registry']);
    assert.equal(result.schema_registry?.kind, 'schema_registry');
    const found = problemOf(result, 'der_instead_of_pem', 'ca_cert');
    assert.equal(found.where, 'schema_registry');
    assert.match(found.cockroach_error ?? '', /failed to parse certificate data/);
  });

  test('every problem found in this file carries the diagnosis code changefeed_sink_tls and a fix', () => {
    assert.ok(every.length > 30, `only ${every.length} problems were collected`);
    for (const p of every) {
      assert.equal(p.diagnosis_code, CHANGEFEED_DIAGNOSIS, `${p.code}`);
      assert.ok(p.fix.trim().length > 10, `${p.code} has no real fix`);
    }
  });
});

describe('encode_changefeed_uri refuses what CockroachDB or the broker would refuse, and builds nothing', () => {
  const readFile = async (p: string) => fs.promises.readFile(path.resolve(tmp, p));
  const encode = (request: Partial<EncodeRequest>) => encodeChangefeedUri({ sink: 'kafka://broker:9093', ca: file('ca.crt'), cert: file('client.crt'), key: file('client.key'), ...request }, readFile);
  const refusal = async (request: Partial<EncodeRequest>, code: string) => {
    const result = await encode(request);
    assert.equal(result.encoded, false, `encoded despite ${code}`);
    assert.equal(result.uri, undefined);
    assert.equal(result.uri_redacted, undefined);
    const found = result.problems.find((p) => p.code === code);
    assert.ok(found, `expected ${code}, got ${JSON.stringify(result.problems.map((p) => p.code))}`);
    return found;
  };

  test('a key of another certificate', async () => {
    fs.writeFileSync(file('other.key'), keyMaterial('ec-p256-sec1').pem);
    await refusal({ key: file('other.key') }, 'key_mismatch');
  });

  test('an encrypted key, with the command to decrypt that very file', async (t) => {
    if (!requireSystemTool(t, 'openssl')) return;
    fs.writeFileSync(file('encrypted.key'), openssl(['pkey', '-aes256', '-passout', 'pass:secret', '-in', file('client.key')]));
    const found = await refusal({ key: file('encrypted.key') }, 'encrypted_key');
    assert.ok(found.fix.includes(`openssl pkey -in ${file('encrypted.key')}`), found.fix);
  });

  test('an expired client certificate', async () => {
    const key = keyMaterial('ec-p256-pkcs8');
    const longAgo = new Date(Date.now() - 400 * DAY_MS);
    const oldCa = makeCa('ec', 1000 * DAY_MS, longAgo);
    const expired = clientCertificate(oldCa, key.key, 'cdc', 100 * DAY_MS, longAgo);
    await refusal({ ca: oldCa.cert.pem, cert: expired.pem, key: key.pem }, 'certificate_expired');
  });

  test('a client certificate signed by the key of ca_cert through a certificate that is not a CA', async () => {
    const notCaKey = keyMaterial('ec-p256-pkcs8');
    const notCa = clientCertificate(ca, notCaKey.key, 'not-a-ca');
    const key = keyMaterial('ec-p256-sec1');
    const cert = issueCertificate({ profile: 'client', commonName: 'cdc', subjectPublicKey: spkiDer(key.key), lifetimeMs: 30 * DAY_MS }, { certificate: notCa.parsed, key: notCaKey.key });
    const found = await refusal({ ca: notCa.pem, cert: cert.pem, key: key.pem }, 'client_cert_chain_invalid');
    assert.equal(found.level, 'error');
  });

  test('a client certificate naming the CA of ca_cert but signed by another key with that name is a warning, not a refusal', async () => {
    // create-ca and create-client-ca both name their CA "Cockroach CA" (reference §1.2): a
    // re-created CA and a separate client CA look the same from here.
    const sameName = makeCa('ec');
    const key = keyMaterial('ec-p256-sec1');
    const result = await encode({ cert: clientCertificate(sameName, key.key).pem, key: key.pem });
    assert.equal(result.encoded, true);
    const found = result.problems.find((p) => p.code === 'client_cert_ca_name_collision');
    assert.equal(found?.level, 'warning');
    assert.match(found?.message ?? '', /re-created/);
  });

  test('a client certificate from a differently named CA is only noted: the broker may trust that CA', async () => {
    const otherKey = keyMaterial('ec-p256-pkcs8').key;
    const other = issueCertificate({ profile: 'ca', commonName: 'Kafka Clients CA', subjectPublicKey: spkiDer(otherKey), lifetimeMs: 365 * DAY_MS }, { key: otherKey });
    const key = keyMaterial('ec-p256-sec1');
    const cert = issueCertificate({ profile: 'client', commonName: 'cdc', subjectPublicKey: spkiDer(key.key), lifetimeMs: 90 * DAY_MS }, { certificate: other.parsed, key: otherKey });
    const result = await encode({ cert: cert.pem, key: key.pem });
    assert.equal(result.encoded, true);
    assert.equal(result.problems.find((p) => p.code === 'client_cert_other_ca')?.level, 'info');
  });

  test('SASL parameters without sasl_enabled, and an unknown parameter', async () => {
    await refusal({ params: { sasl_user: 'cdc', sasl_password: 'x' } }, 'sasl_not_enabled');
    await refusal({ params: { kafka_topic_prefix: 'x' } }, 'unknown_parameter');
  });

  test('DER input is converted, and said so', async () => {
    fs.writeFileSync(file('client.der'), client.certDer);
    const result = await encode({ cert: file('client.der') });
    assert.equal(result.encoded, true);
    assert.ok(result.problems.some((p) => p.code === 'converted_from_der' && p.param === 'client_cert'));
  });

  test('misuse is invalid input: certificates as raw parameters, a webhook over http, tls_enabled=false', async () => {
    for (const request of [
      { params: { ca_cert: b64(ca.cert.pem) } },
      { sink: 'webhook-http://hooks.example.com/x' },
      { sink: 'http://hooks.example.com/x' },
      { params: { tls_enabled: 'false' } },
      { sink: 'kafka://broker:9093#x' },
      { tables: ['a..b'] },
    ] as Array<Partial<EncodeRequest>>) {
      await assert.rejects(encode(request), (error: unknown) => error instanceof ToolError && error.code === 'invalid_input', JSON.stringify(request));
    }
  });

  test('a registry over http:// with TLS material is refused', async () => {
    await refusal({ schemaRegistry: 'http://registry:8081', registryCa: ca.cert.pem }, 'registry_tls_over_http');
  });

  test('a webhook sink given as https:// becomes webhook-https://, with no tls_enabled', async () => {
    const result = await encode({ sink: 'https://hooks.example.com/cdc', key: undefined, cert: undefined });
    assert.equal(result.encoded, true);
    assert.ok(result.uri?.startsWith('webhook-https://hooks.example.com/cdc?ca_cert='), result.uri);
    assert.ok(!result.uri?.includes('tls_enabled'));
  });
});
