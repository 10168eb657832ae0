// Carrying out plan steps through the Runner, as every face does: the gate sees the severity the
// real files give (adding a CA to a bundle medium, taking one away or replacing a certificate in
// use high), a confirmation is refused when the files changed after it was given, a replaced file
// keeps its owner, group and mode, a new CA key is never written over an existing file and is
// moved aside (not deleted) by a rollback, and a step another caller is carrying out is left alone.
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
import type { RotationPlan } from '../../src/rotation/steps.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { findTool } from '../../tools/catalog.js';
import { makeCa, writeBundle, writeCaKey, writeLeaf } from '../support/rotation-pki.js';

type Output = Record<string, unknown> & { status?: string; assessment?: { severity: string; impact: string }; confirmation?: { id: string; severity: string }; reason?: string; result?: Record<string, unknown> };

let tmp = '';
const at = (...p: string[]) => path.join(tmp, ...p);
let store: EmbeddedStore;
let runner: Runner;
const isRoot = process.getuid?.() === 0;

function context(confirm: boolean): ToolContext {
  return {
    config: loadConfig('mcp', { CRDB_TLS_STATE_DIR: at('state') }),
    paths: new AllowedPaths([tmp]),
    log: createLogger('silent'),
    store,
    requester: 'tester',
    ...(confirm ? { askPerson: async () => 'accept' as const } : {}),
  };
}

async function call(name: string, input: Record<string, unknown>, confirm = true): Promise<Output> {
  const outcome = await runner.run(findTool(name)!, input, context(confirm));
  if (!outcome.ok) throw Object.assign(new Error(`${name}: ${outcome.error.message}`), { code: outcome.error.code });
  return outcome.output as Output;
}

async function planFor(dirs: string[], id: string, caKey: string, scope: 'node' | 'ca'): Promise<RotationPlan> {
  const now = new Date();
  const inventory = await takeInventory({ certsDirs: dirs, files: [], hosts: [], probeTimeoutMs: 1000, sqlUrls: [], thresholds: { warn_days: 90, fail_days: 30 }, now });
  const plan = await planRotation({ id, createdBy: 'tester', now, scope, withinDays: 90, thresholds: { warn_days: 90, fail_days: 30 }, certsDirs: dirs, nodeFiles: [], trustFiles: [], hosts: [], probeCa: null, pidfile: null, sqlRedacted: [], cloudCluster: null, caKey, clientCaKey: null, newCaKey: null, newClientCaKey: null, leafLifetimeHours: 43_920, caLifetimeHours: 87_840, inventory });
  await savePlan(store, plan);
  return plan;
}

before(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-apply-')));
  store = new EmbeddedStore(at('state'));
  // An MCP client passing the id back under the advisory setting: the step's gate is what is tested here.
  runner = new Runner({ threshold: 'medium', readOnly: false, confirmationTtlMs: 600_000, mcpConfirm: 'assistant' }, store, undefined, { face: 'mcp' });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('reissuing a node certificate through the gate', () => {
  const dir = () => at('node/certs');
  let plan: RotationPlan;
  before(async () => {
    const ca = makeCa(3650);
    writeBundle(path.join(dir(), 'ca.crt'), ca);
    writeCaKey(ca, at('node/safe/ca.key'));
    writeLeaf(ca, dir(), 'node', 'node', 10);
    if (isRoot) for (const f of ['node.crt', 'node.key']) fs.chownSync(path.join(dir(), f), 4242, 4343);
    fs.chmodSync(path.join(dir(), 'node.crt'), 0o640);
    plan = await planFor([dir()], 'rp_node', at('node/safe/ca.key'), 'node');
  });

  test('a confirmation given before node.crt changed is refused when redeemed: the world moved, nothing is written', async () => {
    const asked = await call('apply_rotation_step', { plan_id: plan.id, step: 1 }, false);
    assert.equal(asked.status, 'confirmation_required');
    assert.equal(asked.confirmation!.severity, 'high', 'replacing a node certificate and key in use');
    const changed = Buffer.concat([fs.readFileSync(path.join(dir(), 'node.crt')), Buffer.from('\n')]);
    fs.writeFileSync(path.join(dir(), 'node.crt'), changed);
    const redeemed = await call('apply_rotation_step', { plan_id: plan.id, step: 1, confirmation_id: asked.confirmation!.id }, false);
    assert.equal(redeemed.status, 'refused');
    assert.match(redeemed.reason!, /world changed/);
    assert.deepEqual(fs.readFileSync(path.join(dir(), 'node.crt')), changed);
  });

  test('applied with confirmation, node.crt and node.key are replaced keeping owner, group and mode; the assessment notes the drift since the plan', async () => {
    const before = ['node.crt', 'node.key'].map((f) => fs.statSync(path.join(dir(), f)));
    const done = await call('apply_rotation_step', { plan_id: plan.id, step: 1 });
    assert.equal(done.status, 'done');
    assert.match(done.assessment!.impact, /node\.crt changed since the plan was made/);
    for (const [i, f] of ['node.crt', 'node.key'].entries()) {
      const after = fs.statSync(path.join(dir(), f));
      assert.deepEqual([after.uid, after.gid, after.mode & 0o7777], [before[i]!.uid, before[i]!.gid, before[i]!.mode & 0o7777], `${f} keeps owner, group and mode`);
      assert.notEqual(after.ino, before[i]!.ino, `${f} was replaced by rename, not rewritten`);
    }
    if (isRoot) assert.equal(before[0]!.uid, 4242);
  });

  test('a plan made without roots is refused where the caller has roots that exclude its files', async () => {
    const ca = makeCa(3650);
    writeBundle(at('roots/certs/ca.crt'), ca);
    writeCaKey(ca, at('roots/safe/ca.key'));
    writeLeaf(ca, at('roots/certs'), 'node', 'node', 10);
    const other = await planFor([at('roots/certs')], 'rp_roots', at('roots/safe/ca.key'), 'node');
    const narrow = { ...context(true), paths: new AllowedPaths([at('state')]) };
    const outcome = await runner.run(findTool('apply_rotation_step')!, { plan_id: other.id, step: 1 }, narrow);
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.error.code, 'outside_roots');
  });

  test('a step another caller is carrying out is left alone; a second apply of a done step is refused', async () => {
    await assert.rejects(call('apply_rotation_step', { plan_id: plan.id, step: 1 }), /already done/);
    await store.updateStep({ planId: plan.id, number: 2, from: ['pending'], status: 'applying', record: { by: 'someone else' }, now: new Date() });
    await assert.rejects(call('apply_rotation_step', { plan_id: plan.id, step: 2, mark_done: true }), /applying in another call/);
  });
});

describe('a CA rotation\'s first steps through the gate', () => {
  let plan: RotationPlan;
  let originalBundle: Buffer;
  before(async () => {
    const ca = makeCa(30);
    writeBundle(at('ca/certs/ca.crt'), ca);
    writeCaKey(ca, at('ca/safe/ca.key'));
    writeLeaf(ca, at('ca/certs'), 'node', 'node', 20);
    writeBundle(at('ca/node2/ca.crt'), ca);
    originalBundle = fs.readFileSync(at('ca/certs/ca.crt'));
    plan = await planFor([at('ca/certs'), at('ca/node2')], 'rp_ca', at('ca/safe/ca.key'), 'ca');
  });

  test('a new CA key is never written over an existing file', async () => {
    const create = plan.steps[0]!.action!;
    const newKey = create.kind === 'create_ca' ? create.new_key : '';
    fs.writeFileSync(newKey, 'someone else\'s key', { mode: 0o600 });
    await assert.rejects(call('apply_rotation_step', { plan_id: plan.id, step: 1 }), /never overwritten/);
    assert.equal(fs.readFileSync(newKey, 'utf8'), 'someone else\'s key');
    assert.deepEqual(fs.readFileSync(at('ca/certs/ca.crt')), originalBundle);
    fs.rmSync(newKey);
  });

  test('copying the combined bundle is medium (a CA added); high once the copy holds a CA the bundle would drop', async () => {
    await call('apply_rotation_step', { plan_id: plan.id, step: 1 });
    const adding = await call('apply_rotation_step', { plan_id: plan.id, step: 2, dry_run: true });
    assert.equal(adding.assessment!.severity, 'medium');
    const stray = makeCa(100, 'Stray CA');
    fs.appendFileSync(at('ca/node2/ca.crt'), stray.cert.pem);
    const dropping = await call('apply_rotation_step', { plan_id: plan.id, step: 2, dry_run: true });
    assert.equal(dropping.assessment!.severity, 'high');
    assert.match(dropping.assessment!.impact, /would lose O=Cockroach, CN=Stray CA/);
  });

  test('rolling back the new CA restores the bundle and moves the new key aside instead of deleting it', async () => {
    const create = plan.steps[0]!.action!;
    const newKey = create.kind === 'create_ca' ? create.new_key : '';
    const keyBytes = fs.readFileSync(newKey);
    const rolled = await call('rollback_rotation_step', { plan_id: plan.id });
    assert.equal(rolled.status, 'done');
    assert.equal((rolled.result!.step as { number: number }).number, 1);
    assert.deepEqual(fs.readFileSync(at('ca/certs/ca.crt')), originalBundle);
    assert.equal(fs.existsSync(newKey), false);
    const aside = (rolled.result!.set_aside as string[])[0]!;
    assert.ok(aside.startsWith(`${newKey}.rolled-back-`));
    assert.deepEqual(fs.readFileSync(aside), keyBytes);
    assert.equal(fs.statSync(aside).mode & 0o777, 0o600);
    await assert.rejects(call('rollback_rotation_step', { plan_id: plan.id }), /nothing to roll back/);
  });
});
