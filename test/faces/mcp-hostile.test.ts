// The bundled `crdb-tls mcp` over stdio, spoken to in raw newline-delimited JSON-RPC so that a test
// can send what no SDK client would: wrong types, 10 MB strings, unknown tools and methods,
// lines that are not JSON, NUL bytes, invalid UTF-8, lone surrogates, deep nesting. Each request
// with an id gets an answer with that id; the rest is survived; afterwards the server still lists
// its tools, and everything it wrote to stdout was JSON-RPC (stdout is the protocol's alone).
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { createCa } from '../../src/pki/create-ca.js';
import { catalog } from '../../tools/catalog.js';
import { CLI_BUNDLE } from '../support/cli.js';

const MB = 1_000_000;
const ANSWER_TIMEOUT_MS = 30_000;

interface Message {
  jsonrpc?: string;
  id?: number | string | null;
  result?: { isError?: boolean; content?: Array<{ type: string; text?: string }>; tools?: Array<{ name: string }> };
  error?: { code: number; message: string };
}

let child: ChildProcessWithoutNullStreams;
let base = '';
const answers = new Map<number | string, Message>();
const waiters = new Map<number | string, (message: Message) => void>();
const stdoutLines: string[] = [];
let stderr = '';
let pending = '';
let nextId = 100;

function onStdout(chunk: Buffer): void {
  pending += chunk.toString('utf8');
  let newline: number;
  while ((newline = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, newline);
    pending = pending.slice(newline + 1);
    stdoutLines.push(line);
    let message: Message;
    try {
      message = JSON.parse(line) as Message;
    } catch {
      continue; // judged at the end: every stdout line must be JSON
    }
    if (message.id !== undefined && message.id !== null && (message.result !== undefined || message.error !== undefined)) {
      answers.set(message.id, message);
      waiters.get(message.id)?.(message);
    }
  }
}

/** Writes raw bytes as one line. */
function sendRaw(bytes: Buffer | string): void {
  child.stdin.write(Buffer.concat([Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8'), Buffer.from('\n')]));
}

function answerTo(id: number | string): Promise<Message> {
  const known = answers.get(id);
  if (known) return Promise.resolve(known);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to request ${id} within ${ANSWER_TIMEOUT_MS} ms; server alive: ${child.exitCode === null}; stderr tail: ${stderr.slice(-500)}`)), ANSWER_TIMEOUT_MS);
    waiters.set(id, (message) => {
      clearTimeout(timer);
      resolve(message);
    });
  });
}

/** A request with a fresh id, sent as JSON; resolves with its answer. */
function request(method: string, params?: unknown): Promise<Message> {
  const id = nextId++;
  sendRaw(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params !== undefined ? { params } : {}) }));
  return answerTo(id);
}

/** An answer that reports failure: a JSON-RPC error, or a tool result with isError. */
function assertRefused(message: Message, what: string): string {
  if (message.error) {
    assert.equal(typeof message.error.code, 'number', what);
    return message.error.message;
  }
  assert.equal(message.result?.isError, true, `${what}: expected an error, got ${JSON.stringify(message).slice(0, 300)}`);
  return (message.result.content ?? []).map((c) => c.text ?? '').join('\n');
}

async function assertStillServing(what: string): Promise<void> {
  const listed = await request('tools/list');
  assert.ok(listed.result?.tools, `tools/list after ${what}: ${JSON.stringify(listed).slice(0, 300)}`);
  assert.deepEqual(listed.result.tools.map((t) => t.name).sort(), catalog.map((t) => t.name).sort());
}

before(async () => {
  assert.ok(fs.existsSync(CLI_BUNDLE), `${CLI_BUNDLE} is missing: run \`npm run build\` first`);
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-mcp-hostile-')));
  fs.mkdirSync(path.join(base, 'work', 'certs'), { recursive: true });
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('CRDB_TLS_') && !key.startsWith('COCKROACH_')) env[key] = value;
  child = spawn(process.execPath, [CLI_BUNDLE, 'mcp'], { cwd: path.join(base, 'work'), env: { ...env, CRDB_TLS_ROOTS: path.join(base, 'work'), CRDB_TLS_STATE_DIR: path.join(base, 'state') }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.on('data', onStdout);
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const init = nextId++;
  sendRaw(JSON.stringify({ jsonrpc: '2.0', id: init, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'hostile-client', version: '0.0.1' } } }));
  const answer = await answerTo(init);
  assert.ok(answer.result, `initialize: ${JSON.stringify(answer)}`);
  sendRaw(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
});

after(() => {
  if (child && child.exitCode === null) child.kill('SIGTERM');
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

describe('crdb-tls mcp over stdio keeps serving after every bad call', () => {
  test('arguments of the wrong type are refused, each answered', async () => {
    const cases: Array<[string, unknown]> = [
      ['list_certs', { certs_dir: 42 }],
      ['list_certs', []],
      ['list_certs', null],
      ['create_ca', { certs_dir: { nested: true }, key_size: 'big' }],
      ['inspect_certificate', { certificate: ['a', 'b'] }],
      ['diagnose_error', { error_text: '' }],
      ['connection_string', { client: 'not-a-client', host: 'h' }],
    ];
    for (const [name, args] of cases) assertRefused(await request('tools/call', { name, arguments: args }), `${name} ${JSON.stringify(args)}`);
    await assertStillServing('wrong types');
  });

  test('a 10 MB string is refused with a short error, not echoed', async () => {
    const answer = await request('tools/call', { name: 'diagnose_error', arguments: { error_text: 'x509: '.repeat(10 * MB / 6) } });
    const text = assertRefused(answer, '10 MB error_text');
    assert.ok(text.length < 10_000, `the error is ${text.length} characters long`);
    const path10 = await request('tools/call', { name: 'list_certs', arguments: { certs_dir: 'a/'.repeat(5 * MB) } });
    assert.ok(assertRefused(path10, '10 MB path').length < 10_000);
    await assertStillServing('10 MB strings');
  });

  test('an unknown tool and an unknown method get errors', async () => {
    assertRefused(await request('tools/call', { name: 'no_such_tool', arguments: {} }), 'unknown tool');
    const method = await request('no/such/method', {});
    assert.equal(method.error?.code, -32601, JSON.stringify(method));
    assertRefused(await request('tools/call', { arguments: {} }), 'tools/call without a name');
    await assertStillServing('unknown names');
  });

  test('lines that are not JSON-RPC are survived', async () => {
    sendRaw('{"jsonrpc": "2.0", "id": 9001, "method": ');
    sendRaw('this is not json');
    sendRaw('42');
    sendRaw('null');
    sendRaw('[]');
    sendRaw('{"jsonrpc": "1.0", "id": 9002, "method": "tools/list"}');
    sendRaw(Buffer.from([0x7b, 0x00, 0x00, 0x7d])); // { NUL NUL }
    sendRaw('['.repeat(200_000) + ']'.repeat(200_000)); // nesting deeper than any parser's stack
    await assertStillServing('malformed lines');
  });

  test('NUL bytes, invalid UTF-8 and lone surrogates inside arguments are answered', async () => {
    assertRefused(await request('tools/call', { name: 'list_certs', arguments: { certs_dir: 'certs\u0000/../../etc' } }), 'NUL in a path');
    const nulText = await request('tools/call', { name: 'diagnose_error', arguments: { error_text: 'x509: certificate signed by unknown authority\u0000\u0000' } });
    assert.ok(nulText.result, JSON.stringify(nulText).slice(0, 300));
    // Raw bytes that are not UTF-8 inside a JSON string: the server decodes them as U+FFFD and answers.
    const id = nextId++;
    sendRaw(Buffer.concat([Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"diagnose_error","arguments":{"error_text":"bad `), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from(` bytes: x509: certificate has expired"}}}`)]));
    const invalidUtf8 = await answerTo(id);
    assert.ok(invalidUtf8.result, JSON.stringify(invalidUtf8).slice(0, 300));
    const surrogate = await request('tools/call', { name: 'connection_string', arguments: { client: 'psql', host: 'h.example.com', user: '\ud800lone' } });
    assert.ok(surrogate.result || surrogate.error, 'answered');
    if (surrogate.result?.isError) assert.doesNotMatch(assertRefused(surrogate, 'lone surrogate'), /internal error/);
    await assertStillServing('hostile characters');
  });

  test('files named as certificates that are huge, FIFOs or /dev/zero are refused at once, never read whole or waited on', async () => {
    const work = path.join(base, 'work');
    const dir = path.join(work, 'hostile-certs');
    fs.mkdirSync(dir);
    // Sparse: 64 MiB by size, nothing on disk.
    for (const file of [path.join(dir, 'ca.crt'), path.join(work, 'huge.crt')]) {
      fs.writeFileSync(file, '');
      fs.truncateSync(file, 64 * 1024 * 1024);
    }
    execFileSync('mkfifo', [path.join(dir, 'client.root.crt'), path.join(work, 'fifo.crt')]);
    fs.symlinkSync('/dev/zero', path.join(dir, 'client.root.key'));
    fs.symlinkSync('/dev/zero', path.join(work, 'zero.crt'));

    const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
      ['inspect_certificate', { certificate: 'huge.crt' }, /larger than 4,194,304 bytes; it was not read/],
      ['inspect_certificate', { certificate: 'fifo.crt' }, /not a regular file/],
      ['inspect_certificate', { certificate: 'zero.crt' }, /not a regular file|outside/],
      ['encode_changefeed_uri', { sink: 'kafka://broker:9093', ca: 'huge.crt' }, /larger than 4,194,304 bytes/],
      ['encode_changefeed_uri', { sink: 'kafka://broker:9093', ca: 'fifo.crt' }, /not a regular file/],
    ];
    for (const [name, args, expected] of refusals) {
      const text = assertRefused(await request('tools/call', { name, arguments: args }), `${name} ${JSON.stringify(args)}`);
      assert.match(text, expected, `${name} ${JSON.stringify(args)}`);
      assert.doesNotMatch(text, /internal error/);
    }
    // Inventories go on past a bad file: each is an error row, the rest is read.
    const listed = await request('tools/call', { name: 'list_certs', arguments: { certs_dir: 'hostile-certs' } });
    const listedText = JSON.stringify(listed.result);
    assert.match(listedText, /larger than 4,194,304 bytes/, listedText.slice(0, 500));
    assert.match(listedText, /not a regular file/);
    assert.match(assertRefused(await request('tools/call', { name: 'check_expiry', arguments: { files: ['fifo.crt'] } }), 'check_expiry of a FIFO'), /not a regular file/);
    const checked = await request('tools/call', { name: 'check_expiry', arguments: { certs_dirs: ['hostile-certs'], files: ['huge.crt'] } });
    const checkedText = JSON.stringify(checked.result);
    assert.match(checkedText, /"result":"error"/, checkedText.slice(0, 500));
    assert.match(checkedText, /larger than 4,194,304 bytes/);
    assert.match(checkedText, /not a regular file/);
    await assertStillServing('huge files, FIFOs and /dev/zero');
  });

  test('files in an allowed certs dir that are symlinks out of the roots are not read; symlinks inside (Kubernetes ..data) are', async () => {
    const work = path.join(base, 'work');
    const outside = path.join(base, 'outside');
    fs.mkdirSync(outside, { mode: 0o700 });
    await createCa({ kind: 'ca', certsDir: outside, caKeyPath: path.join(outside, 'ca.key'), keySize: 2048, lifetimeMs: 87_840 * 3_600_000, overwrite: false, allowKeyReuse: false });
    const linked = path.join(work, 'linked-certs');
    fs.mkdirSync(linked);
    fs.symlinkSync(path.join(outside, 'ca.crt'), path.join(linked, 'ca.crt'));
    fs.copyFileSync(path.join(outside, 'ca.crt'), path.join(linked, 'client.root.crt'));
    fs.symlinkSync(path.join(outside, 'ca.key'), path.join(linked, 'client.root.key'));
    // A Kubernetes secret volume: every file is a symlink into ..data, inside the same dir.
    const k8s = path.join(work, 'k8s-certs');
    fs.mkdirSync(path.join(k8s, '..2026_11_27'), { recursive: true });
    fs.copyFileSync(path.join(outside, 'ca.crt'), path.join(k8s, '..2026_11_27', 'ca.crt'));
    fs.symlinkSync('..2026_11_27', path.join(k8s, '..data'));
    fs.symlinkSync('..data/ca.crt', path.join(k8s, 'ca.crt'));

    const outsideText = new RegExp(`links to ${outside.replaceAll('/', '\\/')}\\/ca\\.(crt|key), outside the allowed directories; it was not read`);
    const listed = JSON.stringify((await request('tools/call', { name: 'list_certs', arguments: { certs_dir: 'linked-certs' } })).result);
    assert.match(listed, outsideText, listed.slice(0, 600));
    assert.ok(listed.includes('ca.key, outside the allowed directories'), 'the key symlinked out of the roots was not read');
    const k8sListed = JSON.stringify((await request('tools/call', { name: 'list_certs', arguments: { certs_dir: 'k8s-certs' } })).result);
    assert.match(k8sListed, /CN=Cockroach CA/, k8sListed.slice(0, 600));
    assert.doesNotMatch(k8sListed, /outside the allowed directories/);

    const checked = JSON.stringify((await request('tools/call', { name: 'check_expiry', arguments: { certs_dirs: ['linked-certs', 'k8s-certs'] } })).result);
    assert.match(checked, outsideText, checked.slice(0, 600));
    assert.match(checked, /"result":"error"/);
    assert.match(checked, /k8s-certs\/ca\.crt[^}]*"status":"ok"/, 'the certificate behind the Kubernetes-style symlink is read');
    await assertStillServing('symlinks out of the roots');
  });

  test('every line the server wrote to stdout is a JSON-RPC message, and it is still running', () => {
    assert.equal(child.exitCode, null, `the server exited; stderr: ${stderr.slice(-1000)}`);
    for (const line of stdoutLines) {
      let parsed: Message;
      try {
        parsed = JSON.parse(line) as Message;
      } catch {
        assert.fail(`stdout carries a line that is not JSON: ${line.slice(0, 200)}`);
      }
      assert.equal(parsed.jsonrpc, '2.0', `not JSON-RPC 2.0: ${line.slice(0, 200)}`);
    }
  });
});
