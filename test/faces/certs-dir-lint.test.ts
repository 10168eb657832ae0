// `cert list` on a certs dir that others may write into, and on a key that others may read
// (issue 14): the finding names who may write and prints a fix command, and that command, run
// by a shell as printed (from another directory, with a path a shell would split), fixes it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, runCliOk } from '../support/cli.js';

let base = '';
let caKey = '';

before(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-dirlint-')));
  fs.mkdirSync(path.join(base, 'safe'), { mode: 0o700 });
  caKey = path.join(base, 'safe', 'ca.key');
});
after(() => fs.rmSync(base, { recursive: true, force: true }));

let template = '';

/** A certs dir with a CA and bob's pair under `name` (made once, then copied: every CLI run costs a start-up). */
function certsDir(name: string): string {
  const dir = path.join(base, name);
  if (!template) {
    template = path.join(base, 'template');
    runCliOk(['cert', 'create-ca', '--certs-dir', template, '--ca-key', caKey]);
    runCliOk(['cert', 'create-client', 'bob', '--certs-dir', template, '--ca-key', caKey]);
  }
  fs.cpSync(template, dir, { recursive: true });
  fs.chmodSync(dir, 0o700);
  return dir;
}

interface Listing { dir_findings: Array<{ rule: string; message: string }>; rows: Array<{ certificate_file: string; findings: Array<{ rule: string; message: string }> }> }
const listing = (dir: string) => JSON.parse(runCli(['cert', 'list', '--certs-dir', dir, '--json']).stdout) as Listing;

/** The command after "fix: " in a finding, run by sh from the filesystem root (not the certs dir). */
function runFix(message: string): void {
  const command = /; fix: (.+)$/.exec(message)?.[1];
  assert.ok(command, `no fix command in: ${message}`);
  execFileSync('sh', ['-c', command], { cwd: '/', stdio: 'pipe' });
}

describe('a certs dir writable by group or others', () => {
  for (const [label, mode, who] of [['others', 0o707, /writable by others/], ['group', 0o770, /writable by group/], ['group and others', 0o777, /writable by group and others/]] as const) {
    test(`writable by ${label}: cert list warns, in text and JSON, and its fix command runs as printed and clears it`, () => {
      const dir = certsDir(`it's certs ${label}`);
      fs.chmodSync(dir, mode);
      const finding = listing(dir).dir_findings.find((f) => f.rule === 'certs_dir_writable');
      assert.ok(finding, 'no certs_dir_writable finding');
      assert.match(finding.message, who);
      const text = runCli(['cert', 'list', '--certs-dir', dir]);
      assert.match(text.stdout, /warn .*writable by/);

      runFix(finding.message);
      assert.equal(fs.statSync(dir).mode & 0o022, 0, 'the fix left the dir writable by others');
      assert.deepEqual(listing(dir).dir_findings, []);
    });
  }

  test('a 0700 or 0750 dir is not reported', () => {
    const dir = certsDir('plain');
    for (const mode of [0o700, 0o750, 0o755]) {
      fs.chmodSync(dir, mode);
      assert.deepEqual(listing(dir).dir_findings, [], `reported at ${mode.toString(8)}`);
    }
  });
});

describe('a key others may read', () => {
  test('cert list errors, and its chmod runs as printed from another directory', () => {
    const dir = certsDir('key dir; with $pecial `chars`');
    const key = path.join(dir, 'client.bob.key');
    fs.chmodSync(key, 0o644);
    const finding = listing(dir).rows.find((r) => r.certificate_file === 'client.bob.crt')?.findings.find((f) => f.rule === 'key_permissions');
    assert.ok(finding, 'no key_permissions finding');
    runFix(finding.message);
    assert.equal(fs.statSync(key).mode & 0o777, 0o600);
    assert.equal(listing(dir).rows.find((r) => r.certificate_file === 'client.bob.crt')?.findings.some((f) => f.rule === 'key_permissions'), false);
  });
});
