// `crdb-tls rotate ...` as cron, a systemd timer or a person runs it: the real bundle in a child
// process. `rotate check` exits 0 when nothing is due, 1 when something expires within the window,
// 2 on any error (an unreadable certificate, a missing certs dir, bad usage), and writes a
// node_exporter textfile read back here with a strict exposition-format parser.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, runCliOk } from '../support/cli.js';
import { parseExposition } from '../support/prometheus-exposition.js';
import { makeCa, writeBundle, writeLeaf } from '../support/rotation-pki.js';

let tmp = '';
const at = (...p: string[]) => path.join(tmp, ...p);
const rotate = (...args: string[]) => runCli(['rotate', ...args], { cwd: tmp });

before(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-rotate-cli-')));
  const ca = makeCa(3650);
  writeBundle(at('fresh/ca.crt'), ca);
  writeLeaf(ca, at('fresh'), 'node', 'node', 365);
  writeLeaf(ca, at('fresh'), 'client', 'root', 365);
  writeBundle(at('due/ca.crt'), ca);
  writeLeaf(ca, at('due'), 'node', 'node', 365);
  writeLeaf(ca, at('due'), 'client', 'alice', 12);
  writeBundle(at('broken/ca.crt'), ca);
  writeLeaf(ca, at('broken'), 'node', 'node', 365);
  fs.writeFileSync(at('broken/client.bob.crt'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  fs.mkdirSync(at('textfiles'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('crdb-tls rotate check exit codes', () => {
  test('nothing due within the window: exit 0, the table on stdout', () => {
    const result = rotate('check', '--certs-dir', 'fresh', '--within', '30d');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Nothing expires within 30 days\./);
    assert.match(result.stdout, /node\.crt/);
    assert.equal(result.stderr, '');
  });

  test('a certificate due within the window: exit 1, naming it', () => {
    const result = rotate('check', '--certs-dir', 'fresh', '--certs-dir', 'due', '--within', '30d');
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /1 certificate\(s\) expire within 30 days; the soonest: client\.alice\.crt .* \(1[12] days\)/);
    const wider = rotate('check', '--certs-dir', 'fresh', '--within', '400d', '--json');
    assert.equal(wider.status, 1, 'a wider window makes the year-long certificates due');
    assert.equal((JSON.parse(wider.stdout) as { result: string }).result, 'due');
  });

  test('an unreadable certificate is an error, never skipped: exit 2 even with nothing due', () => {
    const result = rotate('check', '--certs-dir', 'broken', '--within', '30d', '--json');
    assert.equal(result.status, 2, result.stderr);
    const report = JSON.parse(result.stdout) as { result: string; errors: Array<{ location: string; message: string }> };
    assert.equal(report.result, 'error');
    assert.equal(report.errors.length, 1);
    assert.equal(report.errors[0]!.location, at('broken/client.bob.crt'));
  });

  test('a certs dir that does not exist: exit 2; bad usage: exit 2 with one line on stderr', () => {
    assert.equal(rotate('check', '--certs-dir', 'nowhere').status, 2);
    for (const args of [['check', '--certs-dir', 'fresh', '--within', 'soon'], ['check', '--certs-dir', 'fresh', '--bogus'], ['check'], ['check', '--host', 'a:b:c:99999']]) {
      const result = rotate(...args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line: ${result.stderr}`);
      assert.match(lines[0]!, /^crdb-tls: /);
      assert.doesNotMatch(lines[0]!, /probing/, 'refused before anything is probed');
    }
  });

  test('--help states the exit codes', () => {
    const help = runCliOk(['rotate', 'check', '--help'], { cwd: tmp }).stdout;
    assert.match(help, /0 nothing expires within the window; 1 something does;\s+2 error/);
  });
});

describe('crdb-tls rotate check --prometheus-textfile', () => {
  test('writes one gauge per certificate with seconds left, atomically, whatever the exit code', () => {
    const file = at('textfiles/crdb_tls.prom');
    const result = rotate('check', '--certs-dir', 'due', '--certs-dir', 'broken', '--within', '30d', '--prometheus-textfile', file);
    assert.equal(result.status, 2);
    const families = parseExposition(fs.readFileSync(file, 'utf8'));
    const expiry = families.get('crdb_tls_certificate_expiry_seconds')!;
    assert.equal(expiry.type, 'gauge');
    const paths = expiry.samples.map((s) => s.labels.path).sort();
    assert.deepEqual(paths, [at('broken/ca.crt'), at('broken/node.crt'), at('due/ca.crt'), at('due/client.alice.crt'), at('due/node.crt')].sort());
    const alice = expiry.samples.find((s) => s.labels.path === at('due/client.alice.crt'))!;
    assert.ok(alice.value > 11 * 86_400 && alice.value <= 12 * 86_400, `about 12 days in seconds: ${alice.value}`);
    assert.equal(alice.labels.subject, 'O=Cockroach, CN=alice');
    assert.equal(families.get('crdb_tls_certificate_check_errors')!.samples[0]!.value, 1);
    assert.equal(families.get('crdb_tls_certificate_check_due')!.samples[0]!.value, 1);
    assert.deepEqual(fs.readdirSync(at('textfiles')), ['crdb_tls.prom'], 'no temp file left beside it');
  });

  test('a check that fails outright still replaces the file, with an error gauge instead of stale values', () => {
    const file = at('textfiles/failing.prom');
    fs.writeFileSync(file, 'crdb_tls_certificate_expiry_seconds{source="certs_dir",path="old",subject="x",serial="1"} 99\n');
    const result = rotate('check', '--within', '30d', '--prometheus-textfile', file);
    assert.equal(result.status, 2);
    const families = parseExposition(fs.readFileSync(file, 'utf8'));
    assert.equal(families.has('crdb_tls_certificate_expiry_seconds'), false);
    assert.equal(families.get('crdb_tls_certificate_check_errors')!.samples[0]!.value, 1);
  });
});

describe('crdb-tls rotate apply, rollback and reload on bad input', () => {
  test('an unknown plan: exit 1 naming it; a step that is not a number: exit 2', () => {
    const unknown = rotate('apply', 'rp_doesnotexist', '--step', '1', '--yes');
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no rotation plan rp_doesnotexist/);
    assert.equal(rotate('apply', 'rp_x', '--step', 'one').status, 2);
    assert.equal(rotate('rollback', 'rp_doesnotexist', '--yes').status, 1);
  });

  test('reload needs exactly one of --pid and --pidfile, and refuses a process that is not running', () => {
    assert.equal(rotate('reload', '--host', '127.0.0.1:26257').status, 2);
    assert.equal(rotate('reload', '--pid', '123', '--pidfile', 'x.pid', '--host', '127.0.0.1').status, 2);
    assert.equal(rotate('reload', '--pid', '0', '--host', '127.0.0.1').status, 2, 'pid 0 would signal a process group');
    fs.writeFileSync(at('gone.pid'), '2147480000\n');
    const gone = rotate('reload', '--pidfile', 'gone.pid', '--host', '127.0.0.1:1', '--yes');
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /no process 2147480000 .* is running; nothing was signalled/);
  });
});
