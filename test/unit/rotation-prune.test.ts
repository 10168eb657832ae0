// Backups of replaced files hold old private keys: `rotate prune` removes those older than an age.
// Removing the backups a step still in effect would restore from is high severity and named (that
// step can then no longer be rolled back), and waits for a person; backups younger than the age,
// and the files of other plans, are left alone; nothing outside <state dir>/backups is touched.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/log.js';
import { AllowedPaths } from '../../src/core/paths.js';
import { Runner } from '../../src/core/runner.js';
import type { ToolContext } from '../../src/core/tool.js';
import { takeInventory } from '../../src/rotation/inventory.js';
import { planRotation } from '../../src/rotation/plan.js';
import { savePlan } from '../../src/rotation/saved.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { findTool } from '../../tools/catalog.js';
import { DAY_MS, makeCa, writeBundle, writeCaKey, writeLeaf } from '../support/rotation-pki.js';

type Output = { status?: string; assessment?: { severity: string; impact: string; changes: string[] }; confirmation?: { severity: string; impact: string }; result?: Record<string, unknown> };

let tmp = '';
const at = (...p: string[]) => path.join(tmp, ...p);
let store: EmbeddedStore;
let runner: Runner;
const backups = () => at('state', 'backups');

function context(confirm: boolean): ToolContext {
  return { config: loadConfig('mcp', { CRDB_TLS_STATE_DIR: at('state') }), paths: new AllowedPaths([tmp]), log: createLogger('silent'), store, requester: 'tester', ...(confirm ? { askPerson: async () => 'accept' as const } : {}) };
}
async function call(name: string, input: Record<string, unknown>, confirm = true): Promise<Output> {
  const outcome = await runner.run(findTool(name)!, input, context(confirm));
  if (!outcome.ok) throw Object.assign(new Error(`${name}: ${outcome.error.message}`), { code: outcome.error.code });
  return outcome.output as Output;
}
/** Makes the backups of a plan look `days` old (their manifests record when they were taken). */
function age(planId: string, days: number): void {
  for (const dir of fs.readdirSync(path.join(backups(), planId))) {
    const file = path.join(backups(), planId, dir, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { taken: string };
    manifest.taken = new Date(Date.now() - days * DAY_MS).toISOString();
    fs.writeFileSync(file, JSON.stringify(manifest));
  }
}

async function planAndApply(name: string): Promise<string> {
  const dir = at(name, 'certs');
  const ca = makeCa(3650);
  writeBundle(path.join(dir, 'ca.crt'), ca);
  writeCaKey(ca, at(name, 'safe/ca.key'));
  writeLeaf(ca, dir, 'node', 'node', 10);
  const now = new Date();
  const inventory = await takeInventory({ certsDirs: [dir], files: [], hosts: [], probeTimeoutMs: 1000, sqlUrls: [], thresholds: { warn_days: 90, fail_days: 30 }, now });
  const plan = await planRotation({ id: `rp_${name}`, createdBy: 'tester', now, scope: 'node', withinDays: 90, thresholds: { warn_days: 90, fail_days: 30 }, certsDirs: [dir], nodeFiles: [], trustFiles: [], hosts: [], probeCa: null, pidfile: null, sqlRedacted: [], cloudCluster: null, caKey: at(name, 'safe/ca.key'), clientCaKey: null, newCaKey: null, newClientCaKey: null, leafLifetimeHours: 43_920, caLifetimeHours: 87_840, inventory });
  await savePlan(store, plan);
  assert.equal((await call('apply_rotation_step', { plan_id: plan.id, step: 1 })).status, 'done');
  return plan.id;
}

before(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-prune-')));
  store = new EmbeddedStore(at('state'));
  runner = new Runner({ threshold: 'medium', readOnly: false, confirmationTtlMs: 600_000 }, store);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('pruning rotation backups', () => {
  let inEffect = '';
  let young = '';
  before(async () => {
    inEffect = await planAndApply('old');
    young = await planAndApply('young');
    age(inEffect, 45);
  });

  test('the backups hold the old node key, under <state dir>/backups/<plan id>/', () => {
    const dirs = fs.readdirSync(path.join(backups(), inEffect));
    assert.equal(dirs.length, 1);
    assert.ok(fs.readdirSync(path.join(backups(), inEffect, dirs[0]!)).some((f) => f.endsWith('node.key')));
  });

  test('pruning backups a step in effect needs is high severity, names the step, and is not done without a person', async () => {
    const dry = await call('prune_rotation_backups', { older_than: '30d', dry_run: true });
    assert.equal(dry.status, 'dry_run');
    assert.equal(dry.assessment?.severity, 'high');
    assert.match(dry.assessment!.impact, new RegExp(`step 1 of plan ${inEffect} .* can then no longer be rolled back`));
    assert.equal(dry.assessment!.changes.length, 1, 'only the backup older than 30 days');
    const unconfirmed = await call('prune_rotation_backups', { older_than: '30d' }, false);
    assert.equal(unconfirmed.status, 'confirmation_required');
    assert.ok(fs.existsSync(path.join(backups(), inEffect)), 'nothing removed without a person');
  });

  test('confirmed, it removes the old backups only; the young plan keeps its own, and rolling the pruned step back says its backup is gone', async () => {
    const done = await call('prune_rotation_backups', { older_than: '30d' });
    assert.equal(done.status, 'done');
    assert.equal((done.result!.removed as unknown[]).length, 1);
    assert.equal(done.result!.kept, 1);
    assert.equal(fs.existsSync(path.join(backups(), inEffect)), false);
    assert.equal(fs.readdirSync(path.join(backups(), young)).length, 1);
    assert.ok(fs.existsSync(at('old/certs/node.crt')), 'the certs dir is not touched');
    await assert.rejects(call('rollback_rotation_step', { plan_id: inEffect }), /is gone/);
  });

  test('backups of a rolled-back step are low severity to prune', async () => {
    await call('rollback_rotation_step', { plan_id: young });
    age(young, 40);
    const dry = await call('prune_rotation_backups', { older_than: '30d', plan_id: young, dry_run: true });
    assert.equal(dry.assessment?.severity, 'low');
    assert.equal((await call('prune_rotation_backups', { older_than: '30d', plan_id: young })).status, 'done');
    assert.equal(fs.existsSync(path.join(backups(), young)), false);
  });

  test('a plan id that is not one is refused and nothing is removed', async () => {
    await assert.rejects(call('prune_rotation_backups', { plan_id: '../..', dry_run: true }), /plan id/);
  });
});
