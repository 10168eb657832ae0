// Long calls over MCP (the bundled `crdb-tls mcp`, the SDK client over stdio): a listing of a big
// certs directory and an expiry check across several nodes report progress as they go, and a call
// the client cancels stops — an 8192-bit key generation takes tens of seconds, the cancelled call
// ends in a second or two, writes nothing, and the server answers the next call; a cancelled check
// of nodes that never answer closes its connections and probes no further node.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { CA_CERT, clientCertName, clientKeyName } from '../../src/pki/certnames.js';
import { loadSigningCa } from '../../src/pki/certs-dir.js';
import { createCa } from '../../src/pki/create-ca.js';
import { issueCertificate } from '../../src/pki/issue.js';
import { generateRsaKey, privateKeyPem, spkiDer } from '../../src/pki/keys.js';
import { CLI_BUNDLE } from '../support/cli.js';
import { closedPort, makeFaultPki, startPgwireTlsServer, startSilentListener, type FaultPki, type FaultServer } from '../support/tls-faults.js';

const HOUR_MS = 3_600_000;
const CLIENT_CERTS = 120;

let base = '';
let work = '';
let client: Client;
let pki: FaultPki;
const servers: FaultServer[] = [];

/** A certs dir of one CA and N client certificates, all for one key (generating N keys would take minutes). */
async function bigCertsDir(dir: string, caKey: string, count: number): Promise<void> {
  await createCa({ kind: 'ca', certsDir: dir, caKeyPath: caKey, keySize: 2048, lifetimeMs: 87_840 * HOUR_MS, overwrite: false, allowKeyReuse: false });
  const ca = await loadSigningCa(path.join(dir, CA_CERT), caKey);
  const key = await generateRsaKey(2048);
  const keyPem = privateKeyPem(key);
  for (let n = 1; n <= count; n++) {
    const issued = issueCertificate({ profile: 'client', commonName: `user${n}`, subjectPublicKey: spkiDer(key), lifetimeMs: 1000 * HOUR_MS }, ca);
    fs.writeFileSync(path.join(dir, clientCertName(`user${n}`)), issued.pem, { mode: 0o644 });
    fs.writeFileSync(path.join(dir, clientKeyName(`user${n}`)), keyPem, { mode: 0o600 });
  }
}

before(async () => {
  assert.ok(fs.existsSync(CLI_BUNDLE), `${CLI_BUNDLE} is missing: run \`npm run build\` first`);
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-mcp-progress-')));
  work = path.join(base, 'work');
  fs.mkdirSync(path.join(work, 'big'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(work, 'safe'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(work, 'slow'), { recursive: true, mode: 0o700 });
  await bigCertsDir(path.join(work, 'big'), path.join(work, 'safe', 'big-ca.key'), CLIENT_CERTS);
  pki = await makeFaultPki(work);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('CRDB_TLS_') && !key.startsWith('COCKROACH_')) env[key] = value;
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI_BUNDLE, 'mcp'], cwd: work, env: { ...env, CRDB_TLS_ROOTS: work, CRDB_TLS_STATE_DIR: path.join(base, 'state') }, stderr: 'pipe' });
  transport.stderr?.on('data', () => {});
  client = new Client({ name: 'progress-test', version: '1.0.0' });
  await client.connect(transport);
});

after(async () => {
  await client?.close().catch(() => undefined);
  await Promise.all(servers.map((server) => server.close()));
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

describe('progress and cancellation over MCP', () => {
  test(`listing a certs dir of ${CLIENT_CERTS + 1} certificates reports progress as the files are read`, async () => {
    const updates: Progress[] = [];
    const result = await client.callTool({ name: 'list_certs', arguments: { certs_dir: 'big' } }, undefined, { onprogress: (p) => updates.push(p) });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    assert.equal((result.structuredContent as { rows: unknown[] }).rows.length, CLIENT_CERTS + 1);
    assert.ok(updates.length >= 5, `${updates.length} progress notifications`);
    for (let i = 1; i < updates.length; i++) assert.ok(updates[i]!.progress > updates[i - 1]!.progress, 'progress grows with each notification');
    for (const update of updates) assert.match(update.message ?? '', new RegExp(`^read \\d+ of ${CLIENT_CERTS + 1} certificate files$`));
  });

  test(`an expiry check of the same dir reports progress as it reads, and holds all ${CLIENT_CERTS + 1} certificates`, async () => {
    const updates: Progress[] = [];
    const result = await client.callTool({ name: 'check_expiry', arguments: { certs_dirs: ['big'] } }, undefined, { onprogress: (p) => updates.push(p) });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    assert.equal((result.structuredContent as { inventory: { items: unknown[] } }).inventory.items.length, CLIENT_CERTS + 1);
    // The SDK client hands notifications on a microtask but drops a call's progress handler as soon
    // as its result arrives, so the last notifications, sent just before the result, can be lost
    // on the client's side (modelcontextprotocol/typescript-sdk#2580): check the ones that arrive.
    assert.ok(updates.length >= 5, `${updates.length} progress notifications`);
    for (const update of updates) assert.match(update.message ?? '', new RegExp(`big: read \\d+ of ${CLIENT_CERTS + 1} certificate files$`));
  });

  test('a cancelled 8192-bit CA creation stops within seconds, writes nothing, and the server serves the next call', async () => {
    const updates: Progress[] = [];
    const controller = new AbortController();
    const call = client.callTool({ name: 'create_ca', arguments: { certs_dir: 'slow', ca_key: 'safe/slow-ca.key', key_size: 8192 } }, undefined, { signal: controller.signal, onprogress: (p) => updates.push(p) });
    // Wait for the server to say it is generating the key, then cancel.
    for (let i = 0; i < 400 && updates.length === 0; i++) await sleep(50);
    assert.match(updates[0]?.message ?? '', /generating a 8192-bit RSA key/, 'the key generation reported progress');
    controller.abort('the person pressed stop');
    await assert.rejects(call, (error: Error) => /abort|cancel|stop/i.test(`${error.name} ${error.message}`));

    // The server records the end of the call in the audit trail as cancelled WHILE generating the key:
    // the generation was stopped, not waited for (polled with a deadline, no wall-time threshold).
    let failed: { event: string; detail?: { error?: { code: string; message: string } } } | undefined;
    for (let i = 0; i < 300 && !failed; i++) {
      const audit = await client.callTool({ name: 'audit_log', arguments: { tool: 'create_ca', limit: 10 } });
      failed = (audit.structuredContent as { events: Array<{ event: string; detail?: { error?: { code: string; message: string } } }> }).events.find((e) => e.event === 'failed');
      if (!failed) await sleep(100);
    }
    assert.ok(failed, 'the cancelled call ended as failed in the audit trail');
    assert.match(failed.detail?.error?.message ?? '', /cancelled while generating a 8192-bit RSA key; nothing was written/);
    assert.deepEqual(fs.readdirSync(path.join(work, 'slow')), [], 'nothing was written into the certs dir');
    assert.ok(!fs.existsSync(path.join(work, 'safe', 'slow-ca.key')), 'no CA key was written');

    const next = await client.callTool({ name: 'diagnose_error', arguments: { error_text: 'x509: certificate signed by unknown authority' } });
    assert.notEqual(next.isError, true);
  });
});

describe('progress and cancellation of an expiry check across nodes', () => {
  const started = async (server: Promise<FaultServer>) => {
    const running = await server;
    servers.push(running);
    return running;
  };
  const nodeLocation = (port: number) => `127.0.0.1:${port}`;

  test('each node probed is announced when it starts and when it ends, and the answer holds every node', async () => {
    const tlsNodes = await Promise.all([1, 2, 3].map(() => started(startPgwireTlsServer(pki.node))));
    const down = await closedPort();
    const hosts = [...tlsNodes.map((n) => nodeLocation(n.port)), nodeLocation(down)];
    const updates: Progress[] = [];
    const result = await client.callTool({ name: 'check_expiry', arguments: { hosts, ca: pki.ca, timeout_ms: 3_000 } }, undefined, { onprogress: (p) => updates.push(p) });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    const report = result.structuredContent as { result: string; errors: Array<{ location: string }>; inventory: { items: Array<{ source: string; location: string; status: string }> } };
    for (const node of tlsNodes) {
      assert.ok(report.inventory.items.some((i) => i.source === 'node' && i.location === nodeLocation(node.port) && i.status === 'ok'), `${nodeLocation(node.port)} is in the inventory`);
    }
    assert.equal(report.result, 'error', 'a node that cannot be reached is an error, not a clean bill of health');
    assert.ok(report.errors.some((e) => e.location === nodeLocation(down)));

    const messages = updates.map((u) => u.message ?? '');
    for (const host of hosts) {
      assert.ok(messages.some((m) => m.startsWith(`probing ${host} (`)), `start of ${host} announced: ${messages.join(' | ')}`);
    }
    // Each node's end is announced too; the last ones, sent just before the result, may be dropped
    // by the SDK client (see above), so the first end is checked and every one that arrived.
    const ends = messages.filter((m) => /\(\d\/4 done\)$/.test(m));
    assert.ok(ends.length >= 1, `no node's end announced: ${messages.join(' | ')}`);
    assert.ok(ends[0]!.startsWith(`${nodeLocation(down)}: no certificate read (1/4 done)`), `the refused port ends first: ${ends[0]}`);
    for (const end of ends.slice(1)) assert.match(end, new RegExp(`^127\\.0\\.0\\.1:(${tlsNodes.map((n) => n.port).join('|')}): read \\d certificates? \\([234]/4 done\\)$`));
    for (let i = 1; i < updates.length; i++) assert.ok(updates[i]!.progress > updates[i - 1]!.progress, 'progress grows with each notification');
  });

  test('a cancelled check of silent nodes closes its connections, probes no further node, and the server serves the next call', async () => {
    const silent = await Promise.all(Array.from({ length: 6 }, () => started(startSilentListener())));
    const updates: Progress[] = [];
    const controller = new AbortController();
    const call = client.callTool({ name: 'check_expiry', arguments: { hosts: silent.map((s) => nodeLocation(s.port)), timeout_ms: 60_000 } }, undefined, { signal: controller.signal, onprogress: (p) => updates.push(p) });
    // Four nodes are probed at once; wait until all four are connected, then cancel.
    const connected = () => silent.reduce((sum, s) => sum + s.accepted(), 0);
    for (let i = 0; i < 200 && connected() < 4; i++) await sleep(25);
    assert.equal(connected(), 4, 'four probes are under way');
    controller.abort('the person pressed stop');
    await assert.rejects(call, (error: Error) => /abort|cancel|stop/i.test(`${error.name} ${error.message}`));

    const open = () => silent.reduce((sum, s) => sum + s.open(), 0);
    for (let i = 0; i < 200 && open() > 0; i++) await sleep(25);
    assert.equal(open(), 0, 'every probe connection was closed by the server after the cancel');
    await sleep(300);
    assert.equal(connected(), 4, 'no further node was probed after the cancel');
    assert.equal(updates.filter((u) => /done\)$/.test(u.message ?? '')).length, 0, 'no node was reported finished');

    const next = await client.callTool({ name: 'diagnose_error', arguments: { error_text: 'tlsv1 alert unknown ca' } });
    assert.notEqual(next.isError, true);
  });
});
