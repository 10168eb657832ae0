// Rotation plans in the shared store (DESIGN.md §4): with CRDB_TLS_DATABASE_URL a plan made by one
// process is applied by another, each step's progress is a row moved by one compare-and-set
// UPDATE, and of many replicas moving the same step at once exactly one wins. The database is a
// real PostgreSQL reached over TLS with a client certificate, as a CockroachDB cluster would be.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres.js';
import type { Store } from '../../src/store/types.js';
import { cliEnv, runCliOk } from '../support/cli.js';
import { startPostgresForStore, type TlsPostgres } from '../support/postgres.js';
import { makeCa, writeBundle, writeCaKey, writeLeaf } from '../support/rotation-pki.js';

describe('rotation plans in PostgreSQL', () => {
  let work = '';
  let server: TlsPostgres;
  let url = '';
  const opened: Store[] = [];
  const at = (...p: string[]) => path.join(work, ...p);
  const cli = (...args: string[]) => runCliOk(args, { cwd: work, env: cliEnv({ CRDB_TLS_DATABASE_URL: url }) });

  before(async () => {
    work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-plan-store-')));
    ({ server, url } = await startPostgresForStore(work, { certsDir: 'db', caKey: 'safe/db-ca.key' }));
    // The certs dir being rotated: a node certificate due in 10 days.
    const ca = makeCa(3650);
    writeBundle(at('certs/ca.crt'), ca);
    writeCaKey(ca, at('safe/ca.key'));
    writeLeaf(ca, at('certs'), 'node', 'node', 10);
  });

  after(async () => {
    await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('a plan made by one process is applied and shown by others, its progress kept in the database', async () => {
    const plan = JSON.parse(cli('rotate', 'plan', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--within', '30d', '--json').stdout) as { plan: { id: string; store: string } };
    assert.equal(plan.plan.store, 'postgres');
    cli('rotate', 'apply', plan.plan.id, '--step', '1', '--yes');
    const shown = cli('rotate', 'show', plan.plan.id).stdout;
    assert.match(shown, /saved in the database, 1\/3 done/);
    assert.match(shown, /\[x\] 1\. Reissue the node certificate/);
    const db = new pg.Client({ host: server.dataDir, port: server.port, user: server.dbUser, database: 'postgres' });
    await db.connect();
    try {
      const rows = await db.query<{ number: number; status: string; by: string }>("SELECT number, status, record->>'by' AS by FROM crdb_tls_plan_steps WHERE plan_id = $1 ORDER BY number", [plan.plan.id]);
      assert.deepEqual(rows.rows.map((r) => [r.number, r.status]), [[1, 'done'], [2, 'pending'], [3, 'pending']]);
      assert.equal(rows.rows[0]!.by, os.userInfo().username);
      assert.equal((await db.query('SELECT 1 FROM crdb_tls_plans WHERE id = $1', [plan.plan.id])).rowCount, 1);
    } finally {
      await db.end();
    }
  });

  test('of 20 replicas moving the same step at once, exactly one wins; saving the same plan twice keeps the first', async () => {
    const stores = await Promise.all(Array.from({ length: 20 }, async () => {
      const store = await PostgresStore.open(url, { max: 1 });
      opened.push(store);
      return store;
    }));
    const first = { id: 'rp_race', created_at: new Date().toISOString(), created_by: 'first', plan: { v: 1 }, steps: [{ number: 1, status: 'pending', updated_at: null, record: { a: 1 } }] };
    await stores[0]!.savePlan(first);
    await stores[1]!.savePlan({ ...first, created_by: 'second', plan: { v: 2 } });
    const results = await Promise.all(stores.map((store, i) => store.updateStep({ planId: 'rp_race', number: 1, from: ['pending'], status: 'applying', record: { by: `replica ${i}` }, now: new Date() })));
    const winners = results.filter((r) => r !== undefined);
    assert.equal(winners.length, 1);
    const saved = (await stores[5]!.loadPlan('rp_race'))!;
    assert.equal(saved.created_by, 'first');
    assert.deepEqual(saved.plan, { v: 1 });
    assert.equal(saved.steps[0]!.status, 'applying');
    assert.deepEqual(saved.steps[0]!.record, { a: 1, by: winners[0]!.record.by }, 'the record is merged, not replaced');
    assert.equal(await stores[0]!.updateStep({ planId: 'rp_race', number: 2, from: ['pending'], status: 'done', record: {}, now: new Date() }), undefined, 'an unknown step');
    assert.equal(await stores[0]!.loadPlan('rp_unknown'), undefined);
  });
});
