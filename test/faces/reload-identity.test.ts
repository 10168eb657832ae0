// reload_node_certs signals only a database server of ours (issue 13). A prompt-injected assistant
// over real MCP stdio names the pid of a `sleep`, of a Node process that records every SIGHUP it
// gets, of that recorder started under the name `postgres` (a symlink: argv[0] lies, /proc/PID/exe
// does not), and of a copy of `sleep` called `postgres` outside any data dir: each is refused, and
// the recorders prove no signal arrived. With CRDB_TLS_RELOAD_PROCESSES=node the same recorder does
// get the signal (the check can fail), and a confirmation given for one process does not signal
// another one that took its place behind the pid file.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTimeOf } from '../../src/rotation/node-process.js';
import { probeWait, MAX_RELOAD_PROBES } from '../../src/rotation/reload.js';
import { mcpEnv, startMcpSession, type McpSession } from '../support/mcp-session.js';

const RECORDER = `
const fs = require('node:fs');
const log = process.argv[2];
process.on('SIGHUP', () => fs.appendFileSync(log, 'SIGHUP\\n'));
fs.writeFileSync(log, '');
process.stdout.write('ready\\n');
setInterval(() => {}, 60_000);
`;

let base: string;
let closedPort: number;
const children: ChildProcess[] = [];

interface Recorder { child: ChildProcess; log: string; signals: () => number }

async function started(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`recorder exited early (${code})`)));
  });
}

/** A Node process that appends a line to its log for every SIGHUP; `command` may be a symlink to node. */
async function startRecorder(name: string, command = process.execPath): Promise<Recorder> {
  const script = path.join(base, 'recorder.cjs');
  const log = path.join(base, `${name}.signals`);
  const child = spawn(command, [script, log], { stdio: ['ignore', 'pipe', 'ignore'], cwd: base });
  children.push(child);
  await started(child);
  return { child, log, signals: () => fs.readFileSync(log, 'utf8').split('\n').filter((l) => l === 'SIGHUP').length };
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

before(async () => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-reload-id-')));
  fs.writeFileSync(path.join(base, 'recorder.cjs'), RECORDER);
  // A port nothing listens on: the reload's probes fail fast, the signal is what is looked at.
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  closedPort = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
});

after(() => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(base, { recursive: true, force: true });
});

describe('reload_node_certs over MCP: a prompt-injected assistant names a process that is not the node', () => {
  let mcp: McpSession;
  before(async () => {
    // The gate is out of the way (threshold never): the process check alone must hold.
    mcp = await startMcpSession(mcpEnv({ CRDB_TLS_STATE_DIR: path.join(base, 'state'), CRDB_TLS_CONFIRM_THRESHOLD: 'never' }), base);
  });
  after(async () => mcp.close());

  const reload = (args: Record<string, unknown>) => mcp.call('reload_node_certs', { host: '127.0.0.1', port: closedPort, timeout_ms: 500, interval_ms: 50, ...args });

  test('a `sleep` is refused, naming what it runs, and stays alive (SIGHUP would end it)', async () => {
    const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    children.push(sleeper);
    const answer = await reload({ pid: sleeper.pid });
    assert.ok(answer.isError, answer.text);
    assert.match(answer.text, /refused/);
    assert.match(answer.text, /runs sleep, which is not one of cockroach, postgres, postmaster; nothing was signalled/);
    assert.match(answer.text, /CRDB_TLS_RELOAD_PROCESSES/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(alive(sleeper), 'the sleep got a signal');
  });

  test('a signal-recording Node process is refused and records no signal', async () => {
    const recorder = await startRecorder('plain');
    const answer = await reload({ pid: recorder.child.pid });
    assert.ok(answer.isError, answer.text);
    assert.match(answer.text, /runs node, which is not one of/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(recorder.signals(), 0);
    assert.ok(alive(recorder.child));
  });

  test('the recorder started through a symlink called `postgres`: /proc/PID/exe says node, refused, no signal', async () => {
    const bin = path.join(base, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(process.execPath, path.join(bin, 'postgres'));
    const recorder = await startRecorder('disguised', path.join(bin, 'postgres'));
    const pidfile = path.join(base, 'postmaster.pid');
    fs.writeFileSync(pidfile, `${recorder.child.pid}\n${base}\n`);
    const answer = await reload({ pidfile });
    assert.ok(answer.isError, answer.text);
    assert.match(answer.text, /runs node \(postgres\), which is not one of/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(recorder.signals(), 0);
  });

  test('a copy of `sleep` named `postgres` outside a data dir is no postmaster: refused', async () => {
    const bin = path.join(base, 'copy');
    fs.mkdirSync(bin, { recursive: true });
    const sleepPath = fs.realpathSync(spawnPath('sleep'));
    fs.copyFileSync(sleepPath, path.join(bin, 'postgres'));
    fs.chmodSync(path.join(bin, 'postgres'), 0o755);
    const fake = spawn(path.join(bin, 'postgres'), ['600'], { stdio: 'ignore', cwd: base });
    children.push(fake);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answer = await reload({ pid: fake.pid });
    assert.ok(answer.isError, answer.text);
    assert.match(answer.text, /runs postgres, but it does not run in a PostgreSQL data dir/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(alive(fake), 'the fake postgres got a signal');
  });
});

describe('reload_node_certs with CRDB_TLS_RELOAD_PROCESSES=node (so that the recorder counts as a node)', () => {
  let mcp: McpSession;
  before(async () => {
    mcp = await startMcpSession(mcpEnv({ CRDB_TLS_STATE_DIR: path.join(base, 'state-allowed'), CRDB_TLS_RELOAD_PROCESSES: 'node', CRDB_TLS_MCP_CONFIRM: 'assistant' }), base);
  });
  after(async () => mcp.close());

  const reload = (args: Record<string, unknown>) => mcp.call('reload_node_certs', { host: '127.0.0.1', port: closedPort, timeout_ms: 500, interval_ms: 50, ...args });

  test('control: an allowed process does receive the SIGHUP once confirmed', async () => {
    const recorder = await startRecorder('allowed');
    const first = await reload({ pid: recorder.child.pid });
    const id = (first.structured?.confirmation as { id: string }).id;
    const answer = await reload({ pid: recorder.child.pid, confirmation_id: id });
    assert.equal(answer.structured?.status, 'done', answer.text);
    for (let i = 0; i < 50 && recorder.signals() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(recorder.signals(), 1);
  });

  test('a confirmation given for the process behind a pid file does not signal another process put behind it', async () => {
    const first = await startRecorder('first');
    const second = await startRecorder('second');
    const pidfile = path.join(base, 'node.pid');
    fs.writeFileSync(pidfile, `${first.child.pid}\n`);
    const asked = await reload({ pidfile });
    assert.equal(asked.structured?.status, 'confirmation_required', asked.text);
    const id = (asked.structured?.confirmation as { id: string }).id;
    // The node "restarted": another process now sits behind the same pid file.
    fs.writeFileSync(pidfile, `${second.child.pid}\n`);
    const answer = await reload({ pidfile, confirmation_id: id });
    assert.equal(answer.structured?.status, 'refused', answer.text);
    assert.match(answer.text, /the world changed since the confirmation was given/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(first.signals(), 0);
    assert.equal(second.signals(), 0);
  });
});

describe('process identity and probe pacing, unit', () => {
  test('the start time is field 22 of /proc/PID/stat even when comm holds spaces and parentheses', () => {
    const fields = Array.from({ length: 30 }, (_, i) => String(i + 3));
    assert.equal(startTimeOf(`4242 (a) (b c) ${fields.join(' ')}`), '22');
    assert.equal(startTimeOf(fs.readFileSync('/proc/self/stat', 'utf8')) !== undefined, true);
  });

  test('probes back off: the first looks at interval_ms, then doubling, at least a second apart, at most 5 s, bounded in number', () => {
    assert.deepEqual([1, 2, 3].map((n) => probeWait(250, n)), [250, 250, 250]);
    assert.deepEqual([4, 5, 6, 7, 8, 20].map((n) => probeWait(250, n)), [1_000, 1_000, 2_000, 4_000, 5_000, 5_000]);
    assert.ok(MAX_RELOAD_PROBES <= 40);
    // The whole default 30 s timeout: a handful of handshakes, not 120.
    let waited = 0;
    let probes = 0;
    while (waited < 30_000 && probes < MAX_RELOAD_PROBES) waited += probeWait(250, ++probes);
    assert.ok(probes <= 12, `${probes} probes in 30 s`);
  });
});

function spawnPath(program: string): string {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const candidate = path.join(dir, program);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`${program} is not on PATH`);
}
