// Stateless MCP over HTTP for scale: two `crdb-tls mcp --http --stateless` replicas on one
// PostgreSQL store and one CRDB_TLS_MCP_STATE_KEY. A 2026-07-28 client (the v2 SDK client in its
// manual input_required mode, as a load balancer would spread its rounds) asks for a gated call
// through one replica and answers the confirmation form through the other: it runs exactly once;
// the same answer replayed through either replica, or the state carried to another token or to
// other arguments, or sealed with another key, runs nothing.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import pg from 'pg';
import { runCliOk } from '../support/cli.js';
import { MODERN_REVISION, startHttpServerProcess, type HttpServerProcess } from '../support/mcp-eras.js';
import { startPostgresForStore, type TlsPostgres } from '../support/postgres.js';

const TOKEN = crypto.randomBytes(32).toString('hex');
const OTHER_TOKEN = crypto.randomBytes(32).toString('hex');
const STATE_KEY = crypto.randomBytes(32).toString('hex');

interface InputRequired {
  resultType?: string;
  inputRequests?: Record<string, { method: string; params: { message: string } }>;
  requestState?: string;
}
interface ToolAnswer {
  isError?: boolean;
  content?: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
}

let work = '';
let store: { server: TlsPostgres; url: string } | undefined;
let replicas: HttpServerProcess[] = [];
let strangerReplica: HttpServerProcess | undefined;
const clients: Client[] = [];

async function manualClient(url: string, token = TOKEN): Promise<Client> {
  const client = new Client({ name: 'replica-test', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: MODERN_REVISION } }, inputRequired: { autoFulfill: false } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return client;
}

/** One round of tools/call: the first (no state) or a retry carrying the answer and the state. */
async function round(client: Client, args: Record<string, unknown>, retry?: { state: string; confirm: unknown }): Promise<InputRequired & ToolAnswer> {
  const params: Record<string, unknown> = { name: 'create_client_cert', arguments: args };
  if (retry) Object.assign(params, { requestState: retry.state, inputResponses: { confirm: { action: 'accept', content: { confirm: retry.confirm } } } });
  return (await client.callTool(params as { name: string; arguments: Record<string, unknown> }, { allowInputRequired: true })) as InputRequired & ToolAnswer;
}

async function auditEvents(): Promise<Array<{ event: string; tool: string; detail: { input?: { user?: string } } }>> {
  const db = new pg.Client({ connectionString: store!.url });
  await db.connect();
  try {
    return (await db.query('SELECT event, tool, detail FROM crdb_tls_audit ORDER BY at, id')).rows;
  } finally {
    await db.end();
  }
}

describe('two stateless replicas on one PostgreSQL store', () => {
  const certs = () => path.join(work, 'issue');
  const args = () => ({ user: 'root', certs_dir: certs(), ca_key: path.join(work, 'issue-safe', 'ca.key') });

  before(async () => {
    work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-mcp-replicas-')));
    store = await startPostgresForStore(work);
    fs.mkdirSync(path.join(work, 'issue-safe'), { recursive: true, mode: 0o700 });
    runCliOk(['cert', 'create-ca', '--certs-dir', certs(), '--ca-key', path.join(work, 'issue-safe', 'ca.key')], { cwd: work });
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('CRDB_TLS_') && !key.startsWith('COCKROACH_')) env[key] = value;
    Object.assign(env, { CRDB_TLS_ROOTS: work, CRDB_TLS_DATABASE_URL: store.url, CRDB_TLS_HTTP_TOKEN: TOKEN, CRDB_TLS_HTTP_TOKEN_LABEL: 'ci-bot', CRDB_TLS_HTTP_TOKENS: `other-bot=${OTHER_TOKEN}`, CRDB_TLS_MCP_STATE_KEY: STATE_KEY });
    replicas = await Promise.all([0, 1].map((n) => startHttpServerProcess({ ...env, CRDB_TLS_STATE_DIR: path.join(work, `state-${n}`) }, work, ['--stateless'])));
    // Same store, another state key: a replica that was never given the fleet's key.
    strangerReplica = await startHttpServerProcess({ ...env, CRDB_TLS_MCP_STATE_KEY: crypto.randomBytes(32).toString('hex'), CRDB_TLS_STATE_DIR: path.join(work, 'state-x') }, work, ['--stateless']);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await Promise.all([...replicas.map((r) => r.stop()), strangerReplica?.stop()]);
    await store?.server.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('asked through one replica, confirmed through the other: runs exactly once; replays and strangers run nothing', async () => {
    const [a, b] = await Promise.all(replicas.map((r) => manualClient(r.url)));
    const first = await round(a!, args());
    assert.equal(first.resultType, 'input_required', JSON.stringify(first));
    assert.match(first.inputRequests!.confirm!.params.message, /severity high/);
    const state = first.requestState!;
    assert.ok(state.length > 0);
    assert.ok(!fs.existsSync(path.join(certs(), 'client.root.crt')), 'nothing is written before the person agrees');

    // The state sealed for this token is refused when another token holder echoes it.
    const other = await manualClient(replicas[1]!.url, OTHER_TOKEN);
    await assert.rejects(round(other, args(), { state, confirm: true }), /-32602|invalid|request ?state/i);
    // A replica without the fleet's key cannot open the state either.
    await assert.rejects(round(await manualClient(strangerReplica!.url), args(), { state, confirm: true }), /-32602|invalid|request ?state/i);
    // Other arguments with the same state: refused, nothing written.
    const swapped = await round(b!, { ...args(), user: 'admin' }, { state, confirm: true });
    assert.equal(swapped.isError, true, JSON.stringify(swapped));
    assert.match(swapped.content![0]!.text!, /belongs to another call/);
    assert.ok(!fs.existsSync(path.join(certs(), 'client.admin.crt')));

    // The person's answer reaches both replicas at once (a retried POST, two load-balancer paths).
    const answers = await Promise.all([round(a!, args(), { state, confirm: true }), round(b!, args(), { state, confirm: true })]);
    const done = answers.filter((r) => r.structuredContent?.status === 'done');
    assert.equal(done.length, 1, JSON.stringify(answers));
    const loser = answers.find((r) => r !== done[0])!;
    assert.equal(loser.isError, true, JSON.stringify(loser));
    // Refused by the store (used once) or, if the winner already wrote it, by the file now there.
    assert.match(loser.content![0]!.text!, /already used|already exists/);
    assert.ok(fs.existsSync(path.join(certs(), 'client.root.crt')));

    // The same answer later, through either replica, runs nothing either.
    for (const client of [a!, b!]) {
      const replay = await round(client, args(), { state, confirm: true });
      assert.equal(replay.isError, true, JSON.stringify(replay));
    }

    // The form's own refusals carry the input hash, not the input: everything but the admin call is this one.
    const events = (await auditEvents()).filter((e) => e.tool === 'create_client_cert' && e.detail.input?.user !== 'admin');
    assert.equal(events.filter((e) => e.event === 'done').length, 1, JSON.stringify(events.map((e) => e.event)));
    assert.equal(events.filter((e) => e.event === 'confirmed').length, 1);
    assert.equal(events.filter((e) => e.event === 'refused').length, 3, `the losing answer and each replay are audited as refused: ${JSON.stringify(events)}`);
  });
});
