// src/cli/mcp-stdio-start.ts on streams of the test's own, for what a child process cannot be made
// to do on demand: a stdin that fails. Before the SDK is there, and after it was handed the
// connection, a failing stdin ends the stream the SDK reads (as a closed one would), with a line
// on stderr: no unhandled error event, no crash.
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { before, test } from 'node:test';
import packageJson from '../../package.json' with { type: 'json' };
import { answerOpening } from '../../src/cli/mcp-stdio-start.js';
import { captureHandshake } from '../../src/mcp/handshake-capture.js';
import type { PreparedHandshake } from '../../src/mcp/handshake.js';
import { takeConnection } from '../../src/mcp/stdio-connection.js';
import { lazyCatalog } from '../../tools/lazy-catalog.js';

let prepared: PreparedHandshake;
before(async () => {
  prepared = await captureHandshake(lazyCatalog, packageJson.version);
});

const line = (message: unknown) => `${JSON.stringify(message)}\n`;
const INITIALIZE = line({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'unit', version: '1' } } });

function collector(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        text += chunk.toString();
        callback();
      },
    }),
    text: () => text,
  };
}

/** What the SDK would read from the connection handed over: every byte, and whether it ended. */
function drain(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream.on('end', () => resolve(text));
  });
}

async function withStderr<T>(run: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { result: await run(), stderr };
  } finally {
    process.stderr.write = write;
  }
}

test('stdin failing before the hand-over: the opening read so far is handed over and its stream ends', async () => {
  const stdin = new PassThrough();
  const stdout = collector();
  const { stderr } = await withStderr(async () => {
    const opening = answerOpening(prepared, stdin, stdout.stream);
    stdin.write(INITIALIZE);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal((JSON.parse(stdout.text()) as { id: number }).id, 1, 'initialize is answered early');
    stdin.emit('error', new Error('EIO: i/o error, read'));
    await opening;
  });
  assert.match(stderr, /reading stdin failed \(EIO: i\/o error, read\); the connection ends/);
  const connection = takeConnection();
  assert.ok(connection, 'the connection was handed over');
  assert.equal(await drain(connection.stdin), INITIALIZE, 'the SDK reads the opening from its first byte, then the end');
});

test('stdin failing after the hand-over: the stream the SDK reads ends', async () => {
  const stdin = new PassThrough();
  const stdout = collector();
  const opening = answerOpening(prepared, stdin, stdout.stream);
  const list = line({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
  stdin.write(INITIALIZE + line({ jsonrpc: '2.0', method: 'notifications/initialized' }) + list);
  await opening;
  assert.equal(stdout.text().trim().split('\n').length, 2, 'initialize and tools/list answered');
  const connection = takeConnection();
  assert.ok(connection);
  const read = drain(connection.stdin);
  const { stderr } = await withStderr(async () => stdin.emit('error', new Error('EIO')));
  assert.match(stderr, /reading stdin failed \(EIO\)/);
  assert.ok((await read).endsWith(list));
});
