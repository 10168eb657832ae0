// `crdb-tls probe` and `crdb-tls test-connection` as a person or a script runs them (the real
// bundle in a child process). Exit codes, as documented in --help: 0 the probe found nothing wrong
// (TLS, verified chain, matching host name, accepted client certificate) / the login worked; 1 a
// fault was found (named with its diagnosis code) or the login failed; 2 bad usage.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliEnv, runCli } from '../support/cli.js';
import { startTlsPostgres, type TlsPostgres } from '../support/postgres.js';
import { closedPort, makeFaultPki, type FaultPki } from '../support/tls-faults.js';

let pki: FaultPki;
let server: TlsPostgres;
const env = () => cliEnv({ CRDB_TLS_ROOTS: pki.dir });

before(async () => {
  pki = await makeFaultPki();
  server = await startTlsPostgres({ serverCert: pki.node.crt, serverKey: pki.node.key, ca: pki.ca });
});

after(async () => {
  await server?.stop();
  pki?.dispose();
});

describe('crdb-tls probe', () => {
  test('exits 0 when TLS works, the chain verifies, the host name matches and the client certificate is accepted', () => {
    const result = runCli(['probe', `127.0.0.1:${server.port}`, '--ca', pki.ca, '--cert', pki.root.crt, '--key', pki.root.key, '--database', 'postgres'], { env: env() });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^OK /);
    assert.match(result.stdout, /client certificate: accepted/);
  });

  test('exits 1 with the diagnosis code when the CA does not verify the server, and --json prints the report', () => {
    const result = runCli(['probe', `127.0.0.1:${server.port}`, '--ca', pki.otherCa, '--json'], { env: env() });
    assert.equal(result.status, 1, result.stderr);
    const report = JSON.parse(result.stdout) as { ok: boolean; code: string; pgwire: { answer: string } };
    assert.equal(report.ok, false);
    assert.equal(report.code, 'untrusted_server_ca');
    assert.equal(report.pgwire.answer, 'S');
  });

  test('exits 1 for a closed port, within the --timeout it was given', async () => {
    const port = await closedPort();
    const result = runCli(['probe', `127.0.0.1:${port}`, '--timeout', '1000'], { env: env(), timeoutMs: 10_000 });
    assert.equal(result.status, 1);
    assert.match(result.stdout, /connection_dropped/);
  });

  test('a private key is never printed', () => {
    const result = runCli(['probe', `127.0.0.1:${server.port}`, '--ca', pki.ca, '--cert', pki.root.crt, '--key', pki.root.key, '--json'], { env: env() });
    assert.ok(!result.stdout.includes('PRIVATE KEY') && !result.stderr.includes('PRIVATE KEY'));
  });

  for (const [why, args] of [
    ['no target', ['probe']],
    ['a port that is not a number', ['probe', 'db.example.com:abc']],
    ['a port out of range', ['probe', 'db.example.com:99999']],
    ['--cert without --key', ['probe', 'db.example.com', '--cert', 'client.root.crt']],
    ['a timeout that is not milliseconds', ['probe', 'db.example.com', '--timeout', '5s']],
    ['an unknown flag', ['probe', 'db.example.com', '--insecure']],
    ['an unknown client', ['probe', 'db.example.com', '--client', 'mysql']],
  ] as const) {
    test(`exits 2 (usage) for ${why}, with one line on stderr`, () => {
      const result = runCli([...args], { env: env() });
      assert.equal(result.status, 2, result.stdout + result.stderr);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /^crdb-tls: /);
    });
  }
});

describe('crdb-tls test-connection', () => {
  const url = (ca: string) => `postgresql://root@127.0.0.1:${server.port}/postgres?sslmode=verify-full&sslrootcert=${ca}&sslcert=${pki.root.crt}&sslkey=${pki.root.key}`;

  test('exits 0 and prints the server version when the login works', () => {
    const result = runCli(['test-connection', url(pki.ca)], { env: env() });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /PostgreSQL \d+/);
  });

  test('exits 1 with the diagnosis when it fails', () => {
    const result = runCli(['test-connection', url(pki.otherCa), '--json'], { env: env() });
    assert.equal(result.status, 1);
    assert.equal((JSON.parse(result.stdout) as { code: string }).code, 'untrusted_server_ca');
  });

  test('exits 2 without a URL, and for an sslmode libpq does not know', () => {
    assert.equal(runCli(['test-connection'], { env: env() }).status, 2);
    assert.equal(runCli(['test-connection', url(pki.ca), '--sslmode', 'verify-everything'], { env: env() }).status, 2);
  });
});
