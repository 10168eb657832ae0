// The certificates crdb-tls issues do the job they exist for: a real PostgreSQL server (the
// stand-in for a CockroachDB node's pgwire port) serves node.crt with ssl=on and `cert` auth, and
// the real node-postgres driver and psql log in with sslmode=verify-full and a client certificate.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { runCliOk } from '../support/cli.js';
import { createRoles, startTlsPostgres, type TlsPostgres } from '../support/postgres.js';
import { requireSystemTool } from '../support/system-tools.js';

let work: string;
let server: TlsPostgres;
const certs = () => path.join(work, 'certs');
const otherCerts = () => path.join(work, 'other-certs');

function issue(args: string[]) {
  runCliOk(['cert', ...args], { cwd: work });
}

interface Login {
  user: string;
  certFile: string;
  keyFile: string;
}

/** A fresh ssl object per client: pg makes `key` non-enumerable on the object it is given (toolchain.md §3). */
async function loginWithPg({ user, certFile, keyFile }: Login): Promise<{ current_user: string; ssl: boolean; client_dn: string }> {
  const client = new pg.Client({
    host: 'localhost',
    port: server.port,
    user,
    database: 'postgres',
    ssl: { ca: fs.readFileSync(path.join(certs(), 'ca.crt'), 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') },
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT current_user, s.ssl, s.client_dn FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()');
    return rows[0];
  } finally {
    await client.end();
  }
}

function loginWithPsql(psql: string, { user, certFile, keyFile }: Login) {
  const conninfo = [
    'host=localhost', `port=${server.port}`, `user=${user}`, 'dbname=postgres', 'sslmode=verify-full',
    `sslrootcert=${path.join(certs(), 'ca.crt')}`, `sslcert=${certFile}`, `sslkey=${keyFile}`, 'connect_timeout=10',
  ].join(' ');
  // HOME elsewhere so that no ~/.postgresql file of this machine takes part.
  return spawnSync(psql, [conninfo, '-tAc', 'SELECT current_user'], { encoding: 'utf8', env: { ...process.env, HOME: work, PGSSLMODE: '' }, timeout: 30_000 });
}

const client = (dir: string, user: string): Login => ({ user, certFile: path.join(dir, `client.${user}.crt`), keyFile: path.join(dir, `client.${user}.key`) });

describe('a PostgreSQL server with TLS and cert auth, using certificates made by crdb-tls cert', () => {
  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-pg-'));
    fs.mkdirSync(path.join(work, 'safe'));
    issue(['create-ca', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key']);
    issue(['create-node', 'localhost', '127.0.0.1', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key']);
    issue(['create-client', 'root', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--yes']);
    issue(['create-client', 'Alice', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key']);
    // A second, unrelated CA whose certificates the server must not accept.
    issue(['create-ca', '--certs-dir', 'other-certs', '--ca-key', 'safe/other-ca.key']);
    issue(['create-client', 'root', '--certs-dir', 'other-certs', '--ca-key', 'safe/other-ca.key', '--yes']);
    server = await startTlsPostgres({ serverCert: path.join(certs(), 'node.crt'), serverKey: path.join(certs(), 'node.key'), ca: path.join(certs(), 'ca.crt') });
    await createRoles(server, ['alice']);
  });

  after(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('node-postgres logs in as alice with verify-full and her client certificate', async () => {
    const row = await loginWithPg(client(certs(), 'alice'));
    assert.equal(row.current_user, 'alice');
    assert.equal(row.ssl, true);
    assert.match(row.client_dn, /CN=alice/);
  });

  test('node-postgres logs in as root with the root client certificate', async () => {
    const row = await loginWithPg(client(certs(), 'root'));
    assert.equal(row.current_user, 'root');
    assert.match(row.client_dn, /O=Cockroach.*CN=root/);
  });

  test('a client certificate for root from another CA is refused', async () => {
    await assert.rejects(loginWithPg(client(otherCerts(), 'root')), (error: NodeJS.ErrnoException) => {
      assert.match(`${error.code} ${error.message}`, /unknown ca/i);
      return true;
    });
  });

  test('a client certificate for alice is refused when logging in as root', async () => {
    await assert.rejects(loginWithPg({ ...client(certs(), 'alice'), user: 'root' }), /certificate authentication failed for user "root"/);
  });

  test('psql logs in as alice with verify-full and her client certificate', (t) => {
    const psql = requireSystemTool(t, 'psql');
    if (!psql) return;
    const result = loginWithPsql(psql, client(certs(), 'alice'));
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'alice');
  });

  test('psql is refused with a client certificate from another CA', (t) => {
    const psql = requireSystemTool(t, 'psql');
    if (!psql) return;
    const result = loginWithPsql(psql, client(otherCerts(), 'root'));
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /tlsv1 alert unknown ca/);
  });

  test('psql is refused with alice\'s certificate when logging in as root', (t) => {
    const psql = requireSystemTool(t, 'psql');
    if (!psql) return;
    const result = loginWithPsql(psql, { ...client(certs(), 'alice'), user: 'root' });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /certificate authentication failed for user "root"/);
  });
});
