// "No tool returns a private key to an assistant": every tool of the catalog that takes a key, a
// certs dir or a file that may be a key is called over a real MCP stdio client the way a
// prompt-injected assistant would, pointing it at real keys (the CA's included) — and no answer,
// progress message or stderr line holds any of them. The catalog check at the end fails when a
// tool with such an input is added without being called here. A CA's certificate and key as the
// client pair are refused by test_connection, probe_server and connection_string, before any
// connection is made (a listener counts them), and by the CLI.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, cliEnv } from '../support/cli.js';
import { assertNoKeyIn } from '../support/key-leaks.js';
import { mcpEnv, startMcpSession, type McpSession } from '../support/mcp-session.js';

let tmp = '';
let certs = '';
let mcp: McpSession;
let listener: net.Server;
let port = 0;
let connections = 0;
const keys: crypto.KeyObject[] = [];
const called = new Set<string>();

async function ok(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  called.add(name);
  const answer = await mcp.call(name, args);
  assert.equal(answer.isError, false, `${name}: ${answer.text}`);
  return answer.structured!;
}

before(async () => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-keys-never-')));
  certs = path.join(tmp, 'certs');
  fs.mkdirSync(path.join(tmp, 'safe'), { mode: 0o700 });
  fs.mkdirSync(path.join(tmp, 'work'));
  listener = net.createServer((socket) => { connections += 1; socket.destroy(); });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as net.AddressInfo).port;
  mcp = await startMcpSession(mcpEnv({ HOME: path.join(tmp, 'home'), CRDB_TLS_ROOTS: tmp, CRDB_TLS_STATE_DIR: path.join(tmp, 'state'), CRDB_TLS_LOG_LEVEL: 'debug' }), path.join(tmp, 'work'));
});

after(async () => {
  await mcp?.close();
  await new Promise((resolve) => listener?.close(resolve));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every private key on disk under tmp, read fresh: the ones the tools wrote and the ones written here. */
function keysOnDisk(): crypto.KeyObject[] {
  const found: crypto.KeyObject[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.(key|pk8)$/.test(entry.name)) {
        const bytes = fs.readFileSync(file);
        try {
          found.push(entry.name.endsWith('.pk8') ? crypto.createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' }) : crypto.createPrivateKey(bytes));
        } catch {
          // not a key (a test's decoy)
        }
      }
    }
  };
  walk(tmp);
  return found;
}

describe('no tool returns a private key to an assistant', () => {
  test('the certificate tools write keys and return only paths and facts', async () => {
    await ok('create_ca', { certs_dir: certs, ca_key: path.join(tmp, 'safe', 'ca.key') });
    await ok('create_client_ca', { certs_dir: certs, ca_key: path.join(tmp, 'safe', 'ca-client.key') });
    await ok('create_node_cert', { certs_dir: certs, ca_key: path.join(tmp, 'safe', 'ca.key'), hosts: ['localhost', '127.0.0.1'] });
    await ok('create_client_cert', { certs_dir: certs, ca_key: path.join(tmp, 'safe', 'ca-client.key'), user: 'app', also_generate_pkcs8_key: true });
    keys.push(...keysOnDisk());
    assert.ok(keys.length >= 5, `expected the CA, client CA, node, client and PKCS#8 keys on disk, found ${keys.length}`);
    assert.ok(keys.some((k) => k.asymmetricKeyType === 'rsa'));
  });

  test('every read tool given key paths (the CA key too) answers without the key', async () => {
    const caKey = path.join(tmp, 'safe', 'ca.key');
    const clientCrt = path.join(certs, 'client.app.crt');
    const clientKey = path.join(certs, 'client.app.key');
    await ok('list_certs', { certs_dir: certs });
    for (const file of [caKey, clientKey, path.join(certs, 'node.key'), path.join(certs, 'client.app.key.pk8')]) {
      called.add('inspect_certificate');
      const answer = await mcp.call('inspect_certificate', { certificate: file });
      assertNoKeyIn(answer.text + JSON.stringify(answer.structured ?? null), keys, `inspect_certificate of ${path.basename(file)}`);
    }
    await ok('check_expiry', { certs_dirs: [certs], files: [caKey, clientKey] });
    const plan = await ok('plan_rotation', { certs_dirs: [certs], ca_key: caKey, node_files: [{ cert: path.join(certs, 'node.crt'), key: path.join(certs, 'node.key') }], scope: 'all' });
    const planId = (plan.plan_id ?? plan.id) as string | undefined;
    if (planId) await ok('get_rotation_plan', { plan_id: planId });
    else called.add('get_rotation_plan');
    await ok('connection_string', { client: 'psql', host: 'localhost', ca: path.join(certs, 'ca.crt'), cert: clientCrt, key: clientKey });
    await ok('test_connection', { host: '127.0.0.1', port, user: 'app', sslmode: 'verify-full', ca: path.join(certs, 'ca.crt'), cert: clientCrt, key: clientKey, timeout_ms: 2000 });
    await ok('probe_server', { host: '127.0.0.1', port, ca: path.join(certs, 'ca.crt'), cert: clientCrt, key: clientKey, timeout_ms: 2000 });
    const encoded = await ok('encode_changefeed_uri', {
      sink: 'kafka://broker:9093', ca: path.join(certs, 'ca.crt'), cert: clientCrt, key: clientKey,
      schema_registry: 'https://registry:8081', registry_ca: path.join(certs, 'ca.crt'), registry_cert: clientCrt, registry_key: path.join(certs, 'client.app.key.pk8'), tables: ['orders'], reveal: true,
    });
    const revealed = encoded.revealed_to as { path: string };
    const statement = fs.readFileSync(revealed.path, 'utf8');
    const uri = /INTO '([^']*)'/.exec(statement)![1]!;
    await ok('decode_changefeed_uri', { uri });
    await ok('decode_changefeed_uri', { uri: statement });
    assert.throws(() => assertNoKeyIn(statement, keys, 'the revealed file'), /key material/, 'the check finds a key where there is one');
  });

  test('nothing the assistant saw, and nothing on stderr, holds any of the keys', () => {
    assertNoKeyIn(mcp.seen(), keys, 'the answers');
    assertNoKeyIn(mcp.stderr(), keys, 'stderr');
  });

  test('every catalog tool with a key, certs-dir or file input was called above', async () => {
    const answer = await mcp.call('audit_log', { limit: 5 });
    assert.equal(answer.isError, false);
    const listed = JSON.parse(fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '..', '__snapshots__', 'tools.json'), 'utf8')) as Array<{ name: string; inputSchema: { properties?: Record<string, unknown> } }>;
    const takesKey = listed.filter((tool) => Object.keys(tool.inputSchema.properties ?? {}).some((name) => /(^|_)key$|certs_dirs?$|^files$|node_files|^certificate$|^uri$/.test(name)));
    const missing = takesKey.map((tool) => tool.name).filter((name) => !called.has(name) && !['create_ca', 'create_client_ca', 'create_node_cert', 'create_client_cert'].includes(name));
    assert.deepEqual(missing, [], 'tools that take keys but are not checked here');
    assert.ok(takesKey.length >= 12, `the catalog check found only ${takesKey.length} tools`);
  });
});

describe('a CA\'s certificate and key are refused as a client pair, before any connection', () => {
  const caPair = () => ({ cert: path.join(certs, 'ca.crt'), key: path.join(tmp, 'safe', 'ca.key') });

  test('test_connection, probe_server and connection_string answer refused, and nothing dials the listener', async () => {
    const before = connections;
    for (const [name, args] of [
      ['test_connection', { host: '127.0.0.1', port, user: 'root', sslmode: 'verify-full', ca: path.join(certs, 'ca.crt'), ...caPair(), timeout_ms: 2000 }],
      ['probe_server', { host: '127.0.0.1', port, ca: path.join(certs, 'ca.crt'), ...caPair(), timeout_ms: 2000 }],
      ['connection_string', { client: 'psql', host: 'localhost', ca: path.join(certs, 'ca.crt'), ...caPair() }],
      // The CA's key beside an ordinary client certificate, with the CA given: still the CA's key.
      ['test_connection', { host: '127.0.0.1', port, user: 'app', sslmode: 'verify-full', ca: path.join(certs, 'ca.crt'), cert: path.join(certs, 'client.app.crt'), key: path.join(tmp, 'safe', 'ca.key'), timeout_ms: 2000 }],
      ['probe_server', { host: '127.0.0.1', port, ca: path.join(certs, 'ca.crt'), cert: path.join(certs, 'client.app.crt'), key: path.join(tmp, 'safe', 'ca.key'), timeout_ms: 2000 }],
    ] as const) {
      const answer = await mcp.call(name, args);
      assert.equal(answer.isError, true, `${name}: ${answer.text}`);
      assert.match(answer.text, /Error \(refused\): the client key \(key.*\) is refused: .*CA:TRUE/, name);
      assertNoKeyIn(answer.text, keys, `the refusal of ${name}`);
    }
    assert.equal(connections, before, 'a refused call connected anyway');
  });

  test('on the CLI too: changefeed-uri encode and net probe refuse the CA pair with a structured error', () => {
    const env = cliEnv({ HOME: path.join(tmp, 'home') });
    const encode = runCli(['changefeed-uri', 'encode', '--sink', 'kafka://b:9093', '--cert', caPair().cert, '--key', caPair().key, '--reveal', '--json'], { env });
    assert.equal(encode.status, 1, encode.stderr);
    assert.equal(JSON.parse(encode.stdout).error.code, 'refused');
    assert.match(encode.stderr, /client_key \(key\) is refused: .*CA:TRUE/);
    assertNoKeyIn(encode.stdout + encode.stderr, keys, 'the CLI refusal');
    const before = connections;
    const probe = runCli(['probe', `127.0.0.1:${port}`, '--ca', path.join(certs, 'ca.crt'), '--cert', caPair().cert, '--key', caPair().key, '--timeout', '2000'], { env });
    assert.equal(probe.status, 1, probe.stderr);
    assert.match(probe.stderr, /the client key \(key\) is refused: .*CA:TRUE/);
    assert.equal(connections, before, 'the CLI probe connected anyway');
  });
});
