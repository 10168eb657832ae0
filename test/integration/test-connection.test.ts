// test_connection logs in for real (node-postgres) against a TLS PostgreSQL with `cert` auth; a
// failure is the driver's real error, diagnosed. The server's own answer over its unix socket is
// the oracle for the version; the diagnosis codes follow shared/diagnosis-codes.md for the fault
// each test sets up. A password given in the URL must never come back, on success or failure.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { findTool } from '../../tools/catalog.js';
import { createRuntime, type Runtime } from '../../src/core/runtime.js';
import type { ToolContext } from '../../src/core/tool.js';
import type { LoginReport } from '../../src/net/login-report.js';
import { runCli, cliEnv } from '../support/cli.js';
import { createRoles, startTlsPostgres, type TlsPostgres } from '../support/postgres.js';
import { makeFaultPki, startSilentListener, type FaultPki, type Pair } from '../support/tls-faults.js';

const PASSWORD = 'S3cr3t-Pa55word!';
let pki: FaultPki;
let server: TlsPostgres;
let runtime: Runtime;
let serverVersion = '';

function url(opts: { user?: string; ca?: string; pair?: Pair; password?: string; sslmode?: string } = {}): string {
  const pair = opts.pair ?? pki.root;
  const auth = `${opts.user ?? 'root'}${opts.password ? `:${encodeURIComponent(opts.password)}` : ''}`;
  return `postgresql://${auth}@127.0.0.1:${server.port}/postgres?sslmode=${opts.sslmode ?? 'verify-full'}&sslrootcert=${opts.ca ?? pki.ca}&sslcert=${pair.crt}&sslkey=${pair.key}`;
}

async function login(input: Record<string, unknown>): Promise<{ report: LoginReport; text: string }> {
  const tool = findTool('test_connection');
  assert.ok(tool, 'test_connection is not in the catalog');
  const ctx: ToolContext = { config: runtime.config, paths: runtime.paths, log: runtime.log, store: runtime.runner.store, requester: 'test' };
  const outcome = await runtime.runner.run(tool, input, ctx);
  assert.ok(outcome.ok, `test_connection failed: ${JSON.stringify(!outcome.ok && outcome.error)}`);
  return { report: outcome.output as unknown as LoginReport, text: outcome.text };
}

before(async () => {
  pki = await makeFaultPki();
  server = await startTlsPostgres({ serverCert: pki.node.crt, serverKey: pki.node.key, ca: pki.ca });
  await createRoles(server, ['alice']);
  runtime = await createRuntime('cli', { CRDB_TLS_STATE_DIR: path.join(pki.dir, 'state'), CRDB_TLS_ROOTS: pki.dir }, pino({ level: 'silent' }));
  // The oracle: the server's version() read over its unix socket, without TLS or our code.
  const admin = new pg.Client({ host: server.dataDir, port: server.port, user: server.dbUser, database: 'postgres' });
  await admin.connect();
  serverVersion = (await admin.query<{ version: string }>('SELECT version()')).rows[0]!.version;
  await admin.end();
});

after(async () => {
  await server?.stop();
  await runtime?.close();
  pki?.dispose();
});

describe('test_connection against a TLS PostgreSQL with cert auth', () => {
  test('logs in as root with verify-full and the root certificate, and shows the server version', async () => {
    const { report, text } = await login({ url: url() });
    assert.equal(report.ok, true, JSON.stringify(report.error));
    assert.equal(report.server_version, serverVersion);
    assert.equal(report.current_user, 'root');
    assert.equal(report.tls?.protocol, 'TLSv1.3');
    assert.equal(report.code, null);
    assert.ok(text.includes(serverVersion), text);
  });

  test('the separate fields work like the URL (the names diagnose_error suggests in next_tools)', async () => {
    const { report } = await login({ host: '127.0.0.1', port: server.port, user: 'alice', database: 'postgres', sslmode: 'verify-full', ca: pki.ca, cert: pki.alice.crt, key: pki.alice.key });
    assert.equal(report.ok, true, JSON.stringify(report.error));
    assert.equal(report.current_user, 'alice');
  });

  test('a CA that did not sign the server certificate: untrusted_server_ca, from node-postgres\'s real error', async () => {
    const { report } = await login({ url: url({ ca: pki.otherCa }) });
    assert.equal(report.ok, false);
    assert.equal(report.code, 'untrusted_server_ca');
    assert.equal(report.error?.origin, 'driver');
    assert.match(report.error?.message ?? '', /self-signed certificate in certificate chain/);
    assert.ok((report.diagnosis?.fix_steps.length ?? 0) > 0);
  });

  test('alice\'s certificate used to log in as root: client_cert_user_mismatch', async () => {
    const { report } = await login({ url: url({ pair: pki.alice, user: 'root' }) });
    assert.equal(report.ok, false);
    assert.equal(report.code, 'client_cert_user_mismatch');
    assert.match(report.error?.message ?? '', /certificate authentication failed for user "root"/);
    assert.equal(report.error?.driver_code, '28000');
  });

  test('sslrootcert naming a file that does not exist: ca_file_missing, before any connection', async () => {
    const { report } = await login({ url: url({ ca: path.join(pki.dir, 'missing', 'ca.crt') }) });
    assert.equal(report.code, 'ca_file_missing');
    assert.equal(report.error?.origin, 'settings');
  });

  test('verify-ca accepts a certificate for another host name; verify-full refuses it (libpq semantics)', async () => {
    fsCopy(pki.nodeWrongHost);
    try {
      const full = await login({ url: url() });
      assert.equal(full.report.code, 'hostname_mismatch');
      const chainOnly = await login({ url: url({ sslmode: 'verify-ca' }) });
      assert.equal(chainOnly.report.ok, true, JSON.stringify(chainOnly.report.error));
      assert.equal(chainOnly.report.settings.server_verification, 'chain');
    } finally {
      fsCopy(pki.node);
    }
  });
});

describe('test_connection never shows the password', () => {
  test('in the structured result and the text, on success and on failure', async () => {
    for (const input of [url({ password: PASSWORD }), url({ password: PASSWORD, ca: pki.otherCa })]) {
      const { report, text } = await login({ url: input });
      const everything = JSON.stringify(report) + text;
      assert.ok(!everything.includes(PASSWORD) && !everything.includes(encodeURIComponent(PASSWORD)), 'the password is in the output');
      assert.equal(report.settings.has_password, true);
      assert.match(report.settings.redacted, /^postgresql:\/\/root:\*\*\*\*@127\.0\.0\.1:/);
    }
  });

  test('on the command line: stdout and stderr of test-connection --json and of the text output', () => {
    for (const json of [true, false]) {
      const result = runCli(['test-connection', url({ password: PASSWORD, ca: pki.otherCa }), ...(json ? ['--json'] : [])], { env: cliEnv({ CRDB_TLS_ROOTS: pki.dir }) });
      assert.equal(result.status, 1, result.stderr);
      const everything = result.stdout + result.stderr;
      assert.ok(everything.includes('untrusted_server_ca'), everything);
      assert.ok(!everything.includes(PASSWORD) && !everything.includes(encodeURIComponent(PASSWORD)), 'the password is in the CLI output');
    }
  });
});

/** Serves another certificate: PostgreSQL re-reads server.crt/server.key on reload. */
function fsCopy(pair: Pair) {
  for (const [from, to] of [[pair.crt, 'server.crt'], [pair.key, 'server.key']] as const) {
    fs.copyFileSync(from, path.join(server.dataDir, to));
  }
  server.reload();
}

describe('test_connection cancelled', () => {
  test('an AbortSignal ends a login to a server that never answers at once, as cancelled, and closes the connection', { timeout: 30_000 }, async () => {
    const silent = await startSilentListener();
    try {
      const controller = new AbortController();
      const ctx: ToolContext = { config: runtime.config, paths: runtime.paths, log: runtime.log, store: runtime.runner.store, requester: 'test', signal: controller.signal };
      // connect_timeout=600 outlasts the test's hang guard (30 s): only the abort can end the call.
      const call = runtime.runner.run(findTool('test_connection')!, { url: `postgresql://root@127.0.0.1:${silent.port}/postgres?sslmode=require&connect_timeout=600` }, ctx);
      for (let i = 0; i < 400 && silent.open() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      assert.ok(silent.open() > 0, 'the driver connected to the silent listener');
      controller.abort();
      const outcome = await call;
      assert.equal(!outcome.ok && outcome.error.code, 'cancelled', JSON.stringify(outcome));
      for (let i = 0; i < 40 && silent.open() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      assert.equal(silent.open(), 0, 'the driver\'s connection was closed');
    } finally {
      await silent.close();
    }
  });
});
