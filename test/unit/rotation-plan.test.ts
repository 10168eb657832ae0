// The rotation planner: which steps, in which order, with which commands and blast radius, from
// certs dirs as `cockroach cert` lays them out; and plans kept in the embedded store with a
// compare-and-set on each step that lets exactly one of several concurrent callers move a step.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { takeInventory, type HostTarget } from '../../src/rotation/inventory.js';
import { planRotation, type PlanRequest } from '../../src/rotation/plan.js';
import { loadPlan, savePlan } from '../../src/rotation/saved.js';
import type { RotationPlan } from '../../src/rotation/steps.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { makeCa, writeBundle, writeCaKey, writeLeaf } from '../support/rotation-pki.js';

let tmp = '';
const at = (...p: string[]) => path.join(tmp, ...p);
before(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-plan-')));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function makePlan(over: Partial<PlanRequest> & { certsDirs: string[] }): Promise<RotationPlan> {
  const now = new Date();
  const nodeFiles = over.nodeFiles ?? [];
  const trustFiles = over.trustFiles ?? [];
  const inventory = await takeInventory({ certsDirs: over.certsDirs, files: [...nodeFiles.map((f) => f.cert), ...trustFiles], hosts: [], probeTimeoutMs: 1000, sqlUrls: [], thresholds: { warn_days: 90, fail_days: 30 }, now });
  return planRotation({
    id: 'rp_test',
    createdBy: 'tester',
    now,
    scope: 'all',
    withinDays: 90,
    thresholds: { warn_days: 90, fail_days: 30 },
    nodeFiles,
    trustFiles,
    hosts: [],
    probeCa: null,
    pidfile: null,
    sqlRedacted: [],
    cloudCluster: null,
    caKey: null,
    clientCaKey: null,
    newCaKey: null,
    newClientCaKey: null,
    leafLifetimeHours: 43_920,
    caLifetimeHours: 87_840,
    inventory,
    ...over,
  });
}

describe('planning node and client renewals', () => {
  let dir = '';
  before(() => {
    dir = at('renew/certs');
    const ca = makeCa(3650);
    writeBundle(path.join(dir, 'ca.crt'), ca);
    writeCaKey(ca, at('renew/safe/ca.key'));
    writeLeaf(ca, dir, 'node', 'node', 20);
    writeLeaf(ca, dir, 'client', 'alice', 60);
    writeLeaf(ca, dir, 'client', 'bob', 400);
  });

  test('a node certificate due is reissued in place, then every node reloads; the due client too; the long-lived one is left alone', async () => {
    const plan = await makePlan({ certsDirs: [dir], caKey: at('renew/safe/ca.key') });
    assert.deepEqual(plan.steps.map((s) => `${s.kind}/${s.mode}`), ['reissue_node/local', 'reload/manual', 'reissue_client/local', 'move_clients/manual', 'verify/manual']);
    const node = plan.steps[0]!;
    assert.equal(node.action?.kind, 'issue_node');
    assert.deepEqual(node.action?.kind === 'issue_node' && node.action.hosts, ['localhost', '127.0.0.1']);
    assert.deepEqual(node.equivalent, [`cockroach cert create-node localhost 127.0.0.1 --certs-dir=${dir} --ca-key=${at('renew/safe/ca.key')} --overwrite --lifetime=43920h`]);
    assert.deepEqual(node.commands, ['crdb-tls rotate apply rp_test --step 1']);
    assert.match(plan.steps[1]!.commands[0]!, /pkill -SIGHUP -x cockroach/);
    assert.ok(plan.steps[2]!.title.includes('alice'));
    assert.ok(!plan.steps.some((s) => s.title.includes('bob')), 'bob has 400 days left');
    assert.ok(plan.steps.every((s) => s.blast_radius.stops_trusted.length === 0), 'a renewal by the same CA stops trusting nothing');
    assert.deepEqual(plan.due.map((d) => path.basename(d.path!)).sort(), ['client.alice.crt', 'node.crt'], 'what made the plan: the two certificates within 90 days');
  });

  test('without the CA key the reissue steps are manual and give the cockroach command', async () => {
    const plan = await makePlan({ certsDirs: [dir] });
    const node = plan.steps.find((s) => s.kind === 'reissue_node')!;
    assert.equal(node.mode, 'manual');
    assert.equal(node.action, null);
    assert.match(node.commands[0]!, /^cockroach cert create-node localhost 127\.0\.0\.1 --certs-dir=.* --ca-key=<ca\.key> --overwrite/);
    assert.match(node.commands.at(-1)!, /--mark-done$/);
  });

  test('scope client leaves node certificates alone; a window nothing falls in makes an empty plan', async () => {
    const clientOnly = await makePlan({ certsDirs: [dir], caKey: at('renew/safe/ca.key'), scope: 'client' });
    assert.deepEqual(clientOnly.steps.map((s) => s.kind), ['reissue_client', 'move_clients', 'verify']);
    const nothing = await makePlan({ certsDirs: [dir], caKey: at('renew/safe/ca.key'), withinDays: 10 });
    assert.deepEqual(nothing.steps, []);
    assert.match(nothing.summary, /Nothing in scope all expires within 10 days/);
  });

  test('a reissued certificate never outlives its CA: its lifetime is cut to the CA\'s remaining life', async () => {
    const ca = makeCa(400);
    writeBundle(at('short/certs/ca.crt'), ca);
    writeCaKey(ca, at('short/safe/ca.key'));
    writeLeaf(ca, at('short/certs'), 'node', 'node', 10);
    const plan = await makePlan({ certsDirs: [at('short/certs')], caKey: at('short/safe/ca.key'), scope: 'node' });
    const action = plan.steps[0]!.action!;
    assert.equal(action.kind, 'issue_node');
    const hours = action.kind === 'issue_node' ? action.lifetime_hours : 0;
    assert.ok(hours < 400 * 24 && hours >= 399 * 24 - 24, `cut to about 399 days (${hours}h)`);
    assert.match(plan.steps[0]!.why, /may not outlive its CA/);
  });
});

describe('planning a CA rotation', () => {
  let plan: RotationPlan;
  const hosts: HostTarget[] = [{ host: 'node2.example.com', port: 26257 }, { host: 'node3.example.com', port: 26257 }];

  before(async () => {
    const old = makeCa(60);
    const other = makeCa(3650, 'Other cluster CA');
    writeBundle(at('ca/certs/ca.crt'), old);
    writeCaKey(old, at('ca/safe/ca.key'));
    writeLeaf(old, at('ca/certs'), 'node', 'node', 50);
    writeLeaf(old, at('ca/certs'), 'client', 'root', 50);
    writeBundle(at('ca/node2/ca.crt'), old);
    writeLeaf(old, at('ca/node2'), 'node', 'node', 50, ['node2.example.com']);
    writeBundle(at('ca/elsewhere/ca.crt'), other);
    plan = await makePlan({ certsDirs: [at('ca/certs'), at('ca/node2'), at('ca/elsewhere')], caKey: at('ca/safe/ca.key'), hosts, scope: 'ca' });
  });

  test('the steps follow the overlap procedure and the new CA key goes beside the old one, never over it', () => {
    assert.deepEqual(plan.steps.map((s) => `${s.kind}/${s.mode}`), [
      'new_ca/local', 'distribute_trust/local', 'distribute_trust/manual', 'reload/manual',
      'reissue_node/local', 'reissue_node/local', 'reload/manual', 'reissue_client/local', 'move_clients/manual',
      'remove_ca/local', 'distribute_trust/manual', 'reload/manual', 'verify/manual',
    ]);
    const create = plan.steps[0]!.action!;
    assert.equal(create.kind, 'create_ca');
    const newKey = create.kind === 'create_ca' ? create.new_key : '';
    assert.equal(path.dirname(newKey), at('ca/safe'));
    assert.match(path.basename(newKey), /^ca\.\d{8}\.key$/);
    assert.notEqual(newKey, at('ca/safe/ca.key'));
    for (const step of plan.steps.filter((s) => s.kind === 'reissue_node' || s.kind === 'reissue_client')) {
      const action = step.action as { ca_key: string; ca_cert: string };
      assert.equal(action.ca_key, newKey, `${step.title} is signed with the new key`);
      assert.equal(action.ca_cert, at('ca/certs/ca.crt'));
    }
  });

  test('copies of the bundle that hold the old CA get the combined bundle; a bundle of another CA is left alone', () => {
    const copy = plan.steps[1]!;
    assert.deepEqual(copy.action, { kind: 'copy_bundle', from: at('ca/certs/ca.crt'), to: [at('ca/node2/ca.crt')] });
    assert.ok(plan.notes.some((n) => n.includes(at('ca/elsewhere/ca.crt')) && n.includes('leaves it alone')));
    const remote = plan.steps[2]!;
    assert.deepEqual(remote.commands.slice(0, 2), hosts.map((h) => `scp ${at('ca/certs/ca.crt')} ${h.host}:<certs-dir of ${h.host}:26257>/ca.crt`));
    assert.deepEqual(plan.steps[3]!.commands.slice(0, 2), hosts.map((h) => `ssh ${h.host} pkill -SIGHUP -x cockroach`));
  });

  test('the old CA is removed last, from every copy, with the checks that nothing valid still depends on it; only then does anything stop being trusted', () => {
    const removal = plan.steps.find((s) => s.kind === 'remove_ca')!;
    assert.equal(removal.severity, 'high');
    const action = removal.action!;
    assert.equal(action.kind, 'remove_ca');
    if (action.kind === 'remove_ca') {
      assert.deepEqual(action.bundles, [at('ca/certs/ca.crt'), at('ca/node2/ca.crt')]);
      assert.equal(action.remove.length, 1);
      assert.deepEqual(action.check_dirs, [at('ca/certs'), at('ca/node2'), at('ca/elsewhere')]);
      assert.deepEqual(action.check_hosts, hosts);
    }
    const trusting = plan.steps.filter((s) => s.blast_radius.stops_trusted.length > 0).map((s) => s.number);
    assert.deepEqual(trusting, [removal.number, removal.number + 1], 'the removal, and handing the reduced bundle to the other nodes');
    assert.ok(removal.blast_radius.stops_trusted.some((t) => t.includes(at('ca/certs/client.root.crt'))), 'it names the client certificate the old CA signed');
    assert.ok(plan.steps.slice(0, removal.number - 1).every((s) => s.blast_radius.stops_trusted.length === 0));
  });
});

describe('plans in the embedded store', () => {
  test('a saved plan loads back with every step pending, and an unknown or malformed id is not found', async () => {
    const store = new EmbeddedStore(at('state1'));
    const ca = makeCa(3650);
    writeBundle(at('store/certs/ca.crt'), ca);
    writeLeaf(ca, at('store/certs'), 'node', 'node', 5);
    const plan = await makePlan({ certsDirs: [at('store/certs')], id: 'rp_stored' });
    await savePlan(store, plan);
    const { view } = await loadPlan(store, 'rp_stored');
    assert.deepEqual(view.steps.map((s) => s.state.status), plan.steps.map(() => 'pending'));
    assert.equal(view.progress.next_step, 1);
    assert.equal(await store.loadPlan('rp_nope'), undefined);
    assert.equal(await store.loadPlan('../../etc/passwd'), undefined, 'an id is never a path');
    await assert.rejects(loadPlan(store, 'rp_nope'), /no rotation plan rp_nope/);
    assert.equal(fs.statSync(at('state1/plans/rp_stored.json')).mode & 0o777, 0o600);
  });

  test('of ten concurrent callers moving the same step, across two store instances on one state dir, exactly one wins', async () => {
    const [a, b] = [new EmbeddedStore(at('state2')), new EmbeddedStore(at('state2'))];
    await a.savePlan({ id: 'rp_race', created_at: new Date().toISOString(), created_by: 't', plan: {}, steps: [{ number: 1, status: 'pending', updated_at: null, record: {} }] });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).updateStep({ planId: 'rp_race', number: 1, from: ['pending'], status: 'applying', record: { by: `caller ${i}` }, now: new Date() })));
    const winners = results.filter((r) => r !== undefined);
    assert.equal(winners.length, 1);
    const saved = await b.loadPlan('rp_race');
    assert.equal(saved!.steps[0]!.status, 'applying');
    assert.equal(saved!.steps[0]!.record.by, winners[0]!.record.by);
    assert.deepEqual(fs.readdirSync(at('state2/plans')).sort(), ['rp_race.json'], 'no lock or temp file left behind');
  });
});
