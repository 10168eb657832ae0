// src/core/log.ts loads pino on the first line at an enabled level, not at start (issue 19: start-up).
// What must not change with that: every line at an enabled level reaches stderr, in the order it
// was logged, with the time it was logged (not the time pino finished loading), child bindings
// kept, private keys and passwords redacted; lines below the level are not written and never load
// pino; an unknown level still fails at once. Each case runs in its own process, so that stderr
// is the real file descriptor 2 that pino writes to, and a process's pino starts unloaded.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const LOG_MODULE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/core/log.ts');

/** Runs `body` (with `createLogger` and `logsWritten` in scope) in a fresh node; its stderr lines and stdout. */
function run(body: string, env: Record<string, string> = {}): { lines: Array<Record<string, unknown>>; stdout: string; status: number | null; stderr: string } {
  const script = `import { createLogger, logsWritten } from ${JSON.stringify(LOG_MODULE)};\n${body}`;
  const base = { ...process.env };
  delete base.CRDB_TLS_LOG_LEVEL;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...base, ...env }, encoding: 'utf8' });
  const lines = result.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { lines, stdout: result.stdout, status: result.status, stderr: result.stderr };
}

test('lines logged while pino loads are all written, in order, with the time they were logged', () => {
  const { lines, status, stderr } = run(`
    const log = createLogger('info');
    const before = Date.now();
    log.info({ n: 1 }, 'first');
    log.warn('second');
    log.child({ component: 'bolt' }).error({ n: 3 }, 'third');
    log.debug('below the level');
    // Busy for a while before pino can load: a replayed line must keep its own time.
    const until = Date.now() + 300;
    while (Date.now() < until);
    await logsWritten();
    log.info('after load');
    process.stdout.write(String(before));
  `);
  assert.equal(status, 0, stderr);
  assert.deepEqual(lines.map((l) => l.msg), ['first', 'second', 'third', 'after load']);
  assert.deepEqual(lines.map((l) => l.level), [30, 40, 50, 30]);
  assert.equal(lines[0]!.n, 1);
  assert.equal(lines[2]!.component, 'bolt', 'a child logger keeps its bindings');
  assert.equal(lines[2]!.app, 'crdb-tls');
  const firstTime = lines[0]!.time as number;
  const lastTime = lines[3]!.time as number;
  assert.ok(lastTime - firstTime >= 250, `the first line carries the time it was logged (${firstTime}), not the time pino loaded (last line ${lastTime})`);
});

test('a private key or password in a logged object is redacted, also when replayed', () => {
  const { lines, status, stderr } = run(`
    const log = createLogger('warn');
    log.warn({ input: { client: { key: '-----BEGIN PRIVATE KEY-----secret' } }, cert: { private_key: 'secret2', password: 'hunter2' } }, 'with secrets');
    await logsWritten();
  `);
  assert.equal(status, 0, stderr);
  assert.equal(lines.length, 1);
  assert.doesNotMatch(stderr, /BEGIN PRIVATE KEY|secret2|hunter2/);
  assert.match(stderr, /\[redacted\]/);
});

const PINO_LOADED = `
  const { createRequire } = await import('node:module');
  process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/pino/'))));
`;

test('nothing at or above the level logged: pino is never loaded and nothing is written', () => {
  const quiet = run(`
    const log = createLogger();
    log.info('quiet');
    log.child({ component: 'x' }).debug('quieter');
    await logsWritten();
    ${PINO_LOADED}
  `);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.deepEqual(quiet.lines, []);
  assert.equal(quiet.stdout, 'false', 'pino was loaded though nothing was logged at warn (the default) or above');
  // The same probe sees pino once a line is logged: the check above can fail.
  const loud = run(`createLogger().warn('loud'); await logsWritten(); ${PINO_LOADED}`);
  assert.equal(loud.stdout, 'true');
  assert.deepEqual(loud.lines.map((l) => l.msg), ['loud']);
});

test('CRDB_TLS_LOG_LEVEL=silent writes nothing, not even errors', () => {
  const { lines, status, stderr } = run(`
    const log = createLogger();
    log.error('an error');
    await logsWritten();
  `, { CRDB_TLS_LOG_LEVEL: 'silent' });
  assert.equal(status, 0, stderr);
  assert.deepEqual(lines, []);
});

test('an unknown level fails at once, as pino does', () => {
  const { stdout, status, stderr } = run(`try { createLogger(); process.stdout.write('no error'); } catch (error) { process.stdout.write(error.message); }`, { CRDB_TLS_LOG_LEVEL: 'loud' });
  assert.equal(status, 0, stderr);
  assert.equal(stdout, 'unknown level loud');
});
