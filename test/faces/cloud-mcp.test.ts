// The Cloud tools through the MCP face, end to end: the bundled `crdb-tls mcp` runs as a child
// process, talks to the MCP SDK client over stdio, and to a local stand-in of the Cloud API
// (test/support/cloud-api-standin.ts, written from the published contract in reference §4)
// through COCKROACH_SERVER. COCKROACH_API_KEY is a recognisable secret that must appear in no
// tool answer, no stderr line and no audit line. HOME is a temp dir, so download_ca's default
// file is <tmp>/home/.postgresql/root.crt. The client declares no elicitation, so medium and
// high changes answer confirmation_required and run only when called again with the id.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { CloudApiStandin } from '../support/cloud-api-standin.js';
import { CLI_BUNDLE } from '../support/cli.js';
import { bundle, clusterId, makeCa, type TestCa } from '../support/cloud-pki.js';

const SECRET = 'CCDB1_mcpFaceSecret_7Kq2Zx9Wv4Lm8Np3Rt6Ys1';
const WRONG_SECRET = 'CCDB1_revokedKey_5Hd8Jf2Gk6Ls9Qa4Pw7Ue3';

interface Assessment { severity: string; impact: string; changes: string[]; rollback: string }
interface Confirmation { id: string; severity: string; impact: string; changes: string[] }
interface Envelope<R = Record<string, unknown>> { status: string; result?: R; assessment?: Assessment; confirmation?: Confirmation; reason?: string }
interface CertInfo { subject: string; sha256_fingerprint: string; not_after: string }
interface SetResult { method: string | null; action: string; status: string; certificates: CertInfo[]; dropped: CertInfo[]; previous_pem: string }
interface DownloadResult { file: string; action: string; certificates: CertInfo[]; notes: string[] }
interface CallRecord { isError: boolean; text: string; structured: unknown; progress: Progress[] }

let tmp = '';
let standin: CloudApiStandin;
const everyAnswer: string[] = [];

interface Server {
  client: Client;
  stderr: () => string;
  state: string;
  call(name: string, args: Record<string, unknown>): Promise<CallRecord>;
  close(): Promise<void>;
}
const servers: Server[] = [];

async function startServer(apiKey: string, label: string): Promise<Server> {
  const root = path.join(tmp, label);
  const state = path.join(root, 'state');
  fs.mkdirSync(root, { recursive: true });
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  for (const name of Object.keys(env)) if (name.startsWith('COCKROACH_') || name.startsWith('CRDB_TLS_')) delete env[name];
  Object.assign(env, {
    HOME: path.join(tmp, 'home'),
    CRDB_TLS_ROOTS: tmp,
    CRDB_TLS_STATE_DIR: state,
    CRDB_TLS_LOG_LEVEL: 'debug',
    COCKROACH_SERVER: standin.url,
    COCKROACH_API_KEY: apiKey,
    // These tests are about the Cloud calls behind the gate; the id passed back stands for the
    // person's approval (mcp-confirm.test.ts shows the default, where a person approves it).
    CRDB_TLS_MCP_CONFIRM: 'assistant',
  });
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI_BUNDLE, 'mcp'], cwd: path.join(tmp, 'work'), env, stderr: 'pipe' });
  const chunks: Buffer[] = [];
  transport.stderr?.on('data', (chunk: Buffer | string) => chunks.push(Buffer.from(chunk)));
  const client = new Client({ name: 'cloud-test', version: '1.0.0' });
  await client.connect(transport);
  await client.listTools(); // caches every outputSchema: structuredContent is validated from now on
  const server: Server = {
    client,
    state,
    stderr: () => Buffer.concat(chunks).toString('utf8'),
    async call(name, args) {
      const progress: Progress[] = [];
      const result = await client.callTool({ name, arguments: args }, undefined, { onprogress: (p) => progress.push(p), timeout: 60_000 });
      const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
      const record = { isError: result.isError === true, text: content.filter((c) => c.type === 'text').map((c) => c.text ?? '').join('\n'), structured: result.structuredContent, progress };
      everyAnswer.push(record.text, JSON.stringify(record.structured ?? null), JSON.stringify(progress));
      return record;
    },
    close: () => client.close(),
  };
  servers.push(server);
  return server;
}

async function gated<R>(server: Server, name: string, args: Record<string, unknown>): Promise<Envelope<R>> {
  const record = await server.call(name, args);
  assert.equal(record.isError, false, `${name} answered with an error: ${record.text}`);
  return record.structured as Envelope<R>;
}

/** Asks, is told confirmation_required with `severity`, checks nothing was sent, then confirms. */
async function confirmAndRun<R>(server: Server, name: string, args: Record<string, unknown>, severity: string, cluster: string): Promise<{ asked: Envelope<R>; done: Envelope<R> }> {
  const writesBefore = writesFor(cluster).length;
  const asked = await gated<R>(server, name, args);
  assert.equal(asked.status, 'confirmation_required', `${name}: ${JSON.stringify(asked)}`);
  assert.equal(asked.confirmation?.severity, severity);
  assert.equal(writesFor(cluster).length, writesBefore, `${name} sent a change to the Cloud API before it was confirmed`);
  const done = await gated<R>(server, name, { ...args, confirmation_id: asked.confirmation!.id });
  assert.equal(done.status, 'done', `${name} after confirmation: ${JSON.stringify(done)}`);
  return { asked, done };
}

const writesFor = (cluster: string) => standin.writes().filter((r) => r.path.includes(cluster));
const requestsFor = (cluster: string) => standin.requests.filter((r) => r.path.includes(cluster));
const inTmp = (...parts: string[]) => path.join(tmp, ...parts);

let server: Server;
let caOld: TestCa;
let caNew: TestCa;
let clusterCa: TestCa;

before(async () => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-cloud-mcp-')));
  fs.mkdirSync(inTmp('home'));
  fs.mkdirSync(inTmp('work'));
  standin = await CloudApiStandin.start(SECRET);
  [caOld, caNew, clusterCa] = [makeCa('Acme Client CA 2025'), makeCa('Acme Client CA 2026'), makeCa('Cockroach Cloud Cluster CA')];
  fs.writeFileSync(inTmp('work', 'ca-2025.crt'), caOld.pem);
  fs.writeFileSync(inTmp('work', 'ca-2025-2026.crt'), bundle(caOld, caNew));
  fs.writeFileSync(inTmp('work', 'ca-2026.crt'), caNew.pem);
  server = await startServer(SECRET, 'main');
});

after(async () => {
  for (const s of servers) await s.close().catch(() => undefined);
  await standin?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('CockroachDB Cloud through the MCP face', () => {
  const advanced = clusterId();
  const second = clusterId();

  before(() => {
    standin.addCluster({ id: advanced, plan: 'ADVANCED', caPem: clusterCa.pem, pendingPolls: 2 });
    standin.addCluster({ id: second, plan: 'ADVANCED', caPem: makeCa('Second Cluster CA').pem, pendingPolls: 1 });
  });

  test('download_ca saves the cluster CA as ~/.postgresql/root.crt (low) and shows its fingerprint and expiry', async () => {
    const first = await server.call('download_ca', { cluster_id: advanced });
    assert.equal(first.isError, false, first.text);
    assert.ok(first.text.includes(clusterCa.fingerprint) && first.text.includes(clusterCa.cert.parsed.notAfter.toISOString()), first.text);
    const out = first.structured as Envelope<DownloadResult>;
    assert.equal(out.status, 'done');
    assert.equal(out.assessment?.severity, 'low');
    const file = inTmp('home', '.postgresql', 'root.crt');
    assert.equal(out.result?.file, file);
    assert.ok(fs.readFileSync(file, 'utf8').includes(clusterCa.pem.trim().split('\n')[1]!));
    const record = await server.call('download_ca', { cluster_id: advanced });
    assert.match(record.text, /Already in .*root\.crt/);
    assert.ok(record.text.includes(clusterCa.fingerprint), record.text);
    assert.ok(record.text.includes(clusterCa.cert.parsed.notAfter.toISOString()), record.text);
  });

  test('download_ca of a second cluster appends to root.crt only after confirmation (medium), keeping the first CA', async () => {
    const file = inTmp('home', '.postgresql', 'root.crt');
    const before = fs.readFileSync(file, 'utf8');
    const asked = await gated(server, 'download_ca', { cluster_id: second });
    assert.equal(asked.status, 'confirmation_required');
    assert.equal(asked.confirmation?.severity, 'medium');
    assert.equal(fs.readFileSync(file, 'utf8'), before, 'root.crt changed before the confirmation');
    const done = await gated<DownloadResult>(server, 'download_ca', { cluster_id: second, confirmation_id: asked.confirmation!.id });
    assert.equal(done.result?.action, 'appended');
    assert.ok(fs.readFileSync(file, 'utf8').startsWith(before));
  });

  test('the first Client CA upload is low, goes out as POST, and reports PENDING progress until IS_SET', async () => {
    const record = await server.call('set_client_ca', { cluster_id: advanced, cert_file: 'ca-2025.crt' });
    assert.equal(record.isError, false, record.text);
    const out = record.structured as Envelope<SetResult>;
    assert.equal(out.status, 'done');
    assert.equal(out.assessment?.severity, 'low');
    assert.equal(out.result?.method, 'POST');
    assert.equal(out.result?.status, 'IS_SET');
    assert.deepEqual(writesFor(advanced).map((w) => w.method), ['POST']);
    assert.ok(record.progress.some((p) => /PENDING/.test(p.message ?? '')), `no PENDING progress: ${JSON.stringify(record.progress)}`);
    const values = record.progress.map((p) => p.progress);
    assert.deepEqual(values, [...values].sort((a, b) => a - b), 'progress values must grow');
  });

  test('a bundle that keeps the CA now set is medium: nothing is sent until confirmed, then it goes out as PATCH', async () => {
    const { asked, done } = await confirmAndRun<SetResult>(server, 'set_client_ca', { cluster_id: advanced, cert_file: 'ca-2025-2026.crt' }, 'medium', advanced);
    assert.ok(asked.confirmation!.impact.includes(caNew.fingerprint), asked.confirmation!.impact);
    assert.equal(done.result?.method, 'PATCH');
    assert.deepEqual(writesFor(advanced).map((w) => w.method), ['POST', 'PATCH']);
    assert.deepEqual(done.result?.certificates.map((c) => c.sha256_fingerprint).sort(), [caOld.fingerprint, caNew.fingerprint].sort());
  });

  test('a bundle that drops the CA now set is high, names the dropped CA, and nothing is sent until confirmed', async () => {
    const { asked, done } = await confirmAndRun<SetResult>(server, 'set_client_ca', { cluster_id: advanced, cert_file: 'ca-2026.crt' }, 'high', advanced);
    const impact = asked.confirmation!.impact;
    assert.ok(impact.includes('CN=Acme Client CA 2025'), impact);
    assert.ok(impact.includes(caOld.fingerprint), impact);
    assert.ok(impact.includes(caOld.cert.parsed.notAfter.toISOString()), impact);
    assert.deepEqual(done.result?.dropped.map((c) => c.sha256_fingerprint), [caOld.fingerprint]);
    assert.deepEqual(writesFor(advanced).map((w) => w.method), ['POST', 'PATCH', 'PATCH']);
    assert.equal(standin.clientCa(advanced).status, 'IS_SET');
  });

  test('a bundle given as long PEM text is kept in the audit trail as its start, length and SHA-256, not whole', async () => {
    const pem = bundle(caOld, caNew, makeCa('Audit Length CA'), makeCa('Audit Length CA 2'));
    assert.ok(pem.length > 2_048, `the bundle is ${pem.length} characters`);
    const record = await server.call('set_client_ca', { cluster_id: advanced, pem, dry_run: true });
    assert.equal((record.structured as Envelope).status, 'dry_run', record.text);
    const lines = fs.readFileSync(path.join(server.state, 'audit.jsonl'), 'utf8').trim().split('\n');
    const event = JSON.parse(lines.at(-1)!) as { event: string; detail: { input: { pem: string } } };
    assert.equal(event.event, 'dry_run');
    const sha256 = crypto.createHash('sha256').update(pem).digest('hex');
    assert.ok(event.detail.input.pem.startsWith(pem.slice(0, 200)), event.detail.input.pem.slice(0, 300));
    assert.ok(event.detail.input.pem.endsWith(`… [${pem.length} characters, SHA-256 ${sha256}]`), event.detail.input.pem.slice(-120));
    assert.ok(!lines.at(-1)!.includes(JSON.stringify(pem).slice(1, -1)), 'the whole bundle is not in the audit line');
  });

  test('a confirmation is refused when the Client CA changed after it was given, and nothing is sent', async () => {
    const asked = await gated(server, 'set_client_ca', { cluster_id: advanced, cert_file: 'ca-2025.crt' });
    assert.equal(asked.status, 'confirmation_required');
    const now = standin.clientCa(advanced);
    standin.setClientCa(advanced, { status: 'IS_SET', pem: bundle(caNew, makeCa('Someone Else CA')) });
    const writes = writesFor(advanced).length;
    const refused = await gated(server, 'set_client_ca', { cluster_id: advanced, cert_file: 'ca-2025.crt', confirmation_id: asked.confirmation!.id });
    assert.equal(refused.status, 'refused');
    assert.match(refused.reason ?? '', /changed since the confirmation/);
    assert.equal(writesFor(advanced).length, writes);
    standin.setClientCa(advanced, now);
  });

  test('a dry run of an update is assessed and sends nothing', async () => {
    const writes = writesFor(advanced).length;
    const out = await gated(server, 'set_client_ca', { cluster_id: advanced, cert_file: 'ca-2025-2026.crt', dry_run: true });
    assert.equal(out.status, 'dry_run');
    assert.equal(out.assessment?.severity, 'medium');
    assert.equal(writesFor(advanced).length, writes);
  });

  test('get_client_ca is retried through two 503 answers and then shows the CA now set', async () => {
    standin.fault({ method: 'GET', path: `/api/v1/clusters/${advanced}/client-ca-cert`, status: 503, times: 2 });
    const record = await server.call('get_client_ca', { cluster_id: advanced });
    assert.equal(record.isError, false, record.text);
    const out = record.structured as { status: string; certificates: CertInfo[] };
    assert.equal(out.status, 'IS_SET');
    assert.deepEqual(out.certificates.map((c) => c.sha256_fingerprint), [caNew.fingerprint]);
    const reads = requestsFor(advanced).filter((r) => r.path.endsWith('/client-ca-cert') && r.method === 'GET').slice(-3).map((r) => r.status);
    assert.deepEqual(reads, [503, 503, 200]);
  });

  test('removing the Client CA is high; after confirmation it is DELETEd and followed to NOT_SET', async () => {
    const { asked, done } = await confirmAndRun<{ action: string; status: string }>(server, 'remove_client_ca', { cluster_id: advanced }, 'high', advanced);
    assert.ok(asked.confirmation!.impact.includes(caNew.fingerprint));
    assert.equal(done.result?.status, 'NOT_SET');
    assert.equal(writesFor(advanced).at(-1)?.method, 'DELETE');
    assert.equal(standin.clientCa(advanced).status, 'NOT_SET');
  });

  test('a change the Cloud reports FAILED comes back as an error that says so', async () => {
    const failing = clusterId();
    standin.addCluster({ id: failing, plan: 'ADVANCED', caPem: clusterCa.pem, pendingPolls: 1 });
    standin.failNextChange = true;
    const record = await server.call('set_client_ca', { cluster_id: failing, cert_file: 'ca-2026.crt' });
    assert.equal(record.isError, true);
    assert.match(record.text, /Error \(operation_failed\): the Cloud reported FAILED for the Client CA change/);
    assert.deepEqual(writesFor(failing).map((w) => w.method), ['POST']);
  });

  test('a Standard cluster is refused with a clear message and no Client CA request is made', async () => {
    const standard = clusterId();
    standin.addCluster({ id: standard, plan: 'STANDARD', caPem: clusterCa.pem });
    const record = await server.call('set_client_ca', { cluster_id: standard, cert_file: 'ca-2026.crt' });
    assert.equal(record.isError, true);
    assert.match(record.text, /is a STANDARD cluster: a Client CA .* is only available on CockroachDB Cloud Advanced/);
    assert.deepEqual(requestsFor(standard).filter((r) => r.path.endsWith('/client-ca-cert')), []);
  });

  test('with a revoked key, get_client_ca says the key is wrong, expired or revoked', async () => {
    const revoked = await startServer(WRONG_SECRET, 'revoked');
    const record = await revoked.call('get_client_ca', { cluster_id: advanced });
    assert.equal(record.isError, true);
    assert.match(record.text, /Error \(permission_denied\): the Cloud API did not accept the API key \(401\): the key is wrong, expired or revoked/);
    assert.match(record.text, /COCKROACH_API_KEY/);
    assert.ok(standin.requests.some((r) => r.auth === 'invalid'), 'the stand-in saw no request with the wrong key');
  });

  test('neither API key appears in any answer, progress message, stderr line or audit line', async () => {
    for (const s of servers) await s.close();
    assert.ok(everyAnswer.length > 20, 'too few answers were recorded for this check to mean anything');
    for (const secret of [SECRET, WRONG_SECRET]) {
      for (const answer of everyAnswer) assert.ok(!answer.includes(secret), `a tool answer carries the API key: ${answer.slice(0, 200)}`);
      for (const s of servers) {
        const stderr = s.stderr();
        assert.ok(stderr.split('\n').filter(Boolean).length > 0, 'the server logged nothing at debug level, so this check proves nothing');
        assert.ok(!stderr.includes(secret), 'the API key reached stderr');
        const audit = path.join(s.state, 'audit.jsonl');
        if (fs.existsSync(audit)) assert.ok(!fs.readFileSync(audit, 'utf8').includes(secret), 'the API key reached audit.jsonl');
      }
    }
    const audit = fs.readFileSync(path.join(server.state, 'audit.jsonl'), 'utf8');
    assert.ok(audit.includes('"tool":"set_client_ca"') && audit.includes('"event":"done"'), 'the audit trail does not hold the Client CA changes, so this check proves nothing');
  });
});
