// encode_changefeed_uri with reveal over a real MCP stdio client, as a prompt-injected assistant
// would call it to pull a private key into its context: for every key form CockroachDB reads
// (PKCS#1, PKCS#8 and SEC1 PEM, DER converted, Ed25519, pasted PEM) the full URI goes to a new
// 0600 file, and no answer, progress message, stderr line or audit line holds the key — as PEM
// lines, base64 of the PEM (plain or percent-encoded) or base64 of the DER. Go itself decodes the
// written URI the way CockroachDB does (test/support/go-sink-decoder.ts) and gets the key back.
// Encrypted keys are refused without a file; a CA's key is refused; read-only mode refuses reveal.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { clientCertificate, keyMaterial, makeCa, sqlIntoLiteral, type Ca } from '../support/changefeed-pki.js';
import { goSinkDecoder } from '../support/go-sink-decoder.js';
import { assertNoKeyIn } from '../support/key-leaks.js';
import { mcpEnv, startMcpSession, type McpSession } from '../support/mcp-session.js';

let tmp = '';
let ca: Ca;
let mcp: McpSession;
let readOnly: McpSession;
const decode = () => goSinkDecoder();
/** Every private key the tests hand to the server; none may come back. */
const keys: crypto.KeyObject[] = [];

interface Form {
  name: string;
  key: crypto.KeyObject;
  /** The bytes written to the key file (or pasted). */
  bytes: Buffer;
  pasted?: boolean;
  /** What Go gets back after decoding: these bytes (PEM given), or a PEM of the same key (DER given). */
  converted?: boolean;
}

const pemOf = (key: crypto.KeyObject, type: 'pkcs1' | 'pkcs8' | 'sec1') => Buffer.from(key.export({ format: 'pem', type }) as string);
const derOf = (key: crypto.KeyObject, type: 'pkcs1' | 'pkcs8' | 'sec1') => key.export({ format: 'der', type }) as Buffer;

function assertNoKey(text: string, where: string): void {
  assertNoKeyIn(text, keys, where);
}

const forms: Form[] = [];

before(async () => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-reveal-mcp-')));
  fs.mkdirSync(path.join(tmp, 'work'));
  fs.mkdirSync(path.join(tmp, 'outside'));
  ca = makeCa('ec');
  keys.push(ca.key);
  fs.writeFileSync(path.join(tmp, 'ca.crt'), ca.cert.pem);
  fs.writeFileSync(path.join(tmp, 'ca.key'), pemOf(ca.key, 'pkcs8'), { mode: 0o600 });
  const rsa = keyMaterial('rsa-pkcs1').key;
  const ec256 = keyMaterial('ec-p256-sec1').key;
  const ec384 = keyMaterial('ec-p384-pkcs8').key;
  const ed = crypto.generateKeyPairSync('ed25519').privateKey;
  const rsa8 = keyMaterial('rsa-pkcs8').key;
  forms.push(
    { name: 'rsa-pkcs1-pem', key: rsa, bytes: pemOf(rsa, 'pkcs1') },
    { name: 'rsa-pkcs8-pem', key: rsa8, bytes: pemOf(rsa8, 'pkcs8') },
    { name: 'ec-p256-sec1-pem', key: ec256, bytes: pemOf(ec256, 'sec1') },
    { name: 'ec-p384-pkcs8-pem', key: ec384, bytes: pemOf(ec384, 'pkcs8') },
    { name: 'ed25519-pkcs8-pem', key: ed, bytes: pemOf(ed, 'pkcs8') },
    { name: 'rsa-pkcs8-der-pk8', key: rsa8, bytes: derOf(rsa8, 'pkcs8'), converted: true },
    { name: 'ec-p256-sec1-der', key: ec256, bytes: derOf(ec256, 'sec1'), converted: true },
    { name: 'ec-p256-sec1-pasted', key: ec256, bytes: pemOf(ec256, 'sec1'), pasted: true },
  );
  for (const form of forms) {
    if (!keys.includes(form.key)) keys.push(form.key);
    fs.writeFileSync(path.join(tmp, `${form.name}.crt`), clientCertificate(ca, form.key, `cdc-${form.name}`).pem);
    fs.writeFileSync(path.join(tmp, `${form.name}.key`), form.bytes, { mode: 0o600 });
  }
  const env = mcpEnv({ HOME: path.join(tmp, 'home'), CRDB_TLS_ROOTS: tmp, CRDB_TLS_STATE_DIR: path.join(tmp, 'state'), CRDB_TLS_LOG_LEVEL: 'debug' });
  mcp = await startMcpSession(env, path.join(tmp, 'work'));
  readOnly = await startMcpSession({ ...env, CRDB_TLS_STATE_DIR: path.join(tmp, 'state-ro'), CRDB_TLS_READ_ONLY: 'true' }, path.join(tmp, 'work'));
});

after(async () => {
  await mcp?.close();
  await readOnly?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const request = (form: Form, extra: Record<string, unknown> = {}) => ({
  sink: 'kafka://broker.example.com:9093',
  ca: path.join(tmp, 'ca.crt'),
  cert: path.join(tmp, `${form.name}.crt`),
  key: form.pasted ? form.bytes.toString('utf8') : path.join(tmp, `${form.name}.key`),
  params: { topic_name: 'orders' },
  reveal: true,
  ...extra,
});

describe('reveal over MCP writes the key to a 0600 file, never into the answer', () => {
  for (const [i, form] of [0, 1, 2, 3, 4, 5, 6, 7].map((n) => [n, () => forms[n]!] as const)) {
    test(`key form #${i + 1}: the file holds the full URI and Go decodes the key from it; the answer holds no key`, async () => {
      const f = form();
      const withTables = i % 2 === 0;
      const revealTo = f.pasted ? path.join(tmp, `pasted-${i}.uri`) : undefined;
      const answer = await mcp.call('encode_changefeed_uri', request(f, { ...(withTables ? { tables: ['orders'] } : {}), ...(revealTo ? { reveal_to: revealTo } : {}) }));
      assert.equal(answer.isError, false, answer.text);
      const out = answer.structured!;
      assert.equal(out.encoded, true, JSON.stringify(out.problems));
      assert.equal(out.revealed, true);
      assert.equal(out.uri, undefined, 'the full URI is not in the answer');
      assert.equal(out.statement, undefined, 'the full statement is not in the answer');
      assert.match(String(out.uri_redacted), /client_key=<redacted>/);
      const revealed = out.revealed_to as { path: string; sha256: string; holds: string };
      assert.equal(revealed.holds, withTables ? 'statement' : 'uri');
      if (revealTo) assert.equal(revealed.path, revealTo);
      else assert.equal(path.dirname(revealed.path), tmp, 'by default the file goes next to the key');
      assert.ok(answer.text.includes(revealed.path), 'the summary names the file');

      const stat = fs.statSync(revealed.path);
      assert.equal(stat.mode & 0o777, 0o600);
      const contents = fs.readFileSync(revealed.path, 'utf8');
      assert.equal(crypto.createHash('sha256').update(contents).digest('hex'), revealed.sha256);
      const uri = withTables ? sqlIntoLiteral(contents)! : contents.trim();
      assert.ok(uri.startsWith('kafka://broker.example.com:9093?'), contents.slice(0, 60));
      const go = decode()(uri);
      assert.equal(go.error, undefined);
      assert.equal(go.pair, 'ok', `Go's tls.X509KeyPair: ${go.pair_error}`);
      if (f.converted) {
        assert.ok(crypto.createPublicKey(crypto.createPrivateKey(go.client_key!)).export({ format: 'der', type: 'spki' }).equals(crypto.createPublicKey(f.key).export({ format: 'der', type: 'spki' })), 'Go decodes the same key');
      } else {
        assert.equal(go.client_key, f.bytes.toString('utf8'), 'Go decodes exactly the key given');
      }
      assert.throws(() => assertNoKey(contents, 'the file'), /key material/, 'the check finds the key where it is (the file), so it could fail below');
      assertNoKey(answer.text, 'the text answer');
      assertNoKey(JSON.stringify(out), 'the structured answer');
      assertNoKey(JSON.stringify(answer.progress), 'the progress messages');
    });
  }

  test('the same reveal again lands in the same file; a reveal_to naming another existing file is refused and the file is untouched', async () => {
    const f = forms[2]!;
    const first = (await mcp.call('encode_changefeed_uri', request(f))).structured!.revealed_to as { path: string; sha256: string };
    const again = (await mcp.call('encode_changefeed_uri', request(f))).structured!.revealed_to as { path: string; sha256: string };
    assert.deepEqual(again, first);
    const victim = path.join(tmp, 'ca.crt');
    const before = fs.readFileSync(victim);
    const refused = await mcp.call('encode_changefeed_uri', request(f, { reveal_to: victim }));
    assert.equal(refused.isError, true);
    assert.match(refused.text, /already_exists/);
    assert.ok(fs.readFileSync(victim).equals(before));
  });

  test('reveal_to outside the allowed directories is refused and nothing is written there', async () => {
    const target = path.join(os.tmpdir(), `crdb-tls-reveal-outside-${process.pid}.uri`);
    const refused = await mcp.call('encode_changefeed_uri', request(forms[0]!, { reveal_to: target }));
    assert.equal(refused.isError, true);
    assert.match(refused.text, /outside_roots/);
    assert.equal(fs.existsSync(target), false);
  });

  test('a pasted key with no file named and no reveal_to: refused with what to give, no file anywhere', async () => {
    const before = fs.readdirSync(tmp).length;
    const refused = await mcp.call('encode_changefeed_uri', { sink: 'kafka://b:9093', cert: fs.readFileSync(path.join(tmp, `${forms[7]!.name}.crt`), 'utf8'), key: forms[7]!.bytes.toString('utf8'), reveal: true });
    assert.equal(refused.isError, true);
    assert.match(refused.text, /reveal_to/);
    assert.equal(fs.readdirSync(tmp).length, before);
  });

  test('encrypted keys (PKCS#8 and legacy Proc-Type) are refused as problems; no file is written and the answer holds no key', async () => {
    const key = keyMaterial('rsa-pkcs1').key;
    keys.push(key);
    fs.writeFileSync(path.join(tmp, 'enc.crt'), clientCertificate(ca, key, 'enc').pem);
    for (const [name, type] of [['enc-pkcs8', 'pkcs8'], ['enc-legacy', 'pkcs1']] as const) {
      fs.writeFileSync(path.join(tmp, `${name}.key`), key.export({ format: 'pem', type, cipher: 'aes-256-cbc', passphrase: 'pass-phrase' }) as string, { mode: 0o600 });
      const before = fs.readdirSync(tmp).length;
      const answer = await mcp.call('encode_changefeed_uri', { sink: 'kafka://b:9093', ca: path.join(tmp, 'ca.crt'), cert: path.join(tmp, 'enc.crt'), key: path.join(tmp, `${name}.key`), reveal: true });
      assert.equal(answer.isError, false, answer.text);
      assert.equal(answer.structured!.encoded, false);
      assert.ok((answer.structured!.problems as Array<{ code: string }>).some((p) => p.code === 'encrypted_key'));
      assert.equal(answer.structured!.revealed_to, undefined);
      assert.equal(fs.readdirSync(tmp).length, before);
      assertNoKey(answer.text + JSON.stringify(answer.structured), `the answer for ${name}`);
    }
  });

  test('a CA\'s key is refused as client_key: with the CA certificate, and beside another certificate with the CA given', async () => {
    const before = fs.readdirSync(tmp).length;
    for (const args of [
      { sink: 'kafka://b:9093', cert: path.join(tmp, 'ca.crt'), key: path.join(tmp, 'ca.key'), reveal: true },
      { sink: 'kafka://b:9093', ca: path.join(tmp, 'ca.crt'), cert: path.join(tmp, `${forms[0]!.name}.crt`), key: path.join(tmp, 'ca.key'), reveal: true },
      { sink: 'kafka://b:9093', cert: path.join(tmp, 'ca.crt'), key: path.join(tmp, 'ca.key') },
    ]) {
      const answer = await mcp.call('encode_changefeed_uri', args);
      assert.equal(answer.isError, true, answer.text);
      assert.match(answer.text, /Error \(refused\): client_key \(key\) is refused: .*CA:TRUE/);
      assertNoKey(answer.text, 'the refusal');
    }
    assert.equal(fs.readdirSync(tmp).length, before);
  });

  test('read-only mode refuses reveal (and writes nothing), and still builds the redacted URI', async () => {
    const before = fs.readdirSync(tmp).length;
    const refused = await readOnly.call('encode_changefeed_uri', request(forms[1]!));
    assert.equal(refused.isError, true);
    assert.match(refused.text, /Error \(refused\): reveal is refused in read-only mode/);
    assert.equal(fs.readdirSync(tmp).length, before);
    const redacted = await readOnly.call('encode_changefeed_uri', request(forms[1]!, { reveal: false }));
    assert.equal(redacted.structured!.encoded, true);
    assert.equal(redacted.structured!.uri, undefined);
  });

  test('no answer, progress message, stderr line (debug logging) or audit line of either server holds a key', async () => {
    const audit = await mcp.call('audit_log', { limit: 200 });
    assert.equal(audit.isError, false, audit.text);
    assertNoKey(mcp.seen(), 'the answers of the server');
    assertNoKey(readOnly.seen(), 'the answers of the read-only server');
    assertNoKey(mcp.stderr(), 'the server\'s stderr');
    assertNoKey(readOnly.stderr(), 'the read-only server\'s stderr');
    assert.match(mcp.stderr(), /changefeed sink URI built/, 'debug logging was on, so the check above could fail');
    for (const state of ['state', 'state-ro']) {
      const file = path.join(tmp, state, 'audit.jsonl');
      if (fs.existsSync(file)) assertNoKey(fs.readFileSync(file, 'utf8'), `${state}/audit.jsonl`);
    }
    // Every reveal is in the audit trail, naming where the key went and never the key itself.
    const events = fs.readFileSync(path.join(tmp, 'state', 'audit.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; tool: string; detail: { target?: string; outcome?: string } });
    const reveals = events.filter((e) => e.event === 'revealed' && e.tool === 'encode_changefeed_uri');
    assert.ok(reveals.length >= forms.length, `${reveals.length} revealed events for at least ${forms.length} reveals`);
    for (const e of reveals) assert.match(String(e.detail.target), /client_key=<redacted>.* -> file \/.+ \(sha256 [0-9a-f]{64}\)/);
    assert.ok(reveals.some((e) => e.detail.target!.includes(path.join(tmp, 'pasted-7.uri'))), 'the reveal_to file is named');
    assert.ok((audit.structured!.events as Array<{ event: string }>).some((e) => e.event === 'revealed'), 'audit_log shows the reveals');
    const readOnlyAudit = path.join(tmp, 'state-ro', 'audit.jsonl');
    const readOnlyReveals = fs.existsSync(readOnlyAudit) ? fs.readFileSync(readOnlyAudit, 'utf8').split('\n').filter((l) => l.includes('"event":"revealed"')) : [];
    assert.deepEqual(readOnlyReveals, [], 'a refused reveal is not recorded as one');
  });
});
