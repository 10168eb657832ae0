// Rolling a rotation step back writes into the roots as any write does (issue 14): a backup copy
// swapped for a symlink to a file elsewhere (even one with the right bytes), or a backup dir
// swapped for a link out of the backups, is refused; a target directory swapped for a symlink
// to outside the roots is refused when the files are put back or removed, with nothing written
// or removed outside; and the step's changes say what happens to a key's mode (a 0644 key is
// narrowed to 0600, not "kept").
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/log.js';
import { AllowedPaths } from '../../src/core/paths.js';
import { Runner } from '../../src/core/runner.js';
import type { ToolContext } from '../../src/core/tool.js';
import { backupFiles, restoreFiles } from '../../src/rotation/backup.js';
import { takeInventory } from '../../src/rotation/inventory.js';
import { planRotation } from '../../src/rotation/plan.js';
import { savePlan } from '../../src/rotation/saved.js';
import type { RotationPlan } from '../../src/rotation/steps.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { findTool } from '../../tools/catalog.js';
import { makeCa, writeBundle, writeCaKey, writeLeaf } from '../support/rotation-pki.js';
import { toolErrorRejectedBy } from '../support/tool-errors.js';

type Output = Record<string, unknown> & { status?: string; assessment?: { changes: string[] }; result?: { files: Array<{ path: string; backup: string | null }> } };

let tmp = '';
let inside = '';
let outside = '';
let store: EmbeddedStore;
let runner: Runner;
const backupRoot = () => path.join(tmp, 'state', 'backups');
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const insideRoots = (real: string) => real === inside || real.startsWith(inside + path.sep);

function context(): ToolContext {
  return { config: loadConfig('mcp', { CRDB_TLS_STATE_DIR: path.join(tmp, 'state') }), paths: new AllowedPaths([inside]), log: createLogger('silent'), store, requester: 'tester', askPerson: async () => 'accept' as const };
}

async function call(name: string, input: Record<string, unknown>): Promise<{ ok: true; output: Output } | { ok: false; code: string; message: string }> {
  const outcome = await runner.run(findTool(name)!, input, context());
  return outcome.ok ? { ok: true, output: outcome.output as Output } : { ok: false, code: outcome.error.code, message: outcome.error.message };
}

before(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-restore-')));
  inside = path.join(tmp, 'inside');
  outside = path.join(tmp, 'outside');
  fs.mkdirSync(outside, { recursive: true, mode: 0o700 });
  store = new EmbeddedStore(path.join(tmp, 'state'));
  runner = new Runner({ threshold: 'medium', readOnly: false, confirmationTtlMs: 600_000, mcpConfirm: 'assistant' }, store, undefined, { face: 'mcp' });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('a reissued node certificate rolled back', () => {
  const certs = () => path.join(inside, 'certs');
  const key = () => path.join(certs(), 'node.key');
  let plan: RotationPlan;
  let oldKey = '';
  let newKey = '';
  let keyBackup = '';

  before(async () => {
    const ca = makeCa(3650);
    writeBundle(path.join(certs(), 'ca.crt'), ca);
    writeCaKey(ca, path.join(inside, 'safe', 'ca.key'));
    writeLeaf(ca, certs(), 'node', 'node', 10);
    fs.chmodSync(key(), 0o644);
    oldKey = sha(key());
    const now = new Date();
    const inventory = await takeInventory({ certsDirs: [certs()], files: [], hosts: [], probeTimeoutMs: 1000, sqlUrls: [], thresholds: { warn_days: 90, fail_days: 30 }, now });
    plan = await planRotation({ id: 'rp_restore', createdBy: 'tester', now, scope: 'node', withinDays: 90, thresholds: { warn_days: 90, fail_days: 30 }, certsDirs: [certs()], nodeFiles: [], trustFiles: [], hosts: [], probeCa: null, pidfile: null, sqlRedacted: [], cloudCluster: null, caKey: path.join(inside, 'safe', 'ca.key'), clientCaKey: null, newCaKey: null, newClientCaKey: null, leafLifetimeHours: 43_920, caLifetimeHours: 87_840, inventory });
    await savePlan(store, plan);
  });

  test('applying says the 0644 key is narrowed to 0600 and the certificate\'s mode kept, and does so', async () => {
    const applied = await call('apply_rotation_step', { plan_id: plan.id, step: 1 });
    assert.ok(applied.ok, !applied.ok ? applied.message : '');
    const changes = applied.output.assessment!.changes.join('\n');
    assert.match(changes, /replace \S*node\.key \(owner and group kept, mode narrowed from 0644 to 0600/);
    assert.match(changes, /replace \S*node\.crt \(owner, group and mode 0644 kept/);
    assert.doesNotMatch(changes, /node\.key \(owner, group and mode/);
    assert.equal(fs.statSync(key()).mode & 0o777, 0o600);
    newKey = sha(key());
    keyBackup = applied.output.result!.files.find((f) => f.path === key())!.backup!;
    assert.ok(keyBackup && fs.existsSync(keyBackup));
  });

  test('a backup copy swapped for a symlink to a file outside, holding the very same bytes, is refused and nothing changes', async () => {
    const elsewhere = path.join(outside, 'node.key.copy');
    fs.copyFileSync(keyBackup, elsewhere);
    fs.renameSync(keyBackup, keyBackup + '.real');
    fs.symlinkSync(elsewhere, keyBackup);
    try {
      const rolled = await call('rollback_rotation_step', { plan_id: plan.id, step: 1 });
      assert.equal(rolled.ok, false, 'the rollback read the symlinked backup');
      assert.match(!rolled.ok ? rolled.message : '', /outside the backups directory|symbolic link/);
      assert.equal(sha(key()), newKey, 'the key changed');
    } finally {
      fs.rmSync(keyBackup);
      fs.renameSync(keyBackup + '.real', keyBackup);
    }
  });

  test('the backup\'s step directory swapped for a link out of the backups is refused', async () => {
    const stepDir = path.dirname(keyBackup);
    const moved = path.join(outside, 'stolen-step-dir');
    fs.cpSync(stepDir, moved, { recursive: true });
    fs.renameSync(stepDir, stepDir + '.real');
    fs.symlinkSync(moved, stepDir);
    try {
      const rolled = await call('rollback_rotation_step', { plan_id: plan.id, step: 1 });
      assert.equal(rolled.ok, false);
      assert.match(!rolled.ok ? rolled.message : '', /outside the backups directory/);
      assert.equal(sha(key()), newKey);
    } finally {
      fs.rmSync(stepDir);
      fs.renameSync(stepDir + '.real', stepDir);
    }
  });

  test('the certs dir swapped for a symlink to outside the roots is refused, and the files outside are untouched', async () => {
    const moved = path.join(outside, 'certs');
    fs.renameSync(certs(), moved);
    fs.symlinkSync(moved, certs());
    try {
      const rolled = await call('rollback_rotation_step', { plan_id: plan.id, step: 1 });
      assert.equal(rolled.ok, false);
      assert.equal(!rolled.ok && rolled.code, 'outside_roots');
      assert.equal(sha(path.join(moved, 'node.key')), newKey, 'the key outside the roots was written');
    } finally {
      fs.rmSync(certs());
      fs.renameSync(moved, certs());
    }
  });

  test('with everything back in place the rollback restores the old key, no wider than 0600', async () => {
    const rolled = await call('rollback_rotation_step', { plan_id: plan.id, step: 1 });
    assert.ok(rolled.ok, !rolled.ok ? rolled.message : '');
    assert.equal(sha(key()), oldKey);
    assert.equal(fs.statSync(key()).mode & 0o077, 0);
  });
});

describe('restoreFiles when a target directory is swapped after the call checked its paths', () => {
  test('a replaced file is not put back through the symlink: outside_roots, the file outside keeps its bytes', async () => {
    const dir = path.join(inside, 'swap-restore');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'client.bob.key'), 'OLD KEY', { mode: 0o600 });
    const records = await backupFiles({ root: backupRoot(), planId: 'rp_swap', step: 1, label: 'apply', now: new Date() }, [path.join(dir, 'client.bob.key')]);
    fs.writeFileSync(path.join(dir, 'client.bob.key'), 'NEW KEY');
    const moved = path.join(outside, 'swap-restore');
    fs.renameSync(dir, moved);
    fs.symlinkSync(moved, dir);
    assert.equal((await toolErrorRejectedBy(restoreFiles(records, new Set(), new Date(), { insideRoots, backupRoot: backupRoot() }), 'the restore wrote through the symlink')).code, 'outside_roots');
    assert.equal(fs.readFileSync(path.join(moved, 'client.bob.key'), 'utf8'), 'NEW KEY');
    assert.deepEqual(fs.readdirSync(moved), ['client.bob.key']);
  });

  test('a file the step created is not removed through the symlink', async () => {
    const dir = path.join(inside, 'swap-remove');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const records = await backupFiles({ root: backupRoot(), planId: 'rp_swap', step: 2, label: 'apply', now: new Date() }, [path.join(dir, 'ca.new.key')]);
    assert.equal(records[0]!.backup, null, 'the file did not exist before the step');
    const moved = path.join(outside, 'swap-remove');
    fs.renameSync(dir, moved);
    fs.symlinkSync(moved, dir);
    fs.writeFileSync(path.join(moved, 'ca.new.key'), 'SOMEONE ELSE\'S FILE');
    assert.equal((await toolErrorRejectedBy(restoreFiles(records, new Set(), new Date(), { insideRoots, backupRoot: backupRoot() }), 'the rollback removed a file through the symlink')).code, 'outside_roots');
    assert.equal(fs.readFileSync(path.join(moved, 'ca.new.key'), 'utf8'), 'SOMEONE ELSE\'S FILE');
  });
});
