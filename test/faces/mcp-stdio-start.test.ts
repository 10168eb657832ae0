// `crdb-tls mcp` answers a 2025 client's initialize and first tools/list before it loads the SDK
// (src/cli/mcp-stdio-start.ts, from the handshake the build prepared). What must hold: those two
// answers are what the SDK itself answers, in every variant (read-only, MCP Apps clients); they
// come before any SDK code is loaded; the SDK then serves the connection from its first message,
// with no answer given twice; and whatever the start does not recognise exactly is the SDK's to
// answer, as it always was.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import packageJson from '../../package.json' with { type: 'json' };
import { APP_MIME_TYPE, APPS_EXTENSION } from '../../src/mcp/apps-extension.js';
import { sdkAnswers } from '../../src/mcp/handshake-capture.js';
import { lazyCatalog } from '../../tools/lazy-catalog.js';
import { CLI_BUNDLE } from '../support/cli.js';
import { mcpEnv } from '../support/mcp-session.js';

type Json = Record<string, unknown>;
let base = '';

/** Records every module file the child loads (a module.register load hook), to tell when the SDK came in. */
const LOAD_RECORDER = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import fs from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) fs.appendFileSync(process.env.LOAD_RECORD, url + '\\\\n');
  return next(url, context);
}\`));
`)}`;

interface Server {
  child: ChildProcessWithoutNullStreams;
  send(message: Json | string): void;
  /** The next message from the server (in order), or undefined if stdout ends first. */
  next(): Promise<Json | undefined>;
  loaded(): string[];
  stderr(): string;
  exited: Promise<number | null>;
}

function startServer(extraEnv: Record<string, string> = {}): Server {
  const record = path.join(base, `loads-${process.hrtime.bigint()}.txt`);
  const env = mcpEnv({ CRDB_TLS_STATE_DIR: path.join(base, 'state'), CRDB_TLS_ROOTS: base, LOAD_RECORD: record, ...extraEnv });
  const child = spawn(process.execPath, ['--import', LOAD_RECORDER, CLI_BUNDLE, 'mcp'], { cwd: base, env });
  const lines: Json[] = [];
  const waiting: Array<(message: Json | undefined) => void> = [];
  let buffer = '';
  let ended = false;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
      const message = JSON.parse(buffer.slice(0, newline)) as Json;
      buffer = buffer.slice(newline + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(message);
      else lines.push(message);
    }
  });
  child.stdout.on('end', () => {
    ended = true;
    for (const waiter of waiting.splice(0)) waiter(undefined);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    send: (message) => child.stdin.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`),
    next: () => (lines.length > 0 ? Promise.resolve(lines.shift()) : ended ? Promise.resolve(undefined) : new Promise((resolve) => waiting.push(resolve))),
    loaded: () => (fs.existsSync(record) ? fs.readFileSync(record, 'utf8').trim().split('\n') : []),
    stderr: () => stderr,
    exited,
  };
}

/** Whether any loaded file holds the SDK's server or its stdio entry. */
function sdkLoaded(files: string[]): boolean {
  return files.some((url) => {
    const text = fs.readFileSync(new URL(url), 'utf8');
    return text.includes('class StdioServerTransport') || text.includes('SUPPORTED_MODERN_PROTOCOL_VERSIONS') || text.includes('class McpServer');
  });
}

const initialize = (id: number | string, protocolVersion: string, apps: boolean) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion, capabilities: apps ? { extensions: { [APPS_EXTENSION]: { mimeTypes: [APP_MIME_TYPE] } } } : { roots: { listChanged: true } }, clientInfo: { name: 'start-test', version: '1.0.0' } },
});
const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' };

async function stop(server: Server): Promise<number | null> {
  server.child.stdin.end();
  return server.exited;
}

before(() => {
  assert.ok(fs.existsSync(CLI_BUNDLE), `${CLI_BUNDLE} is missing: run npm run build`);
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-mcp-start-'));
});

after(() => {
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

describe('crdb-tls mcp answers the opening before the SDK loads', () => {
  for (const variant of [{ readOnly: false, apps: false }, { readOnly: true, apps: false }, { readOnly: false, apps: true }, { readOnly: true, apps: true }]) {
    test(`initialize and tools/list are the SDK's answers, SDK not yet loaded (read-only ${variant.readOnly}, MCP Apps ${variant.apps})`, async () => {
      const protocolVersion = '2025-06-18';
      const expected = await sdkAnswers(lazyCatalog, packageJson.version, protocolVersion, variant);
      const server = startServer(variant.readOnly ? { CRDB_TLS_READ_ONLY: 'true' } : {});
      server.send(initialize(1, protocolVersion, variant.apps));
      assert.deepEqual(await server.next(), expected.initialize);
      server.send(INITIALIZED);
      server.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
      const listed = await server.next();
      assert.equal(sdkLoaded(server.loaded()), false, 'the SDK was loaded before the opening was answered');
      assert.deepEqual(listed, expected.toolsList);
      const names = ((listed!.result as Json).tools as Json[]).map((tool) => tool.name);
      if (variant.readOnly) assert.ok(!names.includes('create_ca') && !names.includes('apply_rotation_step'), `read-only lists a mutating tool: ${names.join(', ')}`);
      // The SDK serves the rest: a call, then a mutating call that read-only refuses.
      server.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'diagnose_error', arguments: { error_text: 'x509: certificate signed by unknown authority' } } });
      const call = await server.next();
      assert.equal(call?.id, 3, `expected the answer to the call, got ${JSON.stringify(call).slice(0, 300)}`);
      assert.match(JSON.stringify(call?.result), /unknown authority|CA/i);
      assert.ok(sdkLoaded(server.loaded()), 'the SDK answered the call');
      server.send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'create_ca', arguments: { certs_dir: path.join(base, 'certs'), ca_key: path.join(base, 'ca.key') } } });
      const mutating = await server.next();
      assert.equal(mutating?.id, 4);
      if (variant.readOnly) assert.match(JSON.stringify(mutating), /read-only|not found|unknown tool/i);
      assert.equal(await stop(server), 0);
      // Nothing answered twice: stdout ended after the four answers.
      assert.equal(await server.next(), undefined);
    });
  }

  test('every protocol version the SDK agrees to is answered with that version, under a string id', async () => {
    for (const protocolVersion of ['2025-11-25', '2025-03-26', '2024-11-05']) {
      const server = startServer();
      server.send(initialize('init', protocolVersion, false));
      const answer = await server.next();
      const expected = (await sdkAnswers(lazyCatalog, packageJson.version, protocolVersion, { readOnly: false, apps: false })).initialize;
      assert.deepEqual(answer, { ...expected, id: 'init' });
      assert.equal(await stop(server), 0);
    }
  });
});

describe('what the start does not recognise is the SDK\'s, from the first byte', () => {
  test('a ping first, a malformed line, an initialize with _meta or an unknown version: the SDK answers each as before', async () => {
    const server = startServer();
    server.send({ jsonrpc: '2.0', id: 'p', method: 'ping' });
    assert.deepEqual(await server.next(), { jsonrpc: '2.0', id: 'p', result: {} });
    await stop(server);

    const malformed = startServer();
    malformed.send('{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": ');
    malformed.send(initialize(2, '2025-06-18', false));
    const answer = await malformed.next();
    assert.equal(answer?.id, 2);
    assert.equal((answer?.result as Json).protocolVersion, '2025-06-18');
    await stop(malformed);

    const unknownVersion = startServer();
    unknownVersion.send(initialize(1, '1999-01-01', false));
    const negotiated = await unknownVersion.next();
    assert.deepEqual(negotiated, (await sdkAnswers(lazyCatalog, packageJson.version, '1999-01-01', { readOnly: false, apps: false })).initialize);
    assert.ok(sdkLoaded(unknownVersion.loaded()), 'a version the start does not know is the SDK\'s to negotiate');
    await stop(unknownVersion);

    const withMeta = startServer();
    withMeta.send({ ...initialize(1, '2025-06-18', false), params: { ...initialize(1, '2025-06-18', false).params, _meta: { progressToken: 1 } } });
    assert.equal(((await withMeta.next())?.result as Json).protocolVersion, '2025-06-18');
    assert.ok(sdkLoaded(withMeta.loaded()));
    await stop(withMeta);
  });

  test('a 2026-07-28 opening (server/discover) goes to the SDK', async () => {
    const server = startServer();
    server.send({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: {} });
    const answer = await server.next();
    assert.equal(answer?.id, 1);
    assert.ok(answer?.result || answer?.error, JSON.stringify(answer));
    assert.ok(sdkLoaded(server.loaded()));
    await stop(server);
  });

  test('an id used again after the opening is answered again (only the repeated answers to the opening are left out)', async () => {
    const server = startServer();
    server.send(initialize(7, '2025-06-18', false));
    assert.equal((await server.next())?.id, 7);
    server.send(INITIALIZED);
    server.send({ jsonrpc: '2.0', id: 7, method: 'tools/list' });
    const listed = await server.next();
    assert.equal(listed?.id, 7);
    assert.ok(Array.isArray((listed?.result as Json).tools), JSON.stringify(listed).slice(0, 300));
    assert.equal(await stop(server), 0);
    assert.equal(await server.next(), undefined);
  });

  test('stdin closed after initialize: the server ends cleanly, having answered once', async () => {
    const server = startServer();
    server.send(initialize(1, '2025-06-18', false));
    assert.equal((await server.next())?.id, 1);
    assert.equal(await stop(server), 0);
    assert.equal(await server.next(), undefined);
  });

  test('a configuration error is not hidden behind an answered opening: nothing is answered, the error is said', async () => {
    const server = startServer({ CRDB_TLS_READ_ONLY: 'perhaps' });
    server.send(initialize(1, '2025-06-18', false));
    const code = await server.exited;
    assert.notEqual(code, 0);
    assert.equal(await server.next(), undefined);
    assert.match(server.stderr(), /CRDB_TLS_READ_ONLY=perhaps is not a boolean/);
  });
});
