// The SQL source of the expiry inventory: a cluster's own security.certificate.* gauges read from
// crdb_internal.node_metrics, one node per URL (reference §2.2). The test PostgreSQL holds a schema
// crdb_internal with a node_metrics (store_id, name, value) table filled the way CockroachDB fills
// it: node-level gauges with store_id NULL, Unix-seconds `expiration.<type>` and seconds-left
// `ttl.<type>`, 0 for a certificate the node does not have, the `client` aggregate, and unrelated
// node and store metrics. Two databases stand for two nodes (each has its own
// crdb_internal.node_id()), and a user without access stands for a non-admin.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { runCli, runCliOk } from '../support/cli.js';
import { createRoles, startTlsPostgres, type TlsPostgres } from '../support/postgres.js';

const DAY = 86_400;

interface Item { source: string; location: string; what: string; usage: string; not_after: string; days_left: number; seconds_left: number; status: string }
interface Report { result: string; exit_code: number; due: Item[]; errors: Array<{ source: string; location: string; message: string }>; inventory: { items: Item[]; sources: Array<{ source: string; location: string; error: string | null; notes: string[] }> } }

describe('expiry from crdb_internal.node_metrics over SQL', () => {
  let tmp = '';
  let server: TlsPostgres;
  const nowSeconds = Math.floor(Date.now() / 1000);
  const at = (...parts: string[]) => path.join(tmp, ...parts);
  const url = (user: string, database: string) =>
    `postgresql://${user}@127.0.0.1:${server.port}/${database}?sslmode=verify-full&sslrootcert=${at('certs/ca.crt')}&sslcert=${at(`certs/client.${user}.crt`)}&sslkey=${at(`certs/client.${user}.key`)}`;

  /** Gauges as certificate_metrics.go reports them: expiration (Unix s) and ttl (s left), 0 when absent. */
  function gauges(days: Record<string, number | null>): Array<[number | null, string, number]> {
    const rows: Array<[number | null, string, number]> = [];
    for (const [type, left] of Object.entries(days)) {
      const seconds = left === null ? 0 : Math.round(left * DAY);
      rows.push([null, `security.certificate.expiration.${type}`, left === null ? 0 : nowSeconds + seconds]);
      rows.push([null, `security.certificate.ttl.${type}`, left === null ? 0 : Math.max(0, seconds)]);
    }
    return rows;
  }

  async function fill(database: string, nodeId: number, rows: Array<[number | null, string, number]>): Promise<void> {
    const client = new pg.Client({ host: server.dataDir, port: server.port, user: server.dbUser, database });
    await client.connect();
    try {
      await client.query('CREATE SCHEMA crdb_internal');
      await client.query('CREATE TABLE crdb_internal.node_metrics (store_id INT NULL, name TEXT NOT NULL, value FLOAT8 NOT NULL)');
      await client.query(`CREATE FUNCTION crdb_internal.node_id() RETURNS INT LANGUAGE SQL AS 'SELECT ${nodeId}'`);
      const all: Array<[number | null, string, number]> = [...rows, [null, 'sql.conns', 3], [1, 'capacity', 1e12], [1, 'security.certificate.expiration.node', 1], [null, 'sys.uptime', 1234]];
      for (const [store, name, value] of all) await client.query('INSERT INTO crdb_internal.node_metrics VALUES ($1, $2, $3)', [store, name, value]);
    } finally {
      await client.end();
    }
  }

  before(async () => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-sql-source-')));
    fs.mkdirSync(at('safe'), { mode: 0o700 });
    const signing = ['--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--yes'];
    runCliOk(['cert', 'create-ca', ...signing], { cwd: tmp });
    runCliOk(['cert', 'create-node', 'localhost', '127.0.0.1', ...signing], { cwd: tmp });
    runCliOk(['cert', 'create-client', 'root', ...signing], { cwd: tmp });
    runCliOk(['cert', 'create-client', 'alice', ...signing], { cwd: tmp });
    server = await startTlsPostgres({ serverCert: at('certs/node.crt'), serverKey: at('certs/node.key'), ca: at('certs/ca.crt') });
    await createRoles(server, ['alice']);
    const admin = new pg.Client({ host: server.dataDir, port: server.port, user: server.dbUser, database: 'postgres' });
    await admin.connect();
    await admin.query('CREATE DATABASE node2');
    await admin.end();
    // Node 1: CA fine, node certificate in 20 days (fail), node's client certificate in 60 (warn), no UI certificates.
    await fill('postgres', 1, [...gauges({ ca: 400.04, 'client-ca': null, 'ui-ca': null, node: 20.04, 'node-client': 60.04, ui: null, 'ca-client-tenant': null, 'client-tenant': null }), [null, 'security.certificate.expiration.client', nowSeconds + 5 * DAY], [null, 'security.certificate.ttl.client', 5 * DAY]]);
    // Node 2: its node certificate expired a day and a half ago (expiration in the past, ttl 0).
    await fill('node2', 2, gauges({ ca: 400.04, node: -1.5 }));
  });

  after(async () => {
    await server?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('each node\'s gauges become items with days left and status; absent certificates and the client aggregate are left out', () => {
    const result = runCli(['rotate', 'check', '--sql', url('root', 'postgres'), '--sql', url('root', 'node2'), '--within', '30d', '--json'], { cwd: tmp });
    assert.equal(result.status, 1, result.stderr);
    const report = JSON.parse(result.stdout) as Report;
    const items = report.inventory.items;
    const n1 = items.filter((i) => i.location === `n1 at 127.0.0.1:${server.port}`);
    const n2 = items.filter((i) => i.location === `n2 at 127.0.0.1:${server.port}`);
    assert.deepEqual(n1.map((i) => i.usage).sort(), ['CA', 'Client', 'Node'], 'ca, node-client and node; not the 0 gauges, not the client aggregate');
    assert.deepEqual(n2.map((i) => i.usage).sort(), ['CA', 'Node']);
    const byWhat = (list: Item[], type: string) => list.find((i) => i.what.includes(`security.certificate.expiration.${type})`))!;
    assert.equal(byWhat(n1, 'node').days_left, 20);
    assert.equal(byWhat(n1, 'node').status, 'fail');
    assert.equal(byWhat(n1, 'node-client').days_left, 60);
    assert.equal(byWhat(n1, 'node-client').status, 'warn');
    assert.equal(byWhat(n1, 'ca').status, 'ok');
    assert.equal(byWhat(n2, 'node').status, 'expired');
    assert.equal(byWhat(n2, 'node').days_left, -2, 'days left round down, like `cert list`');
    assert.equal(Date.parse(byWhat(n1, 'node').not_after), (nowSeconds + Math.round(20.04 * DAY)) * 1000, 'NotAfter is the expiration gauge, in Unix seconds');
    assert.deepEqual(report.due.map((i) => `${i.location.slice(0, 2)} ${i.usage}`), ['n2 Node', 'n1 Node'], 'due within 30 days, soonest first');
    const notes = report.inventory.sources.flatMap((s) => s.notes).join('\n');
    assert.match(notes, /security\.certificate\.\*\.client is an aggregate/);
    assert.match(notes, /no certificate loaded \(metric 0\): client-ca, ui-ca, ui, ca-client-tenant, client-tenant/);
  });

  test('a user who may not read crdb_internal is an error of that source: exit 2, with the reason and without the password', () => {
    const withPassword = url('alice', 'postgres').replace('alice@', 'alice:s3cretPa55@');
    const result = runCli(['rotate', 'check', '--sql', url('root', 'postgres'), '--sql', withPassword, '--json'], { cwd: tmp });
    assert.equal(result.status, 2, result.stderr);
    const report = JSON.parse(result.stdout) as Report;
    assert.equal(report.result, 'error');
    assert.equal(report.errors.length, 1);
    assert.match(report.errors[0]!.message, /permission denied.*\(42501\).*admin role/);
    assert.ok(!result.stdout.includes('s3cretPa55') && !result.stderr.includes('s3cretPa55'), 'the password is never shown');
    assert.ok(report.inventory.items.some((i) => i.location.startsWith('n1 at')), 'the readable node is still listed');
  });

  test('a plan from the SQL source alone names what to do on each node, by hand', () => {
    const result = runCliOk(['rotate', 'plan', '--sql', url('root', 'postgres'), '--sql', url('root', 'node2').replace('root@', 'root:pl4nSecret@'), '--within', '30d', '--json'], { cwd: tmp });
    const out = JSON.parse(result.stdout) as { plan: { steps: Array<{ kind: string; mode: string; title: string; commands: string[] }>; sources: { sql: string[] } } };
    const manual = out.plan.steps.filter((s) => s.kind === 'manual_reissue');
    assert.equal(manual.length, 2);
    assert.ok(manual.every((s) => s.mode === 'manual' && s.commands.some((c) => c.includes('cockroach cert create-node'))));
    assert.match(manual[0]!.title, /^n2 at .*node certificate/, 'the expired one first');
    assert.match(manual[1]!.title, /^n1 at .*node certificate.*\(20 days\)/);
    assert.equal(out.plan.sources.sql.length, 2, 'the plan records which nodes it read');
    assert.ok(!result.stdout.includes('pl4nSecret'), 'a password in a SQL URL is never saved or shown');
  });
});
