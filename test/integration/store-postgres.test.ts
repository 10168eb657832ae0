// The shared store in PostgreSQL (DESIGN.md §4): several replicas share confirmations and the
// audit trail, and a confirmation clicked by many at once runs its action exactly once. The
// database is a real PostgreSQL reached over TLS with a client certificate, as a CockroachDB
// cluster would be.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countedAction } from '../support/counted-action.js';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/log.js';
import { AllowedPaths } from '../../src/core/paths.js';
import { Runner } from '../../src/core/runner.js';
import type { ToolContext } from '../../src/core/tool.js';
import type { GatePolicy } from '../../src/gate/policy.js';
import { PostgresStore } from '../../src/store/postgres.js';
import type { Store } from '../../src/store/types.js';
import { startPostgresForStore, type TlsPostgres } from '../support/postgres.js';

const POLICY: GatePolicy = { threshold: 'medium', readOnly: false, confirmationTtlMs: 600_000 };
let work: string;
let server: TlsPostgres;
let url: string;
const opened: Store[] = [];

const counted = countedAction();
const action = counted.tool;

async function openStore(): Promise<Store> {
  const store = await PostgresStore.open(url, { max: 1 });
  opened.push(store);
  return store;
}

/** These replicas are Slack replicas: a confirmer's call is a Confirm click the Slack face let through. */
const SLACK = { face: 'slack' } as const;
function context(store: Store, requester: string): ToolContext {
  return { config: loadConfig('mcp'), paths: new AllowedPaths([work]), log: createLogger('silent'), store, requester, confirmedInSlackBy: requester };
}

describe('confirmations and audit in PostgreSQL shared by several replicas', () => {
  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-store-'));
    ({ server, url } = await startPostgresForStore(work));
  });

  after(async () => {
    await Promise.all(opened.map((store) => store.close().catch(() => undefined)));
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('five replicas starting at once all create or find the schema', async () => {
    const stores = await Promise.all(Array.from({ length: 5 }, openStore));
    assert.equal(stores.length, 5);
    for (const store of stores) assert.deepEqual(await store.recentAudit(1), []);
  });

  test('20 replicas consuming one confirmation at once run the action exactly once, and the audit table holds every step', async () => {
    const requesterStore = await openStore();
    const first = await new Runner(POLICY, requesterStore, undefined, SLACK).run(action, { target: 'ca.crt' }, context(requesterStore, 'U-alice'));
    assert.ok(first.ok);
    assert.equal(first.output.status, 'confirmation_required');
    const id = (first.output.confirmation as { id: string }).id;
    assert.equal(counted.runs(), 0);

    // Each replica has its own connection pool, as separate processes would.
    const replicas = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const store = await openStore();
      return { runner: new Runner(POLICY, store, undefined, SLACK), ctx: context(store, `U-confirmer-${i}`) };
    }));
    const outcomes = await Promise.all(replicas.map(({ runner, ctx }) => runner.run(action, { target: 'ca.crt', confirmation_id: id }, ctx)));
    const statuses = outcomes.map((o) => (o.ok ? String(o.output.status) : `error:${o.error.code}`));
    assert.equal(statuses.filter((s) => s === 'done').length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 'refused').length, 19, statuses.join(','));
    assert.equal(counted.runs(), 1);

    const events = await requesterStore.recentAudit(100, 'counted_action');
    const count = (kind: string) => events.filter((e) => e.event === kind).length;
    assert.equal(count('requested'), 21);
    assert.equal(count('confirmation_required'), 1);
    assert.equal(count('confirmed'), 1);
    assert.equal(count('refused'), 19);
    assert.equal(count('done'), 1);
    const done = events.find((e) => e.event === 'done')!;
    assert.equal(done.requester, 'U-alice');
    assert.match(String(done.confirmer), /^U-confirmer-\d+$/);
    assert.equal(done.confirmation_id, id);
    assert.equal(done.severity, 'high');
    for (const refusal of events.filter((e) => e.event === 'refused')) assert.match(String(refusal.detail.reason), /already used/);
  });

  test('a confirmation is refused for another input and after it expired, and is not burnt by the wrong input', async () => {
    const store = await openStore();
    const runner = new Runner(POLICY, store, undefined, SLACK);
    const asked = await runner.run(action, { target: 'node.key' }, context(store, 'U-bob'));
    assert.ok(asked.ok);
    const id = (asked.output.confirmation as { id: string }).id;
    const before = counted.runs();
    // Someone else confirms (four-eyes: U-bob asked for a high-severity action).
    const ctx = context(store, 'U-erin');

    const other = await runner.run(action, { target: 'client.root.key', confirmation_id: id }, ctx);
    assert.ok(other.ok);
    assert.equal(other.output.status, 'refused');
    assert.match(String(other.output.reason), /different call/);

    const elevenMinutesLater = new Runner(POLICY, store, () => new Date(Date.now() + 11 * 60_000), SLACK);
    const late = await elevenMinutesLater.run(action, { target: 'node.key', confirmation_id: id }, ctx);
    assert.ok(late.ok);
    assert.equal(late.output.status, 'refused');
    assert.match(String(late.output.reason), /expired/);
    assert.equal(counted.runs(), before);

    const inTime = await runner.run(action, { target: 'node.key', confirmation_id: id }, ctx);
    assert.ok(inTime.ok);
    assert.equal(inTime.output.status, 'done');
    assert.equal(counted.runs(), before + 1);
  });

  test('a confirmation made on one replica is honoured on another', async () => {
    const [a, b] = [await openStore(), await openStore()];
    const asked = await new Runner(POLICY, a, undefined, SLACK).run(action, { target: 'ca-client.crt' }, context(a, 'U-carol'));
    assert.ok(asked.ok);
    const id = (asked.output.confirmation as { id: string }).id;
    const confirmed = await new Runner(POLICY, b, undefined, SLACK).run(action, { target: 'ca-client.crt', confirmation_id: id }, context(b, 'U-dave'));
    assert.ok(confirmed.ok);
    assert.equal(confirmed.output.status, 'done');
    const [latest] = await b.recentAudit(1, 'counted_action');
    assert.equal(latest?.event, 'done');
    assert.equal(latest?.confirmer, 'U-dave');
  });

  test('expired confirmations are purged from the table an hour after they expire; live ones stay', async () => {
    const store = await openStore();
    const runner = new Runner({ ...POLICY, confirmationTtlMs: 1_000 }, store, () => new Date(Date.now() - 2 * 3_600_000), SLACK);
    const old = await runner.run(action, { target: 'old.key' }, context(store, 'U-frank'));
    assert.ok(old.ok);
    const oldId = (old.output.confirmation as { id: string }).id;
    assert.ok(await store.getConfirmation(oldId), 'saved');
    const fresh = await new Runner(POLICY, store, undefined, SLACK).run(action, { target: 'fresh.key' }, context(store, 'U-frank'));
    assert.ok(fresh.ok);
    const freshId = (fresh.output.confirmation as { id: string }).id;
    assert.equal(await store.getConfirmation(oldId), undefined, 'a confirmation expired two hours ago is gone');
    const rows = await (store as unknown as { pool: { query(sql: string, values: unknown[]): Promise<{ rowCount: number }> } }).pool.query('SELECT id FROM crdb_tls_confirmations WHERE id = $1', [oldId]);
    assert.equal(rows.rowCount, 0);
    assert.equal((await store.getConfirmation(freshId))?.state, 'pending');
  });
});
