// The confirmation gate (DESIGN.md §3) as an MCP client meets it: the bundled `crdb-tls mcp` runs
// as a child process and the MCP SDK client talks to it over stdio. Each server gets its own temp
// working dir (also its only allowed root) and its own state dir, so its audit trail and its
// pending confirmations are its own. Every "nothing changed" claim compares the name and SHA-256
// of every file under that working dir before and after.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type { AuditEntry } from '../support/audit.js';
import { confirmationRef } from '../../src/gate/gate.js';
import { CLI_BUNDLE, cliEnv, runCliOk } from '../support/cli.js';

const READ_TOOLS = ['list_certs', 'inspect_certificate', 'audit_log'];
const CREATE_TOOLS = ['create_ca', 'create_client_ca', 'create_node_cert', 'create_client_cert'];
const CLIENT_NAME = 'gate-test-client';
/** "Who asked" on stdio is the OS user and the MCP client's name (DESIGN.md §3). */
const REQUESTER = `${os.userInfo().username} via ${CLIENT_NAME}`;
const TEN_MINUTES_MS = 10 * 60 * 1000;
/**
 * The advisory setting, in which the id passed back is the confirmation: these tests are about
 * how a confirmation is bound to its exact call (input, single use, expiry, state), which holds
 * the same once a person approved it; mcp-confirm.test.ts shows the default, where the id alone
 * is refused until a person approves it.
 */
const ASSISTANT = { CRDB_TLS_MCP_CONFIRM: 'assistant' };

// ---- shapes of the answers this file reads (the SDK client validated them against outputSchema)

interface Assessment { severity: string; impact: string; changes: string[]; rollback: string; state_fingerprint: string }
interface Confirmation { id: string; severity: string; impact: string; changes: string[]; rollback: string; expires_at: string }
interface CertInfo { common_name: string; subject: string; sha256_fingerprint: string }
interface Envelope {
  status: 'done' | 'dry_run' | 'confirmation_required' | 'refused';
  result?: { certificate_file?: string; certificate?: CertInfo; bundle?: CertInfo[] };
  assessment?: Assessment;
  confirmation?: Confirmation;
  reason?: string;
}

interface CallRecord { isError: boolean; text: string; structured: unknown }

type ElicitParams = ElicitRequest['params'];

interface Server {
  /** The child's cwd and its only allowed root (CRDB_TLS_ROOTS): holds certs/ and safe/. */
  work: string;
  /** CRDB_TLS_STATE_DIR: audit.jsonl lives here, outside `work`. */
  state: string;
  client: Client;
  /** Every elicitation request the server sent this client, in order. */
  elicitations: ElicitParams[];
  call(name: string, args: Record<string, unknown>): Promise<CallRecord>;
  /** A mutating call that must answer with the envelope (not an error). */
  gated(name: string, args: Record<string, unknown>): Promise<Envelope>;
  close(): Promise<void>;
}

let base = '';
const servers: Server[] = [];
let serverCount = 0;

interface ServerOptions {
  env?: Record<string, string>;
  /** Declares the elicitation capability and answers each request with this. */
  elicit?: (params: ElicitParams) => ElicitResult;
  /** Prepares the working dir before the server starts. */
  prepare?: (work: string) => void;
}

async function startServer(options: ServerOptions = {}): Promise<Server> {
  const root = path.join(base, `server-${++serverCount}`);
  const work = path.join(root, 'work');
  const state = path.join(root, 'state');
  fs.mkdirSync(path.join(work, 'certs'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(work, 'safe'), { recursive: true, mode: 0o700 });
  options.prepare?.(work);

  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  for (const name of Object.keys(env)) if (name.startsWith('COCKROACH_') || name.startsWith('CRDB_TLS_')) delete env[name];
  Object.assign(env, { CRDB_TLS_ROOTS: work, CRDB_TLS_STATE_DIR: state, ...options.env });

  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI_BUNDLE, 'mcp'], cwd: work, env, stderr: 'pipe' });
  // Drain the server's log lines so that a full pipe never blocks it.
  transport.stderr?.on('data', () => {});
  const elicitations: ElicitParams[] = [];
  const client = new Client({ name: CLIENT_NAME, version: '1.0.0' }, options.elicit ? { capabilities: { elicitation: { form: {} } } } : {});
  if (options.elicit) {
    const answer = options.elicit;
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      elicitations.push(request.params);
      return answer(request.params);
    });
  }
  await client.connect(transport);
  // Makes the client cache every outputSchema: from now on a structuredContent that does not
  // match its tool's schema makes callTool throw.
  await client.listTools();

  async function call(name: string, args: Record<string, unknown>): Promise<CallRecord> {
    const result = await client.callTool({ name, arguments: args });
    const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
    return { isError: result.isError === true, text: content.filter((c) => c.type === 'text').map((c) => c.text ?? '').join('\n'), structured: result.structuredContent };
  }
  const server: Server = {
    work,
    state,
    client,
    elicitations,
    call,
    async gated(name, args) {
      const record = await call(name, args);
      assert.equal(record.isError, false, `${name} ${JSON.stringify(args)} answered with an error: ${record.text}`);
      assert.ok(record.structured, `${name} returned no structuredContent`);
      return record.structured as Envelope;
    },
    close: () => client.close(),
  };
  servers.push(server);
  return server;
}

/** Starts a server and creates its cluster CA (certs/ca.crt, safe/ca.key): a low-severity call. */
async function serverWithCa(options: ServerOptions = {}): Promise<Server> {
  const server = await startServer(options);
  const out = await server.gated('create_ca', { certs_dir: 'certs', ca_key: 'safe/ca.key' });
  assert.equal(out.status, 'done', `creating the CA in an empty dir: ${JSON.stringify(out)}`);
  return server;
}

/** Every file and directory under `dir` with the SHA-256 of each file: equal snapshots mean nothing changed. */
function snapshot(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
    .map((rel) => {
      const full = path.join(dir, rel);
      return fs.statSync(full).isFile() ? `${rel} ${crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex')}` : `${rel}/`;
    })
    .sort();
}

const inWork = (server: Server, ...parts: string[]) => path.join(server.work, ...parts);
const rootCert = { user: 'root', certs_dir: 'certs', ca_key: 'safe/ca.key' };
const adminCert = { user: 'admin', certs_dir: 'certs', ca_key: 'safe/ca.key' };
const aliceCert = { user: 'alice', certs_dir: 'certs', ca_key: 'safe/ca.key' };

async function auditOf(server: Server, args: Record<string, unknown> = { limit: 1000 }): Promise<AuditEntry[]> {
  const record = await server.call('audit_log', args);
  assert.equal(record.isError, false, `audit_log failed: ${record.text}`);
  return (record.structured as { events: AuditEntry[] }).events;
}

/** audit.jsonl in the state dir: one JSON object a line, and never a private key. */
function assertAuditFileIsClean(server: Server, keyFiles: string[]): string[] {
  const file = path.join(server.state, 'audit.jsonl');
  assert.ok(fs.existsSync(file), `${file} does not exist`);
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'), 'audit.jsonl ends with a complete line');
  const lines = text.slice(0, -1).split('\n');
  for (const line of lines) {
    assert.doesNotThrow(() => JSON.parse(line), `audit.jsonl line is not JSON: ${line.slice(0, 200)}`);
    assert.ok(!line.includes('PRIVATE KEY'), `audit.jsonl line carries a private key: ${line.slice(0, 200)}`);
  }
  for (const keyFile of keyFiles) {
    const pem = fs.readFileSync(keyFile, 'utf8');
    assert.match(pem, /PRIVATE KEY/, `${keyFile} is not a PEM private key, so this check would prove nothing`);
    const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
    for (const fragment of body.filter((l) => l.length >= 40)) assert.ok(!text.includes(fragment), `audit.jsonl holds part of ${keyFile}`);
  }
  return lines;
}

before(() => {
  assert.ok(fs.existsSync(CLI_BUNDLE), `${CLI_BUNDLE} is missing: run \`npm run build\` first`);
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-mcp-gate-')));
});

after(async () => {
  for (const server of servers) await server.close().catch(() => undefined);
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

describe('a client without elicitation, at the default threshold (medium), with CRDB_TLS_MCP_CONFIRM=assistant', () => {
  let server: Server;
  let firstId = '';
  let afterDone: string[] = [];
  let adminId = '';

  before(async () => {
    server = await serverWithCa({ env: ASSISTANT });
    // A second certs dir with its own CA, to try a confirmation against another certs dir.
    const other = await server.gated('create_ca', { certs_dir: 'other', ca_key: 'safe/other-ca.key' });
    assert.equal(other.status, 'done');
  });

  test('a high-severity call without confirmation changes nothing on disk and returns confirmation_required', async () => {
    const before = snapshot(server.work);
    const calledBefore = Date.now();
    const record = await server.call('create_client_cert', rootCert);
    const answeredAfter = Date.now();
    assert.ok(!record.isError, `a pending confirmation is an answer, not an error: ${record.text}`);
    const out = record.structured as Envelope;
    assert.equal(out.status, 'confirmation_required');
    assert.equal(out.result, undefined, 'nothing ran, so there is no result');
    const confirmation = out.confirmation;
    assert.ok(confirmation, 'confirmation_required carries the confirmation');
    assert.equal(confirmation.severity, 'high', 'a certificate for root is high severity (DESIGN.md §3)');
    assert.match(confirmation.id, /^[A-Za-z0-9_-]{20,}$/, 'the id is long and random');
    assert.match(confirmation.impact, /root/);
    for (const file of ['client.root.crt', 'client.root.key']) {
      assert.ok(confirmation.changes.some((c) => c.includes(inWork(server, 'certs', file))), `${file} not in changes: ${JSON.stringify(confirmation.changes)}`);
    }
    assert.ok(confirmation.rollback.trim().length > 0, 'a rollback is given');
    // expires_at = the gate's clock during the call + TTL: bounded by clocks read around the call.
    const expiresAt = Date.parse(confirmation.expires_at);
    assert.ok(expiresAt >= calledBefore + TEN_MINUTES_MS && expiresAt <= answeredAfter + TEN_MINUTES_MS,
      `expires_at ${confirmation.expires_at} is not ten minutes after a moment of the call (${new Date(calledBefore).toISOString()} .. ${new Date(answeredAfter).toISOString()})`);
    // The text is what an assistant reads: show the impact to the person, then call again with the id.
    assert.match(record.text, /show/i);
    assert.ok(record.text.includes(confirmation.impact), `the text does not carry the impact: ${record.text}`);
    assert.ok(record.text.includes('confirmation_id'), `the text does not say how to confirm: ${record.text}`);
    assert.ok(record.text.includes(confirmation.id), `the text does not give the id: ${record.text}`);
    assert.deepEqual(snapshot(server.work), before, 'files changed although nobody confirmed');
    assert.ok(!fs.existsSync(inWork(server, 'certs', 'client.root.crt')));
    firstId = confirmation.id;
  });

  test('calling again with the id and the same input runs it once', async () => {
    assert.ok(firstId, 'the previous test got a confirmation id');
    const out = await server.gated('create_client_cert', { ...rootCert, confirmation_id: firstId });
    assert.equal(out.status, 'done', JSON.stringify(out));
    assert.equal(out.result?.certificate?.common_name, 'root');
    assert.ok(fs.existsSync(inWork(server, 'certs', 'client.root.crt')));
    assert.ok(fs.existsSync(inWork(server, 'certs', 'client.root.key')));
    afterDone = snapshot(server.work);

    // A third call with the same id: the gate refuses it as used (with overwrite, so that the
    // call gets past assess to the gate now that the files exist)...
    const again = await server.gated('create_client_cert', { ...rootCert, overwrite: true, confirmation_id: firstId });
    assert.equal(again.status, 'refused');
    assert.match(again.reason ?? '', /already used/);
    // ...and with exactly the same input, assess already refuses to replace the files it wrote.
    const third = await server.call('create_client_cert', { ...rootCert, confirmation_id: firstId });
    assert.equal(third.isError, true, `the same call ran twice: ${third.text}`);
    assert.match(third.text, /already exists/);
    assert.deepEqual(snapshot(server.work), afterDone, 'a used confirmation changed files');
  });

  test('a used id is refused as already used, and nothing is written', async () => {
    // Same input as a call that can be assessed again: a node certificate.
    const nodeArgs = { hosts: ['localhost'], certs_dir: 'certs', ca_key: 'safe/ca.key' };
    const low = await server.gated('create_node_cert', nodeArgs);
    assert.equal(low.status, 'done', 'a new node certificate is low severity and passes');
    const overwrite = { ...nodeArgs, overwrite: true };
    const pending = await server.gated('create_node_cert', overwrite);
    assert.equal(pending.status, 'confirmation_required');
    assert.equal(pending.confirmation?.severity, 'high', 'overwriting node.crt/node.key is high severity');
    const id = pending.confirmation!.id;
    const ran = await server.gated('create_node_cert', { ...overwrite, confirmation_id: id });
    assert.equal(ran.status, 'done');
    const afterRun = snapshot(server.work);
    const replay = await server.gated('create_node_cert', { ...overwrite, confirmation_id: id });
    assert.equal(replay.status, 'refused');
    assert.match(replay.reason ?? '', /already used/);
    assert.deepEqual(snapshot(server.work), afterRun, 'a replayed confirmation changed files');
  });

  test('the id cannot be used with another input: another user, another certs dir or another tool are refused and do not burn it', async () => {
    const pending = await server.gated('create_client_cert', adminCert);
    assert.equal(pending.status, 'confirmation_required');
    adminId = pending.confirmation!.id;
    const before = snapshot(server.work);
    const attempts: Array<[string, Record<string, unknown>]> = [
      ['create_client_cert', { ...aliceCert, confirmation_id: adminId }],
      ['create_client_cert', { user: 'admin', certs_dir: 'other', ca_key: 'safe/other-ca.key', confirmation_id: adminId }],
      ['create_client_cert', { ...adminCert, lifetime: '24h', confirmation_id: adminId }],
      ['create_ca', { certs_dir: 'certs', ca_key: 'safe/ca.key', overwrite: true, allow_ca_key_reuse: true, confirmation_id: adminId }],
    ];
    for (const [tool, args] of attempts) {
      const out = await server.gated(tool, args);
      assert.equal(out.status, 'refused', `${tool} ${JSON.stringify(args)}: ${JSON.stringify(out)}`);
      assert.match(out.reason ?? '', /different call/, `${tool} ${JSON.stringify(args)}`);
      assert.deepEqual(snapshot(server.work), before, `${tool} ${JSON.stringify(args)} changed files`);
    }
    assert.ok(!fs.existsSync(inWork(server, 'certs', 'client.alice.crt')));
    assert.ok(!fs.existsSync(inWork(server, 'other', 'client.admin.crt')));

    // Consuming happens only for the exact input, so the mismatches above did not use it up.
    const out = await server.gated('create_client_cert', { ...adminCert, confirmation_id: adminId });
    assert.equal(out.status, 'done', JSON.stringify(out));
    assert.equal(out.result?.certificate?.common_name, 'admin');
    assert.ok(fs.existsSync(inWork(server, 'certs', 'client.admin.crt')));
  });

  test('an id nobody issued is refused as not found', async () => {
    const before = snapshot(server.work);
    const out = await server.gated('create_client_cert', { user: 'node', certs_dir: 'certs', ca_key: 'safe/ca.key', confirmation_id: `cf_${crypto.randomBytes(18).toString('base64url')}` });
    assert.equal(out.status, 'refused');
    assert.match(out.reason ?? '', /no such confirmation/);
    assert.deepEqual(snapshot(server.work), before);
  });

  test('a dry run of a high-severity call returns the assessment without asking and writes nothing', async () => {
    const before = snapshot(server.work);
    const caBefore = fs.readFileSync(inWork(server, 'certs', 'ca.crt'));
    const out = await server.gated('create_ca', { certs_dir: 'certs', ca_key: 'safe/ca.key', overwrite: true, allow_ca_key_reuse: true, dry_run: true });
    assert.equal(out.status, 'dry_run');
    assert.equal(out.confirmation, undefined, 'a dry run needs no confirmation');
    assert.equal(out.result, undefined);
    assert.equal(out.assessment?.severity, 'high', 'rotating an existing ca.crt is high severity');
    assert.ok(out.assessment!.changes.some((c) => c.includes(inWork(server, 'certs', 'ca.crt'))), JSON.stringify(out.assessment?.changes));
    assert.ok(out.assessment!.impact.length > 0 && out.assessment!.rollback.length > 0);
    assert.ok(fs.readFileSync(inWork(server, 'certs', 'ca.crt')).equals(caBefore));
    assert.deepEqual(snapshot(server.work), before);
  });

  test('the audit trail records who asked, who confirmed and how each call ended, newest first', async () => {
    const events = await auditOf(server);
    assert.ok(events.length > 0);
    for (let i = 1; i < events.length; i++) assert.ok(events[i - 1]!.at >= events[i]!.at, `events are not newest first at ${i}`);
    for (const e of events) assert.equal(e.requester, REQUESTER, `requester of ${e.event} ${e.tool}`);

    const ofId = (id: string) => events.filter((e) => e.confirmation_ref === confirmationRef(id)).map((e) => e.event).reverse();
    // The root certificate: asked, held for confirmation, asked again with the id, confirmed, done;
    // then the overwrite replay refused as already used, and the exact replay refused by assess (the files exist now).
    assert.deepEqual(ofId(firstId), ['confirmation_required', 'requested', 'confirmed', 'done', 'requested', 'refused', 'refused']);
    const required = events.find((e) => e.confirmation_ref === confirmationRef(firstId) && e.event === 'confirmation_required')!;
    assert.equal(required.tool, 'create_client_cert');
    assert.equal(required.severity, 'high');
    assert.equal(required.detail.input?.user, 'root');
    const confirmed = events.find((e) => e.confirmation_ref === confirmationRef(firstId) && e.event === 'confirmed')!;
    assert.equal(confirmed.confirmer, REQUESTER, 'the confirmer is recorded');
    assert.equal(confirmed.detail.channel, 'assistant', 'the channel is recorded');
    assert.equal(confirmed.detail.self_confirmed, true, 'a confirmation by the requester itself is marked');
    const done = events.find((e) => e.confirmation_ref === confirmationRef(firstId) && e.event === 'done')!;
    assert.equal(done.confirmer, REQUESTER);
    assert.equal(done.input_hash, required.input_hash, 'done is for the same input that was confirmed');

    // The admin id: four mismatched attempts refused, then done.
    const admin = events.filter((e) => e.confirmation_ref === confirmationRef(adminId));
    assert.equal(admin.filter((e) => e.event === 'refused').length, 4, JSON.stringify(admin.map((e) => e.event)));
    assert.ok(admin.some((e) => e.event === 'done' && e.tool === 'create_client_cert'));
    assert.ok(admin.some((e) => e.event === 'refused' && e.tool === 'create_ca'));
    const refusal = admin.find((e) => e.event === 'refused')!;
    assert.match(String(refusal.detail.reason), /different call/);

    // Low-severity calls ran without confirmation: done, with no confirmer.
    const firstNode = events.find((e) => e.event === 'done' && e.tool === 'create_node_cert' && e.confirmation_ref === null);
    assert.ok(firstNode, 'the first node certificate (low) is done without confirmation');
    assert.equal(firstNode.confirmer, null);
    assert.equal(firstNode.severity, 'low');
    assert.ok(events.some((e) => e.event === 'dry_run' && e.tool === 'create_ca' && e.severity === 'high'));

    const onlyCa = await auditOf(server, { limit: 1000, tool: 'create_ca' });
    assert.ok(onlyCa.length > 0 && onlyCa.every((e) => e.tool === 'create_ca'));
    const two = await auditOf(server, { limit: 2 });
    assert.deepEqual(two.map((e) => e.id), events.slice(0, 2).map((e) => e.id));

    const lines = assertAuditFileIsClean(server, [inWork(server, 'safe', 'ca.key'), inWork(server, 'certs', 'client.root.key'), inWork(server, 'certs', 'client.admin.key')]);
    assert.equal(lines.length, events.length, 'audit_log shows every line of audit.jsonl');
  });
});

describe('confirmations end', () => {
  test('after expiry: a confirmation older than CRDB_TLS_CONFIRMATION_TTL_SECONDS is refused and nothing is written', async () => {
    const server = await serverWithCa({ env: { ...ASSISTANT, CRDB_TLS_CONFIRMATION_TTL_SECONDS: '1' } });
    const calledBefore = Date.now();
    const pending = await server.gated('create_client_cert', rootCert);
    const answeredAfter = Date.now();
    assert.equal(pending.status, 'confirmation_required');
    const expiresAt = Date.parse(pending.confirmation!.expires_at);
    assert.ok(expiresAt >= calledBefore + 1_000 && expiresAt <= answeredAfter + 1_000, `with a 1 s TTL expires_at ${pending.confirmation!.expires_at} is not 1 s after a moment of the call`);
    const before = snapshot(server.work);
    await sleep(1_500);
    const out = await server.gated('create_client_cert', { ...rootCert, confirmation_id: pending.confirmation!.id });
    assert.equal(out.status, 'refused');
    assert.match(out.reason ?? '', /expired/);
    assert.deepEqual(snapshot(server.work), before);
    assert.ok(!fs.existsSync(inWork(server, 'certs', 'client.root.crt')));
  });

  test('a confirmation from one server process is not valid in another', async () => {
    const issuer = await serverWithCa({ env: ASSISTANT });
    const other = await serverWithCa({ env: ASSISTANT });
    const pending = await issuer.gated('create_client_cert', rootCert);
    assert.equal(pending.status, 'confirmation_required');
    const id = pending.confirmation!.id;

    // The very same arguments (relative paths, so the same input) on another process.
    const before = snapshot(other.work);
    const out = await other.gated('create_client_cert', { ...rootCert, confirmation_id: id });
    assert.equal(out.status, 'refused');
    assert.match(out.reason ?? '', /no such confirmation/);
    assert.deepEqual(snapshot(other.work), before);

    // The id itself was good: on the server that issued it, it runs.
    const done = await issuer.gated('create_client_cert', { ...rootCert, confirmation_id: id });
    assert.equal(done.status, 'done');
    assert.ok(fs.existsSync(inWork(issuer, 'certs', 'client.root.crt')));
  });

  test('the world changed: a confirmed CA rotation is refused when ca.crt changed since, and ca.crt stays as it was left', async () => {
    const server = await serverWithCa({ env: ASSISTANT });
    const second = await server.gated('create_ca', { certs_dir: 'second', ca_key: 'safe/second-ca.key' });
    assert.equal(second.status, 'done');
    const rotate = { certs_dir: 'certs', ca_key: 'safe/ca.key', overwrite: true, allow_ca_key_reuse: true };
    const pending = await server.gated('create_ca', rotate);
    assert.equal(pending.status, 'confirmation_required');
    assert.equal(pending.confirmation?.severity, 'high', 'overwriting an existing ca.crt is high severity');

    // Someone else adds a CA to the bundle before the person's agreement comes back.
    const caCrt = inWork(server, 'certs', 'ca.crt');
    fs.appendFileSync(caCrt, fs.readFileSync(inWork(server, 'second', 'ca.crt')));
    const leftAs = fs.readFileSync(caCrt);
    const before = snapshot(server.work);

    const out = await server.gated('create_ca', { ...rotate, confirmation_id: pending.confirmation!.id });
    assert.equal(out.status, 'refused');
    assert.match(out.reason ?? '', /world changed/);
    assert.match(out.reason ?? '', /plan again/);
    assert.ok(fs.readFileSync(caCrt).equals(leftAs), 'ca.crt is not as the test left it');
    assert.deepEqual(snapshot(server.work), before);

    // Planning again works: a new confirmation for the world as it is now.
    const again = await server.gated('create_ca', rotate);
    assert.equal(again.status, 'confirmation_required');
    assert.notEqual(again.confirmation!.id, pending.confirmation!.id);
    const done = await server.gated('create_ca', { ...rotate, confirmation_id: again.confirmation!.id });
    assert.equal(done.status, 'done');
    assert.equal(done.result?.bundle?.length, 3, 'new CA first, then the two CAs the test left in ca.crt');
  });
});

describe('a client that supports elicitation', () => {
  let server: Server;
  let answer: ElicitResult = { action: 'decline' };

  before(async () => {
    server = await serverWithCa({ elicit: () => answer });
  });

  test('low-severity calls do not ask the person', async () => {
    assert.equal(server.elicitations.length, 0, 'creating a CA in an empty dir asked the person');
    const out = await server.gated('create_client_cert', aliceCert);
    assert.equal(out.status, 'done');
    assert.equal(server.elicitations.length, 0, 'a new certificate for alice asked the person');
    assert.ok(fs.existsSync(inWork(server, 'certs', 'client.alice.crt')));
  });

  test('with a client that supports elicitation, accept runs it in the same call', async () => {
    const dry = await server.gated('create_client_cert', { ...rootCert, dry_run: true });
    assert.equal(dry.status, 'dry_run');
    assert.equal(server.elicitations.length, 0, 'a dry run asked the person');
    const assessment = dry.assessment!;

    answer = { action: 'accept', content: { confirm: true } };
    const out = await server.gated('create_client_cert', rootCert);
    assert.equal(out.status, 'done', JSON.stringify(out));
    assert.equal(out.confirmation, undefined, 'no confirmation round trip through the assistant');
    assert.equal(out.result?.certificate?.common_name, 'root');
    assert.ok(fs.existsSync(inWork(server, 'certs', 'client.root.crt')));
    assert.ok(fs.existsSync(inWork(server, 'certs', 'client.root.key')));

    assert.equal(server.elicitations.length, 1);
    const asked = server.elicitations[0]!;
    assert.match(asked.message, /high/);
    assert.ok(asked.message.includes(assessment.impact), `the question does not show the impact: ${asked.message}`);
    for (const change of assessment.changes) assert.ok(asked.message.includes(change), `the question does not list ${change}`);
    assert.ok(asked.message.includes(assessment.rollback), 'the question does not give the rollback');
    assert.ok('requestedSchema' in asked, 'a form elicitation');
  });

  for (const [label, reply, reason] of [
    ['decline', { action: 'decline' }, /declined/],
    ['cancel', { action: 'cancel' }, /cancel/],
    ['accept without ticking the box', { action: 'accept', content: { confirm: false } }, /declined/],
  ] as Array<[string, ElicitResult, RegExp]>) {
    test(`with a client that supports elicitation, ${label} changes nothing`, async () => {
      const asked = server.elicitations.length;
      const before = snapshot(server.work);
      answer = reply;
      const record = await server.call('create_client_cert', adminCert);
      assert.equal(record.isError, false, record.text);
      const out = record.structured as Envelope;
      assert.equal(out.status, 'refused', JSON.stringify(out));
      assert.match(out.reason ?? '', reason);
      assert.equal(out.confirmation, undefined, 'a refusal carries no confirmation to redeem');
      assert.equal(server.elicitations.length, asked + 1, 'the person was asked once');
      assert.match(server.elicitations.at(-1)!.message, /high/);
      assert.deepEqual(snapshot(server.work), before);
      assert.ok(!fs.existsSync(inWork(server, 'certs', 'client.admin.crt')));
    });
  }

  test('decline and cancel are honoured and audited', async () => {
    const events = (await auditOf(server)).reverse(); // oldest first
    for (const e of events) assert.equal(e.requester, REQUESTER);
    const admin = events.filter((e) => e.tool === 'create_client_cert' && e.detail.input?.user === 'admin');
    // Each call: the gate saves a pending confirmation (confirmation_required), the person is
    // asked through the form (input_required, elicitation/create for this 2025 client), and the
    // answer comes back as a second round that the runner runs again (requested → declined).
    const round = ['requested', 'confirmation_required', 'requested', 'declined'];
    assert.deepEqual(admin.map((e) => e.event), [...round, ...round, ...round]);
    assert.match(String(admin[3]!.detail.reason), /declined/);
    assert.match(String(admin[7]!.detail.reason), /cancel/);
    for (const e of admin) assert.equal(e.severity, 'high');

    const root = events.filter((e) => e.tool === 'create_client_cert' && e.detail.input?.user === 'root');
    assert.deepEqual(root.map((e) => e.event), ['dry_run', 'requested', 'confirmation_required', 'requested', 'confirmed', 'done']);
    const confirmed = root[4]!;
    assert.equal(confirmed.confirmer, REQUESTER, 'whoever accepted the elicitation is the confirmer');
    assert.equal(root[5]!.confirmer, REQUESTER);
    assert.equal(confirmed.detail.channel, 'elicitation', 'the audit records the channel');
    // The pending confirmation the person answered is the one the gate saved (named by its reference, never its id).
    assert.equal(root[2]!.confirmation_ref !== null, true);
    const alice = events.filter((e) => e.detail.input?.user === 'alice');
    assert.deepEqual(alice.map((e) => [e.event, e.confirmer]), [['requested', null], ['done', null]]);

    assertAuditFileIsClean(server, [inWork(server, 'safe', 'ca.key'), inWork(server, 'certs', 'client.root.key'), inWork(server, 'certs', 'client.alice.key')]);
  });
});

describe('read-only mode', () => {
  test('read-only mode: mutating tools are absent from tools/list and refused if called by name; read tools still work', async () => {
    const server = await startServer({
      env: { CRDB_TLS_READ_ONLY: 'true' },
      // A CA made beforehand by the CLI, so that there is something to read.
      prepare: (work) => runCliOk(['cert', 'create-ca', '--certs-dir', path.join(work, 'certs'), '--ca-key', path.join(work, 'safe', 'ca.key')], { env: cliEnv() }),
    });
    const names = (await server.client.listTools()).tools.map((t) => t.name);
    for (const name of CREATE_TOOLS) assert.ok(!names.includes(name), `${name} is listed in read-only mode`);
    for (const name of READ_TOOLS) assert.ok(names.includes(name), `${name} is missing in read-only mode`);
    // plan_rotation records its plan in the store (not readOnlyHint) but writes no file and touches no cluster.
    for (const tool of (await server.client.listTools()).tools) assert.equal(tool.annotations?.readOnlyHint, tool.name !== 'plan_rotation', `${tool.name} is listed but not read-only`);

    const before = snapshot(server.work);
    for (const [tool, args] of [
      ['create_ca', { certs_dir: 'fresh', ca_key: 'safe/fresh.key' }],
      ['create_client_cert', { ...rootCert, dry_run: true }],
      ['create_node_cert', { hosts: ['localhost'], certs_dir: 'certs', ca_key: 'safe/ca.key' }],
    ] as Array<[string, Record<string, unknown>]>) {
      // The v2 SDK answers a call to an unregistered tool with a JSON-RPC error (-32602); an error result would do too.
      const refusal = await server.call(tool, args).then(
        (record) => {
          assert.equal(record.isError, true, `${tool} ran in read-only mode: ${record.text}`);
          return record.text;
        },
        (error: Error) => error.message,
      );
      assert.match(refusal, new RegExp(`${tool}.*not found`));
    }
    assert.deepEqual(snapshot(server.work), before, 'a call in read-only mode changed files');
    assert.ok(!fs.existsSync(inWork(server, 'fresh')));

    const listing = await server.call('list_certs', { certs_dir: 'certs' });
    assert.equal(listing.isError, false, listing.text);
    const rows = (listing.structured as { rows: Array<{ usage: string; certificate_file: string }> }).rows;
    assert.ok(rows.some((r) => r.usage === 'CA' && r.certificate_file === 'ca.crt'), JSON.stringify(rows));
    const inspected = await server.call('inspect_certificate', { certificate: 'certs/ca.crt' });
    assert.equal(inspected.isError, false, inspected.text);
    assert.equal((await server.call('audit_log', {})).isError, false);
  });
});

describe('CRDB_TLS_CONFIRM_THRESHOLD', () => {
  test('threshold low: even a new CA in an empty dir and a new certificate for alice need confirmation', async () => {
    const server = await startServer({ env: { ...ASSISTANT, CRDB_TLS_CONFIRM_THRESHOLD: 'low' } });
    const caArgs = { certs_dir: 'certs', ca_key: 'safe/ca.key' };
    const before = snapshot(server.work);
    const pendingCa = await server.gated('create_ca', caArgs);
    assert.equal(pendingCa.status, 'confirmation_required');
    assert.equal(pendingCa.confirmation?.severity, 'low');
    assert.deepEqual(snapshot(server.work), before);
    const ca = await server.gated('create_ca', { ...caArgs, confirmation_id: pendingCa.confirmation!.id });
    assert.equal(ca.status, 'done');

    const beforeAlice = snapshot(server.work);
    const alice = await server.gated('create_client_cert', aliceCert);
    assert.equal(alice.status, 'confirmation_required');
    assert.equal(alice.confirmation?.severity, 'low');
    assert.deepEqual(snapshot(server.work), beforeAlice);
    assert.ok(!fs.existsSync(inWork(server, 'certs', 'client.alice.crt')));
  });

  test('threshold high: low calls pass and high calls still need confirmation', async () => {
    // No tool here produces a medium impact (new files are low, replacing or privileged ones high),
    // so "medium passes" cannot be shown with a real call; the boundary is shown from both sides.
    const server = await serverWithCa({ env: { CRDB_TLS_CONFIRM_THRESHOLD: 'high' } });
    const alice = await server.gated('create_client_cert', aliceCert);
    assert.equal(alice.status, 'done');
    const before = snapshot(server.work);
    const root = await server.gated('create_client_cert', rootCert);
    assert.equal(root.status, 'confirmation_required');
    assert.equal(root.confirmation?.severity, 'high');
    assert.deepEqual(snapshot(server.work), before);
  });

  test('threshold never: a high-severity call runs without confirmation and is still audited', async () => {
    const server = await serverWithCa({ env: { CRDB_TLS_CONFIRM_THRESHOLD: 'never' } });
    const root = await server.gated('create_client_cert', rootCert);
    assert.equal(root.status, 'done');
    assert.equal(root.assessment?.severity, 'high');
    assert.ok(fs.existsSync(inWork(server, 'certs', 'client.root.crt')));
    const events = await auditOf(server, { limit: 2, tool: 'create_client_cert' });
    assert.deepEqual(events.map((e) => [e.event, e.severity, e.confirmer]), [['done', 'high', null], ['requested', 'high', null]]);
  });
});
