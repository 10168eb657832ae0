// "Flushed to disk before the action is reported done" (DESIGN.md §4): the MCP server is killed
// with SIGKILL the moment its answer arrives, and the audit trail must already hold the action.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, test } from 'node:test';
import { CLI_BUNDLE, cliEnv } from '../support/cli.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-durable-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

interface Reply {
  id: number;
  result?: { structuredContent?: { status?: string }; isError?: boolean };
}

/** Speaks raw JSON-RPC over the child's stdio, so the kill follows the answer with nothing in between. */
function startServer(stateDir: string) {
  const child = spawn(process.execPath, [CLI_BUNDLE, 'mcp'], { cwd: work, env: cliEnv({ CRDB_TLS_ROOTS: work, CRDB_TLS_STATE_DIR: stateDir }), stdio: ['pipe', 'pipe', 'ignore'] });
  const waiting = new Map<number, (reply: Reply) => void>();
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const reply = JSON.parse(line) as Reply;
    const resolve = waiting.get(reply.id);
    waiting.delete(reply.id);
    resolve?.(reply);
  });
  let nextId = 1;
  const request = (method: string, params: unknown) =>
    new Promise<Reply>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  return { child, request, exited };
}

test('killing the server with SIGKILL right after it reports an action done loses no audit event', async () => {
  const stateDir = path.join(work, 'state');
  fs.mkdirSync(path.join(work, 'safe'));
  const users = ['ann', 'ben', 'cat', 'dan', 'eve'];
  for (const [i, user] of users.entries()) {
    const server = startServer(stateDir);
    await server.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'durability-test', version: '1' } });
    server.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    const tool = i === 0 ? 'create_ca' : 'create_client_cert';
    const args = i === 0 ? { certs_dir: 'certs', ca_key: 'safe/ca.key' } : { user, certs_dir: 'certs', ca_key: 'safe/ca.key' };
    const reply = await server.request('tools/call', { name: tool, arguments: args });
    server.child.kill('SIGKILL');
    assert.equal(await server.exited, 'SIGKILL');
    assert.equal(reply.result?.structuredContent?.status, 'done', JSON.stringify(reply));

    const lines = fs.readFileSync(path.join(stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const done = lines.filter((event) => event.event === 'done' && event.tool === tool);
    const mine = i === 0 ? done : done.filter((event) => event.detail.input.user === user);
    assert.equal(mine.length, 1, `the done event of ${tool} ${user} is missing from the audit trail`);
  }
});
