// MCP over Streamable HTTP as clients meet it: the bundled `crdb-tls mcp --http 127.0.0.1:0` runs as
// a child process (port 0: it picks a free port and says which on stderr), the MCP SDK's
// StreamableHTTPClientTransport talks to it, and raw HTTP requests try what a well-behaved client
// never sends: no token, a wrong token, a foreign Origin or Host, an oversized body.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, LATEST_PROTOCOL_VERSION, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { catalog } from '../../tools/catalog.js';
import { CLI_BUNDLE } from '../support/cli.js';

const TOKEN = crypto.randomBytes(24).toString('hex'); // 48 characters
const LABEL = 'ci-http-bot';
const MB = 1_000_000;

interface RunningServer {
  child: ChildProcess;
  url: string;
  port: number;
  work: string;
  state: string;
  stderr: () => string;
}

let base = '';
const children: ChildProcess[] = [];

/** A clean environment: none of the developer's crdb-tls or Cloud settings leak in. */
function serverEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('CRDB_TLS_') && !key.startsWith('COCKROACH_')) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Starts `crdb-tls mcp --http 127.0.0.1:0` and waits for the line that names its URL. */
async function startServer(name: string, extraEnv: Record<string, string> = {}): Promise<RunningServer> {
  const work = path.join(base, name, 'work');
  const state = path.join(base, name, 'state');
  fs.mkdirSync(path.join(work, 'certs'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(work, 'safe'), { recursive: true, mode: 0o700 });
  const child = spawn(process.execPath, [CLI_BUNDLE, 'mcp', '--http', '127.0.0.1:0'], {
    cwd: work,
    env: serverEnv({ CRDB_TLS_HTTP_TOKEN: TOKEN, CRDB_TLS_HTTP_TOKEN_LABEL: LABEL, CRDB_TLS_ROOTS: work, CRDB_TLS_STATE_DIR: state, ...extraEnv }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "MCP over Streamable HTTP at" line within 15 s; stderr: ${stderr}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const found = /MCP over Streamable HTTP at (http:\/\/\S+)/.exec(stderr);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
  return { child, url, port: Number(new URL(url).port), work, state, stderr: () => stderr };
}

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request with exactly these headers (node:http lets a test set Host, which fetch does not). */
function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'POST', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const initializeBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw-http-test', version: '1.0.0' } },
});
const mcpHeaders = (extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...extra });

/** The JSON-RPC messages of an answer, whether it came as plain JSON or as an SSE stream. */
function jsonRpcMessages(answer: RawAnswer): Array<Record<string, unknown>> {
  if (String(answer.headers['content-type']).startsWith('text/event-stream')) {
    return answer.body
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line.length > 6)
      .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>);
  }
  return [JSON.parse(answer.body) as Record<string, unknown>];
}

function assertJsonRpcError(answer: RawAnswer, status: number, what: string): { code: number; message: string } {
  assert.equal(answer.status, status, `${what}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`);
  assert.match(String(answer.headers['content-type']), /^application\/json/, `${what}: the error body is JSON`);
  const body = JSON.parse(answer.body) as { jsonrpc: string; error?: { code: number; message: string } };
  assert.equal(body.jsonrpc, '2.0', `${what}: a JSON-RPC 2.0 answer`);
  assert.ok(body.error && typeof body.error.code === 'number' && body.error.message, `${what}: a JSON-RPC error object: ${answer.body}`);
  return body.error;
}

/** An SDK client over Streamable HTTP with these headers on every request. */
async function sdkClient(server: RunningServer, headers: Record<string, string>, elicit?: (params: ElicitRequest['params']) => { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> }): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers } });
  const client = new Client({ name: 'http-test-client', version: '1.0.0' }, elicit ? { capabilities: { elicitation: { form: {} } } } : {});
  if (elicit) client.setRequestHandler(ElicitRequestSchema, async (request) => elicit(request.params));
  await client.connect(transport);
  return { client, transport };
}

const authorized = { authorization: `Bearer ${TOKEN}` };

before(() => {
  assert.ok(fs.existsSync(CLI_BUNDLE), `${CLI_BUNDLE} is missing: run \`npm run build\` first`);
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-mcp-http-')));
});

after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

describe('crdb-tls mcp --http refuses to start when it would be unsafe', () => {
  test('a 31-character token stops the server before it listens, with one line on stderr', () => {
    const result = spawnSync(process.execPath, [CLI_BUNDLE, 'mcp', '--http', '127.0.0.1:0'], { env: serverEnv({ CRDB_TLS_HTTP_TOKEN: 'x'.repeat(31), CRDB_TLS_STATE_DIR: path.join(base, 'short-token-state') }), encoding: 'utf8', timeout: 15_000 });
    assert.equal(result.status, 2, `exit code (stderr: ${result.stderr})`);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line on stderr: ${result.stderr}`);
    assert.match(lines[0]!, /^crdb-tls: CRDB_TLS_HTTP_TOKEN is 31 characters long; it must be at least 32/);
    assert.ok(!result.stderr.includes('x'.repeat(31)), 'the token itself is not echoed');
  });

  test('without CRDB_TLS_HTTP_TOKEN the server does not start', () => {
    const result = spawnSync(process.execPath, [CLI_BUNDLE, 'mcp', '--http', '127.0.0.1:0'], { env: serverEnv({ CRDB_TLS_STATE_DIR: path.join(base, 'no-token-state') }), encoding: 'utf8', timeout: 15_000 });
    assert.equal(result.status, 2, `exit code (stderr: ${result.stderr})`);
    assert.match(result.stderr, /^crdb-tls: CRDB_TLS_HTTP_TOKEN is not set/);
  });

  test('a non-loopback address is refused unless --allow-remote is given', () => {
    const result = spawnSync(process.execPath, [CLI_BUNDLE, 'mcp', '--http', '0.0.0.0:0'], { env: serverEnv({ CRDB_TLS_HTTP_TOKEN: TOKEN, CRDB_TLS_STATE_DIR: path.join(base, 'remote-state') }), encoding: 'utf8', timeout: 15_000 });
    assert.equal(result.status, 2, `exit code (stderr: ${result.stderr})`);
    assert.match(result.stderr, /^crdb-tls: --http 0\.0\.0\.0:0 is not a loopback address/);
  });
});

describe('MCP over Streamable HTTP with a bearer token, Origin checks and a body limit', () => {
  let server: RunningServer;
  let goodOrigin = '';

  before(async () => {
    server = await startServer('main');
    goodOrigin = `http://127.0.0.1:${server.port}`;
  });

  test('the server listens on 127.0.0.1 at /mcp', () => {
    assert.equal(new URL(server.url).hostname, '127.0.0.1');
    assert.equal(new URL(server.url).pathname, '/mcp');
  });

  test('an initialize without a token is answered 401 with a JSON-RPC error and a Bearer challenge', async () => {
    const answer = await rawRequest(server.url, { headers: mcpHeaders(), body: initializeBody });
    assertJsonRpcError(answer, 401, 'no token');
    assert.match(String(answer.headers['www-authenticate']), /^Bearer/);
    assert.equal(answer.headers['mcp-session-id'], undefined, 'no session was started');
  });

  test('a wrong token of the same length is answered 401', async () => {
    const wrong = TOKEN.slice(0, -1) + (TOKEN.endsWith('a') ? 'b' : 'a');
    const answer = await rawRequest(server.url, { headers: mcpHeaders({ authorization: `Bearer ${wrong}` }), body: initializeBody });
    assertJsonRpcError(answer, 401, 'wrong token');
  });

  test('the token with something appended, or in another scheme, is answered 401', async () => {
    for (const authorization of [`Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN]) {
      const answer = await rawRequest(server.url, { headers: mcpHeaders({ authorization }), body: initializeBody });
      assertJsonRpcError(answer, 401, `Authorization: ${authorization.slice(0, 12)}…`);
    }
  });

  test('the SDK client with a wrong token cannot connect', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${'0'.repeat(48)}` } } });
    const client = new Client({ name: 'intruder', version: '1.0.0' });
    await assert.rejects(client.connect(transport), (error: Error) => /401|unauthorized/i.test(error.message));
    await client.close().catch(() => undefined);
  });

  test('a foreign Origin is answered 403 even with the right token', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${server.port + 1}`, 'null', `https://127.0.0.1:${server.port}`]) {
      const answer = await rawRequest(server.url, { headers: mcpHeaders({ ...authorized, origin }), body: initializeBody });
      assertJsonRpcError(answer, 403, `Origin ${origin}`);
    }
  });

  test('the SDK client sending a foreign Origin cannot connect', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { ...authorized, origin: 'http://evil.example' } } });
    const client = new Client({ name: 'rebinding-page', version: '1.0.0' });
    await assert.rejects(client.connect(transport), (error: Error) => /403|forbidden/i.test(error.message));
    await client.close().catch(() => undefined);
  });

  test('a Host header naming another domain (a DNS-rebinding page) is answered 403', async () => {
    const answer = await rawRequest(server.url, { headers: mcpHeaders({ ...authorized, host: `evil.example:${server.port}` }), body: initializeBody });
    assertJsonRpcError(answer, 403, 'foreign Host');
  });

  test('with the token and an allowed Origin the SDK client lists every tool and calls one', async () => {
    const { client } = await sdkClient(server, { ...authorized, origin: goodOrigin });
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), catalog.map((t) => t.name).sort());
      const result = await client.callTool({ name: 'diagnose_error', arguments: { error_text: 'x509: certificate signed by unknown authority' } });
      assert.notEqual(result.isError, true, JSON.stringify(result.content));
      assert.equal(typeof (result.structuredContent as { code?: unknown }).code, 'string');
    } finally {
      await client.close();
    }
  });

  test('with the token and no Origin (a non-browser client) the SDK client works too', async () => {
    const { client } = await sdkClient(server, authorized);
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === 'list_certs'));
    } finally {
      await client.close();
    }
  });

  test('a body over the limit gets a JSON-RPC error (413), not a dropped connection, and the session keeps serving', async () => {
    const { client, transport } = await sdkClient(server, authorized);
    try {
      const sessionId = transport.sessionId!;
      assert.ok(sessionId, 'the session has an id');
      const huge = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'diagnose_error', arguments: { error_text: 'a'.repeat(5 * MB) } } });
      const answer = await rawRequest(server.url, {
        headers: mcpHeaders({ ...authorized, 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION }),
        body: huge,
      });
      const error = assertJsonRpcError(answer, 413, '5 MB body');
      assert.match(error.message, /over \d+ bytes/);
      const { tools } = await client.listTools();
      assert.ok(tools.length > 0, 'tools/list still answers on the same session');
    } finally {
      await client.close();
    }
  });

  test('a valid body of about 2 MB is read and answered', async () => {
    const { client, transport } = await sdkClient(server, authorized);
    try {
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: 8,
        method: 'tools/call',
        params: { name: 'diagnose_error', arguments: { error_text: 'FATAL: no pg_hba.conf entry for host' }, _meta: { padding: 'p'.repeat(2 * MB) } },
      });
      assert.ok(Buffer.byteLength(body) > 2 * MB);
      const answer = await rawRequest(server.url, {
        headers: mcpHeaders({ ...authorized, 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION }),
        body,
      });
      assert.equal(answer.status, 200, answer.body.slice(0, 300));
      const reply = jsonRpcMessages(answer).find((m) => m.id === 8) as { result?: { isError?: boolean; structuredContent?: { code?: string } } } | undefined;
      assert.ok(reply?.result, `a result for request 8: ${answer.body.slice(0, 300)}`);
      assert.notEqual(reply.result.isError, true);
      assert.equal(typeof reply.result.structuredContent?.code, 'string');
    } finally {
      await client.close();
    }
  });

  test('a body that is not JSON gets a parse error (-32700)', async () => {
    const answer = await rawRequest(server.url, { headers: mcpHeaders(authorized), body: '{"jsonrpc": "2.0", "id": 1, "method": ' });
    const error = assertJsonRpcError(answer, 400, 'truncated JSON');
    assert.equal(error.code, -32700);
  });

  test('other paths are not served', async () => {
    const answer = await rawRequest(`http://127.0.0.1:${server.port}/`, { headers: mcpHeaders(authorized), body: initializeBody });
    assertJsonRpcError(answer, 404, 'path /');
  });

  test('DELETE ends a session: its id is unknown afterwards', async () => {
    const { client, transport } = await sdkClient(server, authorized);
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    const answer = await rawRequest(server.url, {
      headers: mcpHeaders({ ...authorized, 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION }),
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    assertJsonRpcError(answer, 404, 'a request in the ended session');
    await client.close().catch(() => undefined);
  });
});

describe('confirmation by elicitation over HTTP (stateful sessions)', () => {
  let server: RunningServer;

  before(async () => {
    server = await startServer('elicit');
  });

  test('a certificate for root (high severity) is confirmed through the HTTP client, and the audit names the token label', async () => {
    const asked: ElicitRequest['params'][] = [];
    const { client } = await sdkClient(server, authorized, (params) => {
      asked.push(params);
      return { action: 'accept', content: { confirm: true } };
    });
    try {
      const ca = await client.callTool({ name: 'create_ca', arguments: { certs_dir: 'certs', ca_key: 'safe/ca.key' } });
      assert.equal((ca.structuredContent as { status: string }).status, 'done', JSON.stringify(ca.content));
      assert.equal(asked.length, 0, 'a new CA in an empty dir is low severity: nobody is asked');

      const root = await client.callTool({ name: 'create_client_cert', arguments: { user: 'root', certs_dir: 'certs', ca_key: 'safe/ca.key' } });
      const envelope = root.structuredContent as { status: string; assessment?: { severity: string } };
      assert.equal(asked.length, 1, 'the person was asked once, through the HTTP session');
      assert.match(asked[0]!.message, /severity high/);
      assert.equal(envelope.status, 'done', JSON.stringify(root.content));
      assert.equal(envelope.assessment?.severity, 'high');
      assert.ok(fs.existsSync(path.join(server.work, 'certs', 'client.root.crt')));

      const audit = await client.callTool({ name: 'audit_log', arguments: { limit: 50 } });
      const events = (audit.structuredContent as { events: Array<{ event: string; tool: string; requester: string; confirmer: string | null }> }).events;
      const done = events.find((e) => e.tool === 'create_client_cert' && e.event === 'done');
      assert.ok(done, `a done event for create_client_cert: ${JSON.stringify(events)}`);
      assert.equal(done.requester, LABEL);
      assert.equal(done.confirmer, LABEL);
    } finally {
      await client.close();
    }
  });

  test('a declined elicitation changes nothing', async () => {
    const { client } = await sdkClient(server, authorized, () => ({ action: 'decline' }));
    try {
      const before = fs.readFileSync(path.join(server.work, 'certs', 'client.root.crt'));
      const again = await client.callTool({ name: 'create_client_cert', arguments: { user: 'root', certs_dir: 'certs', ca_key: 'safe/ca.key', overwrite: true } });
      assert.equal((again.structuredContent as { status: string }).status, 'refused');
      assert.deepEqual(fs.readFileSync(path.join(server.work, 'certs', 'client.root.crt')), before);
    } finally {
      await client.close();
    }
  });
});

describe('200 abandoned sessions do not lock out another token (issue 14)', () => {
  // Five flooding tokens and one that arrives afterwards, each with its own label (CRDB_TLS_HTTP_TOKENS).
  const flooders = ['flood-a', 'flood-b', 'flood-c', 'flood-d', 'flood-e'].map((label) => ({ label, token: crypto.randomBytes(24).toString('hex') }));
  const fresh = { label: 'fresh-client', token: crypto.randomBytes(24).toString('hex') };
  const tokensEnv = { CRDB_TLS_HTTP_TOKENS: [...flooders, fresh].map((t) => `${t.label}=${t.token}`).join(',') };

  /** An initialize that is never followed up (no initialized notification, no DELETE): an abandoned session. */
  const abandon = (server: RunningServer, token: string) => rawRequest(server.url, { headers: mcpHeaders({ authorization: `Bearer ${token}` }), body: initializeBody });

  /** The fresh token's real SDK client connects, lists the tools and calls one. */
  async function freshClientWorks(server: RunningServer): Promise<void> {
    const { client } = await sdkClient(server, { authorization: `Bearer ${fresh.token}` });
    try {
      const { tools } = await client.listTools();
      assert.equal(tools.length, catalog.length);
      const answer = await client.callTool({ name: 'diagnose_error', arguments: { error_text: 'x509: certificate signed by unknown authority' } });
      assert.notEqual(answer.isError, true, JSON.stringify(answer.content));
    } finally {
      await client.close();
    }
  }

  test('from one token: that token meets its own limit (503 naming CRDB_TLS_MCP_MAX_SESSIONS_PER_TOKEN), a fresh client of another token is served', async () => {
    const server = await startServer('flood-one', tokensEnv);
    const statuses: number[] = [];
    let refusal = '';
    for (let i = 0; i < 200; i++) {
      const answer = await abandon(server, TOKEN);
      statuses.push(answer.status);
      if (answer.status === 503 && !refusal) refusal = assertJsonRpcError(answer, 503, 'the flooding token at its limit').message;
    }
    assert.equal(statuses.filter((s) => s === 200).length, 16, 'the per-token limit (16) did not hold');
    assert.deepEqual([...new Set(statuses.filter((s) => s !== 200))], [503]);
    assert.match(refusal, /CRDB_TLS_MCP_MAX_SESSIONS_PER_TOKEN=16/);
    await freshClientWorks(server);
  });

  test('spread over five tokens (more than the 64 in all): a fresh client of a sixth token is served, and the fifth flooder is not locked out by the first four', async () => {
    const server = await startServer('flood-spread', tokensEnv);
    const opened = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const flooder = flooders[i % flooders.length]!;
      const answer = await abandon(server, flooder.token);
      assert.ok(answer.status === 200 || answer.status === 503, `initialize #${i}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
      if (answer.status === 200) opened.set(flooder.label, (opened.get(flooder.label) ?? 0) + 1);
    }
    assert.equal(opened.get('flood-e') !== undefined, true, 'the fifth flooder was locked out by the first four');
    await freshClientWorks(server);
    // A flood cannot be turned into a lock-out of the token that arrived last either: it gets in again.
    await freshClientWorks(server);
  });
});
