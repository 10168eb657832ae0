// `crdb-tls cert list` is answered by a lane that loads neither commander, zod, the store nor the
// runner (src/cli/list-lane.ts, issue 19). What must hold: the lane's answer is the full CLI's,
// byte for byte (stdout, stderr with its progress lines) and exit code for exit code, on a certs
// dir with every kind of problem a listing reports, in every form the lane takes; the roots hold
// in the lane too (a key symlinked out of CRDB_TLS_ROOTS is not read); and whatever the lane does
// not take — help, an option it does not know, a person's mistake, a bad environment, a shared
// store, a start-up that has staging copies to remove — is the full CLI's to answer.
//
// The full CLI is reached with the same words plus `--` (which the lane declines), and the load
// recorder shows which of the two ran.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import listCertsTool from '../../tools/list_certs.js';
import { runCliOk } from '../support/cli.js';
import { laneAnswered, runRecordingLoads, type RecordedRun } from '../support/load-recorder.js';

let base = '';
let certs = '';
let big = '';
let outsideKey = '';

before(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-list-lane-')));
  fs.mkdirSync(path.join(base, 'safe'), { mode: 0o700 });
  const caKey = path.join(base, 'safe', 'ca.key');
  certs = path.join(base, 'certs');
  runCliOk(['cert', 'create-ca', '--certs-dir', certs, '--ca-key', caKey]);
  runCliOk(['cert', 'create-node', 'localhost', '127.0.0.1', '--certs-dir', certs, '--ca-key', caKey]);
  runCliOk(['cert', 'create-client', 'bob', '--also-generate-pkcs8-key', '--certs-dir', certs, '--ca-key', caKey]);
  runCliOk(['cert', 'create-client', 'alice', '--certs-dir', certs, '--ca-key', caKey]);
  // Every problem a row can show: a key that others may read, a key of another certificate,
  // a file that is no certificate, a CN that is not the file's user, a key symlinked elsewhere.
  fs.chmodSync(path.join(certs, 'client.alice.key'), 0o644);
  fs.copyFileSync(path.join(certs, 'client.bob.crt'), path.join(certs, 'client.mallory.crt'));
  fs.copyFileSync(path.join(certs, 'client.alice.key'), path.join(certs, 'client.mallory.key'));
  fs.chmodSync(path.join(certs, 'client.mallory.key'), 0o600);
  fs.writeFileSync(path.join(certs, 'client.broken.crt'), 'not a certificate\n');
  fs.writeFileSync(path.join(certs, 'client.broken.key'), 'not a key\n', { mode: 0o600 });
  fs.copyFileSync(path.join(certs, 'client.bob.crt'), path.join(certs, 'client.evil.crt'));
  outsideKey = path.join(base, 'safe', 'outside.key');
  fs.copyFileSync(path.join(certs, 'client.bob.key'), outsideKey);
  fs.symlinkSync(outsideKey, path.join(certs, 'client.evil.key'));
  // Enough files for progress lines (a listing reports them from 50 files on).
  big = path.join(base, 'big');
  fs.mkdirSync(big, { mode: 0o700 });
  fs.copyFileSync(path.join(certs, 'ca.crt'), path.join(big, 'ca.crt'));
  for (let n = 0; n < 60; n++) {
    fs.copyFileSync(path.join(certs, 'client.bob.crt'), path.join(big, `client.user${n}.crt`));
    fs.copyFileSync(path.join(certs, 'client.bob.key'), path.join(big, `client.user${n}.key`));
  }
});
after(() => fs.rmSync(base, { recursive: true, force: true }));

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runRecordingLoads(base, ['cert', 'list', ...args], '', env);

/** Runs the lane's argv and the same argv with `--` after it; both must answer alike. */
async function assertSameAnswer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RecordedRun> {
  const [lane, full] = await Promise.all([run(args, env), run([...args, '--'], env)]);
  const what = `cert list ${args.join(' ')} ${JSON.stringify(env)}`;
  assert.ok(laneAnswered(lane), `${what}: the lane must have answered; loaded: ${[...lane.packages].join(', ')}; stderr: ${lane.stderr}`);
  assert.ok(full.packages.has('commander'), `${what}: the full CLI must have run for the comparison (commander loaded)`);
  assert.equal(lane.stdout, full.stdout, `${what}: stdout differs`);
  assert.equal(lane.stderr, full.stderr, `${what}: stderr differs`);
  assert.equal(lane.status, full.status, `${what}: exit code differs`);
  return lane;
}

describe('crdb-tls cert list: the lane', () => {
  test('list_certs only reads files: what lets the lane skip the runner (no gate, no audit, allowed in read-only mode)', () => {
    assert.equal(listCertsTool.effects, 'reads-files');
    assert.equal(listCertsTool.annotations?.readOnlyHint, true);
  });

  // [argv after `cert list`, environment, the exit code both give]
  const forms: Array<[string[], NodeJS.ProcessEnv, number]> = [
    [['--certs-dir', 'certs'], {}, 0],
    [[`--certs-dir=${path.join('.', 'certs')}`, '--json'], {}, 0],
    [['--json'], { COCKROACH_CERTS_DIR: 'certs' }, 0],
    [['--json', '--fail-within', '100000d', '--certs-dir', 'certs'], {}, 1],
    [['--fail-within=1h', '--certs-dir', 'certs'], {}, 0],
    [['--certs-dir', 'certs', '--json'], { CRDB_TLS_READ_ONLY: '1' }, 0],
    [['--certs-dir', 'big'], {}, 0],
    [['--json', '--certs-dir', 'big', '--fail-within', '100000d'], {}, 1],
  ];
  for (const [args, env, status] of forms) {
    test(`${args.join(' ')} ${JSON.stringify(env)}: the full CLI's answer, without commander or zod`, async () => {
      const lane = await assertSameAnswer(args, env);
      assert.equal(lane.status, status, lane.stderr);
      assert.ok(lane.stdout.includes('client.mallory.crt') || args.includes('big'), 'the listing was printed');
      if (args.includes('big')) assert.match(lane.stderr, /^crdb-tls: read 61 of 61 certificate files$/m);
    });
  }

  test('every problem of the dir is reported by the lane as by the full CLI', async () => {
    const lane = await assertSameAnswer(['--certs-dir', certs, '--json']);
    const rules = new Set((JSON.parse(lane.stdout) as { rows: Array<{ findings: Array<{ rule: string }> }> }).rows.flatMap((r) => r.findings.map((f) => f.rule)));
    for (const rule of ['key_permissions', 'key_mismatch', 'client_cn_file_mismatch']) assert.ok(rules.has(rule), `no ${rule} finding: ${[...rules].join(', ')}`);
  });

  test('a key symlinked out of CRDB_TLS_ROOTS is not read by the lane either', async () => {
    const lane = await assertSameAnswer(['--certs-dir', certs, '--json'], { CRDB_TLS_ROOTS: certs });
    const evil = (JSON.parse(lane.stdout) as { rows: Array<{ certificate_file: string; findings: Array<{ rule: string; message: string }> }> }).rows.find((r) => r.certificate_file === 'client.evil.crt');
    assert.ok(evil?.findings.some((f) => f.rule === 'key_unreadable' && f.message.includes('outside the allowed directories')), JSON.stringify(evil));
    assert.ok(!lane.stdout.includes('PRIVATE KEY'));
  });

  // [what, argv after `cert list`, environment, the full CLI's exit code]
  const declined: Array<[string, string[], NodeJS.ProcessEnv, number]> = [
    ['--help', ['--help'], {}, 0],
    ['an unknown option', ['--verbose', '--certs-dir', 'certs'], {}, 2],
    ['an option with no value', ['--certs-dir'], {}, 2],
    ['an empty certs dir name', ['--certs-dir='], {}, 2],
    ['a repeated option', ['--certs-dir', 'big', '--certs-dir', 'certs', '--json'], {}, 0],
    ['a certs dir that does not exist', ['--certs-dir', 'nowhere'], {}, 1],
    ['a certs dir outside CRDB_TLS_ROOTS', ['--certs-dir', 'certs'], { CRDB_TLS_ROOTS: path.join(os.tmpdir(), 'crdb-tls-list-lane-elsewhere') }, 1],
    ['a duration that is not one', ['--certs-dir', 'certs', '--fail-within', 'soon'], {}, 2],
    ['a bad confirmation threshold in the environment', ['--certs-dir', 'certs'], { CRDB_TLS_CONFIRM_THRESHOLD: 'whenever' }, 2],
    ['a shared store (that this one cannot reach)', ['--certs-dir', 'certs'], { CRDB_TLS_DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' }, 1],
  ];
  for (const [what, args, env, status] of declined) {
    test(`${what}: the full CLI answers, as it does without the lane`, async () => {
      const result = await run(args, env);
      assert.ok(result.packages.has('commander'), `the full CLI must have answered ${what}; loaded: ${[...result.packages].join(', ')}`);
      assert.equal(result.status, status, `${what}: ${result.stderr}`);
      if (status !== 0) assert.equal(result.stdout, '', 'nothing is printed on stdout for a refused input');
    });
  }

  test('a staging copy a killed write left in the default certs dir: the full CLI removes it at start-up, then lists', async () => {
    const dir = path.join(base, 'staged');
    fs.cpSync(big, dir, { recursive: true });
    // The token of a write on this host by a process that no longer exists (pid above any pid_max).
    const token = `${crypto.createHash('sha256').update(os.hostname()).digest('hex').slice(0, 6)}-4194303-0badc0de`;
    const leftover = path.join(dir, `.client.user1.key.${token}.tmp`);
    fs.writeFileSync(leftover, '-----BEGIN RSA PRIVATE KEY-----\nstaged\n-----END RSA PRIVATE KEY-----\n', { mode: 0o600 });
    const result = await run(['--json'], { COCKROACH_CERTS_DIR: dir });
    assert.ok(result.packages.has('commander'), 'the full CLI must have answered');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(fs.existsSync(leftover), false, 'the start-up did not remove the staging copy');
    assert.deepEqual((JSON.parse(result.stdout) as { dir_findings: unknown[] }).dir_findings, []);
    const again = await run(['--json'], { COCKROACH_CERTS_DIR: dir });
    assert.ok(laneAnswered(again), 'with nothing left to clean, the lane answers');
    assert.equal(again.stdout, result.stdout);
  });
});
