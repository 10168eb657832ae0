// The sink URI holds a private key (and often a SASL password): redactSinkUri and
// redactChangefeedStatement hide them — also in malformed URIs — and neither the default output
// of encode_changefeed_uri, nor decode_changefeed_uri, nor the log lines of either tool ever holds
// the key or the password. Both tools run through the real runtime (runner, paths, store).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { DecodedChangefeedUri, decodeChangefeedUri } from '../../src/changefeed/decode.js';
import { REDACTED, redactChangefeedStatement, redactSinkUri } from '../../src/changefeed/redact.js';
import { ToolError } from '../../src/core/errors.js';
import { createRuntime, type Runtime } from '../../src/core/runtime.js';
import type { ToolContext } from '../../src/core/tool.js';
import { findTool } from '../../tools/catalog.js';
import { RESERVED, clientCertificate, keyFragments, keyMaterial, makeCa, type Ca, type KeyMaterial } from '../support/changefeed-pki.js';
import { seededRandom } from '../support/seeded-random.js';

const PASSWORD = 'Tr0ub4dor+&3#x;y%zz';
let tmp = '';
let ca: Ca;
let key: KeyMaterial;
let certPem = '';
let runtime: Runtime;
const logLines: string[] = [];
const b64 = (text: string) => Buffer.from(text).toString('base64');

before(async () => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-cf-redact-')));
  ca = makeCa('rsa');
  key = keyMaterial('ec-p256-sec1');
  certPem = clientCertificate(ca, key.key).pem;
  fs.writeFileSync(path.join(tmp, 'ca.crt'), ca.cert.pem);
  fs.writeFileSync(path.join(tmp, 'client.crt'), certPem);
  fs.writeFileSync(path.join(tmp, 'client.key'), key.pem, { mode: 0o600 });
  const sink = new Writable({ write(chunk, _encoding, done) { logLines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  const log = pino({ level: 'debug' }, sink);
  runtime = await createRuntime('cli', { CRDB_TLS_STATE_DIR: path.join(tmp, 'state'), CRDB_TLS_ROOTS: tmp }, log);
});
after(async () => {
  await runtime?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** A tool call through the runner, as every face makes it. */
async function call(name: string, input: Record<string, unknown>): Promise<{ output: Record<string, unknown>; text: string }> {
  const tool = findTool(name);
  assert.ok(tool, `${name} is not in the catalog`);
  const ctx: ToolContext = { config: runtime.config, paths: runtime.paths, log: runtime.log, store: runtime.runner.store, requester: 'test' };
  const outcome = await runtime.runner.run(tool, input, ctx);
  assert.ok(outcome.ok, `${name} failed: ${JSON.stringify(!outcome.ok && outcome.error)}`);
  return { output: outcome.output, text: outcome.text };
}

function assertNoSecrets(text: string, where: string) {
  for (const fragment of keyFragments(key.pem)) assert.ok(!text.includes(fragment), `part of the private key is in ${where}`);
  assert.ok(!text.includes('PRIVATE KEY'), `a PEM key is in ${where}`);
  assert.ok(!text.includes(PASSWORD) && !text.includes(encodeURIComponent(PASSWORD)) && !text.includes('Tr0ub4dor'), `the password is in ${where}`);
}

describe('redactSinkUri', () => {
  test('hides client_key and passwords, keeps the CA and the rest readable', () => {
    const uri = `kafka://broker:9093?tls_enabled=true&ca_cert=${b64(ca.cert.pem)}&client_key=${b64(key.pem)}&sasl_password=${encodeURIComponent(PASSWORD)}&sasl_client_secret=c2VjcmV0&topic_name=orders`;
    const redacted = redactSinkUri(uri);
    assert.equal(redacted, `kafka://broker:9093?tls_enabled=true&ca_cert=${b64(ca.cert.pem)}&client_key=${REDACTED}&sasl_password=${REDACTED}&sasl_client_secret=${REDACTED}&topic_name=orders`);
  });

  test('hides the rest of a password cut by a raw & or #, a password in user:pass@, and a key put in the wrong parameter', () => {
    assert.equal(redactSinkUri('kafka://b:9093?sasl_password=ab&cd=ef&topic_name=x'), `kafka://b:9093?sasl_password=${REDACTED}&${REDACTED}&topic_name=x`);
    assert.equal(redactSinkUri('kafka://b:9093?sasl_password=ab#cd&topic_name=x'), `kafka://b:9093?sasl_password=${REDACTED}`);
    assert.equal(redactSinkUri('webhook-https://user:hunter2@hooks.example.com/x'), `webhook-https://user:${REDACTED}@hooks.example.com/x`);
    assert.equal(redactSinkUri(`kafka://b:9093?client_cert=${b64(key.pem)}`), `kafka://b:9093?client_cert=${REDACTED}`);
    assert.equal(redactSinkUri(`kafka://b:9093?ca_cert=${key.der.toString('base64')}`), `kafka://b:9093?ca_cert=${REDACTED}`, 'a DER key is key material too');
    assert.equal(redactSinkUri(`kafka://b:9093?client%5Fkey=${b64(key.pem)}`), `kafka://b:9093?client%5Fkey=${REDACTED}`);
  });

  test('hides a line-wrapped key in a malformed URI', () => {
    const wrapped = b64(key.pem).replace(/(.{76})/g, '$1\n');
    const redacted = redactSinkUri(`kafka://b:9093?tls_enabled=true&client_key=${wrapped}&topic_name=x`);
    assert.equal(redacted, `kafka://b:9093?tls_enabled=true&client_key=${REDACTED}&topic_name=x`);
  });
});

describe('redactChangefeedStatement', () => {
  test('hides the sink and registry keys and the webhook auth header, keeps other literals', () => {
    const sql = `CREATE CHANGEFEED FOR TABLE orders INTO 'kafka://b:9093?client_key=${b64(key.pem)}&sasl_password=it''s' `
      + `WITH resolved = '10s', webhook_auth_header = 'Bearer abc.def', confluent_schema_registry = 'https://r:8081?client_key=${b64(key.pem)}';`;
    const redacted = redactChangefeedStatement(sql);
    assert.equal(redacted, `CREATE CHANGEFEED FOR TABLE orders INTO 'kafka://b:9093?client_key=${REDACTED}&sasl_password=${REDACTED}' `
      + `WITH resolved = '10s', webhook_auth_header = '${REDACTED}', confluent_schema_registry = 'https://r:8081?client_key=${REDACTED}';`);
  });

  test('an unterminated literal is redacted to the end', () => {
    assert.equal(redactChangefeedStatement(`CREATE CHANGEFEED FOR TABLE t INTO 'kafka://b?client_key=${b64(key.pem)}`), `CREATE CHANGEFEED FOR TABLE t INTO 'kafka://b?client_key=${REDACTED}`);
  });
});

describe('no private key or password in default output or logs', () => {
  const request = () => ({
    sink: 'kafka://broker:9093', ca: 'ca.crt', cert: 'client.crt', key: 'client.key',
    params: { sasl_enabled: 'true', sasl_mechanism: 'SCRAM-SHA-512', sasl_user: 'cdc', sasl_password: PASSWORD },
    tables: ['orders'],
    schema_registry: 'https://registry:8081', registry_ca: 'ca.crt', registry_cert: 'client.crt', registry_key: 'client.key',
  });
  let revealedUri = '';

  test('encode_changefeed_uri by default returns only redacted forms, and says client_key=<redacted>', async () => {
    const { output, text } = await call('encode_changefeed_uri', { ...request(), ca: path.join(tmp, 'ca.crt'), cert: path.join(tmp, 'client.crt'), key: path.join(tmp, 'client.key'), registry_ca: path.join(tmp, 'ca.crt'), registry_cert: path.join(tmp, 'client.crt'), registry_key: path.join(tmp, 'client.key') });
    assert.equal(output.encoded, true, JSON.stringify(output.problems));
    assert.equal(output.uri, undefined);
    assert.equal(output.statement, undefined);
    assert.match(String(output.uri_redacted), /client_key=<redacted>/);
    assert.match(String(output.statement_redacted), /sasl_password=<redacted>/);
    assertNoSecrets(JSON.stringify(output), 'the structured output');
    assertNoSecrets(text, 'the text summary');
    assert.match(text, /--reveal/);
  });

  test('with reveal: true the full URI is returned (so the check above could fail), and it is marked as revealed', async () => {
    const { output } = await call('encode_changefeed_uri', { ...request(), ca: path.join(tmp, 'ca.crt'), cert: path.join(tmp, 'client.crt'), key: path.join(tmp, 'client.key'), registry_ca: undefined, registry_cert: undefined, registry_key: undefined, schema_registry: undefined, reveal: true });
    revealedUri = String(output.uri);
    assert.equal(output.revealed, true);
    assert.ok(revealedUri.includes(b64(key.pem).replace(/=+$/, '')), 'the revealed URI holds base64 of the key');
    assert.ok(revealedUri.includes(encodeURIComponent(PASSWORD).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)));
  });

  test('decode_changefeed_uri never returns the key or password of the URI it explains', async () => {
    assert.ok(revealedUri, 'needs the revealed URI of the test before');
    const { output, text } = await call('decode_changefeed_uri', { uri: revealedUri });
    assert.equal(output.ok, true, JSON.stringify(output.problems));
    assertNoSecrets(JSON.stringify(output), 'the decode output');
    assertNoSecrets(text, 'the decode summary');
  });

  test('the log lines of both tools hold the redacted URI and nothing secret', () => {
    const joined = logLines.join('\n');
    assert.ok(logLines.some((line) => line.includes('client_key=<redacted>')), 'the tools log the redacted URI at debug level');
    assertNoSecrets(joined, 'the log');
  });
});

describe('decode_changefeed_uri on mangled URIs (fuzz)', () => {
  test('2000 random mutations of a URI holding a key and a password: never a crash, always the declared shape, never the key or the password', () => {
    const random = seededRandom(Number(process.env.CHANGEFEED_SEED ?? 99));
    const base = `kafka://broker:9093?tls_enabled=true&ca_cert=${encodeURIComponent(b64(ca.cert.pem))}&client_cert=${encodeURIComponent(b64(certPem))}`
      + `&client_key=${encodeURIComponent(b64(key.pem))}&sasl_enabled=true&sasl_user=cdc&sasl_password=${encodeURIComponent(PASSWORD)}`;
    const inserts = [...RESERVED, '\n', '\r\n', ' ', "'", '%', '%0A', '==', '-', '_', 'client_key=', '&ca_cert=', '?', '://'];
    let explained = 0;
    for (let i = 0; i < 2000; i++) {
      let uri = base;
      for (let m = 0; m < 1 + Math.floor(random() * 4); m++) {
        const at = Math.floor(random() * uri.length);
        const roll = random();
        if (roll < 0.5) uri = uri.slice(0, at) + inserts[Math.floor(random() * inserts.length)] + uri.slice(at);
        else if (roll < 0.8) uri = uri.slice(0, at) + uri.slice(at + 1 + Math.floor(random() * 8));
        else uri = uri.slice(0, at);
      }
      const text = random() < 0.3 ? `CREATE CHANGEFEED FOR TABLE t INTO '${uri.replace(/'/g, "''")}' WITH updated` : uri;
      let result;
      try {
        result = decodeChangefeedUri(text);
      } catch (error) {
        assert.ok(error instanceof ToolError && error.code === 'invalid_input', `mutation ${i} threw ${String(error)}`);
        continue;
      }
      explained++;
      DecodedChangefeedUri.parse(result);
      const json = JSON.stringify(result);
      for (const fragment of keyFragments(key.pem)) assert.ok(!json.includes(fragment), `mutation ${i} leaked part of the key`);
      assert.ok(!json.includes('Tr0ub4dor'), `mutation ${i} leaked the password`);
    }
    assert.ok(explained > 1500, `only ${explained} of 2000 mutations were explained`);
  });
});
