// Ctrl-C and SIGTERM at the shell (the bundled CLI in a child process): the first signal lets the
// running call stop cleanly — nothing half-written, connections closed, the end of a change in the
// audit trail — and then the process ends by that signal, as interrupted Unix programs do (the
// shell shows 128 + its number), without waiting for work the call abandoned.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_BUNDLE, cliEnv, runCliOk } from '../support/cli.js';
import { startSilentListener, type FaultServer } from '../support/tls-faults.js';

interface Interrupted { status: number | null; signal: NodeJS.Signals | null; stderr: string }

/** Starts the CLI, waits until stderr matches `ready`, sends `signal`, and collects how it ended. */
async function interrupt(args: string[], cwd: string, ready: RegExp, signal: NodeJS.Signals): Promise<Interrupted> {
  const child = spawn(process.execPath, [CLI_BUNDLE, ...args], { cwd, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.resume();
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const ended = new Promise<Interrupted>((resolve) => child.once('close', (status, sig) => resolve({ status, signal: sig, stderr })));
  for (let i = 0; i < 600 && !ready.test(stderr) && child.exitCode === null; i++) await sleep(50);
  assert.match(stderr, ready, 'the command got to the point where it is interrupted');
  child.kill(signal);
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const result = await ended;
  clearTimeout(killer);
  return result;
}

let work = '';
const servers: FaultServer[] = [];

before(() => {
  assert.ok(fs.existsSync(CLI_BUNDLE), `${CLI_BUNDLE} is missing: run \`npm run build\` first`);
  work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-cli-interrupt-')));
});

after(async () => {
  await Promise.all(servers.map((server) => server.close()));
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('stopping the CLI with a signal', () => {
  test('Ctrl-C during an 8192-bit CA key generation: ends by SIGINT within seconds, nothing written, the call ends as cancelled in the audit trail', async () => {
    const certs = path.join(work, 'certs');
    fs.mkdirSync(certs, { mode: 0o700 });
    const run = await interrupt(['cert', 'create-ca', '--certs-dir', certs, '--ca-key', path.join(work, 'ca.key'), '--key-size', '8192'], work, /generating a 8192-bit RSA key/, 'SIGINT');
    assert.equal(run.signal, 'SIGINT', run.stderr);
    assert.match(run.stderr, /interrupted; stopping/);
    assert.match(run.stderr, /cancelled while generating a 8192-bit RSA key; nothing was written/);
    // "while generating": the key generation was stopped, not finished (no wall-time threshold; the
    // interrupt helper's 30 s SIGKILL is the hang guard).
    assert.deepEqual(fs.readdirSync(certs), [], 'no file, not even a staged one, in the certs dir');
    assert.ok(!fs.existsSync(path.join(work, 'ca.key')), 'no CA key');

    const audit = JSON.parse(runCliOk(['audit', '--tool', 'create_ca', '--json'], { cwd: work }).stdout) as { events: Array<{ event: string; detail?: { error?: { code: string } } }> };
    const failed = audit.events.find((e) => e.event === 'failed');
    assert.equal(failed?.detail?.error?.code, 'cancelled', JSON.stringify(audit.events.map((e) => e.event)));
  });

  test('SIGTERM during an expiry check of nodes that never answer: ends by SIGTERM, every probe connection is closed, the Prometheus textfile is left alone', async () => {
    const silent = await Promise.all([startSilentListener(), startSilentListener()]);
    servers.push(...silent);
    const hosts = silent.flatMap((s) => ['--host', `127.0.0.1:${s.port}`]);
    const textfile = path.join(work, 'crdb_tls.prom');
    fs.writeFileSync(textfile, '# the last finished check\n');
    const run = await interrupt(['rotate', 'check', ...hosts, '--timeout', '60000', '--prometheus-textfile', textfile], work, /probing 127\.0\.0\.1:\d+ \(2\/2\)/, 'SIGTERM');
    assert.equal(run.signal, 'SIGTERM', run.stderr);
    assert.match(run.stderr, /terminated; stopping/);
    assert.match(run.stderr, /cancelled/);
    assert.doesNotMatch(run.stderr, /internal error|at .*\.m?js:\d+/, 'no internal error and no stack trace');
    for (let i = 0; i < 100 && silent.some((s) => s.open() > 0); i++) await sleep(25);
    assert.deepEqual(silent.map((s) => s.open()), [0, 0]);
    assert.equal(fs.readFileSync(textfile, 'utf8'), '# the last finished check\n', 'an interrupted check leaves the gauges of the last finished one');
  });
});
