// A CA made the way most people make one — `openssl req -x509 -newkey rsa:2048 -nodes -subj
// /CN=kafka-ca`: basicConstraints CA:TRUE and no keyUsage — through every face that verifies a
// chain, as a person at a shell meets it (the real bundle in a child process). RFC 5280 §4.2.1.3
// and §6.1.4 (n): an absent keyUsage does not restrict, so the chain is accepted (as by `openssl
// verify`, Go and Java); a CA whose keyUsage lacks keyCertSign cannot sign, so its chain is refused
// with a structured error naming the missing bit. Both CAs and every certificate come from the real
// `openssl` CLI, never from our own code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloudApiStandin } from '../support/cloud-api-standin.js';
import { cliEnv, runCli, runCliAsync } from '../support/cli.js';
import { clusterId, makeCa } from '../support/cloud-pki.js';
import { openssl, opensslResult } from '../support/openssl.js';
import { startTlsPostgres, type TlsPostgres } from '../support/postgres.js';
import { startPgwireTlsServer, type FaultServer } from '../support/tls-faults.js';

const SECRET = 'CCDB1_defaultCaSecret_Qw2Er5Ty7Ui9Op1';
let tmp = '';
let postgres: TlsPostgres | undefined;
let refusingServer: FaultServer | undefined;
let standin: CloudApiStandin | undefined;
const file = (name: string) => path.join(tmp, name);
const env = (extra: NodeJS.ProcessEnv = {}) => cliEnv({ CRDB_TLS_STATE_DIR: file('state'), CRDB_TLS_ROOTS: tmp, HOME: file('home'), ...extra });

/** The CA `openssl req -x509` makes with the default config, or with a keyUsage that cannot sign. */
function makeOpensslCa(name: string, keyUsage?: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', file(`${name}.key`), '-out', file(`${name}.crt`), '-days', '365',
    ...(keyUsage ? ['-addext', `keyUsage=${keyUsage}`] : [])]);
}

/** A key and a certificate signed by CA `ca` the way a person does it: openssl req + openssl x509 -req. */
function issue(ca: string, name: string, subject: string, extensions: string): void {
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`)]);
  fs.writeFileSync(file(`${name}.ext`), extensions);
  openssl(['x509', '-req', '-in', file(`${name}.csr`), '-CA', file(`${ca}.crt`), '-CAkey', file(`${ca}.key`), '-days', '30', '-out', file(`${name}.crt`), '-extfile', file(`${name}.ext`)]);
  fs.chmodSync(file(`${name}.key`), 0o600);
}

const CLIENT_EXT = 'extendedKeyUsage=clientAuth\n';
const SERVER_EXT = 'extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n';
const MISSING_KEY_CERT_SIGN = /kafka-ca-nosign.*keyUsage \(digitalSignature, cRLSign\) lacks keyCertSign/;

before(async () => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-default-ca-')));
  fs.mkdirSync(file('home'));
  makeOpensslCa('kafka-ca');
  makeOpensslCa('kafka-ca-nosign', 'critical,digitalSignature,cRLSign');
  for (const ca of ['kafka-ca', 'kafka-ca-nosign']) {
    issue(ca, `${ca}.client`, '/CN=cdc', CLIENT_EXT);
    issue(ca, `${ca}.server`, '/O=Cockroach/CN=node', SERVER_EXT);
  }
  postgres = await startTlsPostgres({ serverCert: file('kafka-ca.server.crt'), serverKey: file('kafka-ca.server.key'), ca: file('kafka-ca.crt') });
  refusingServer = await startPgwireTlsServer({ crt: file('kafka-ca-nosign.server.crt'), key: file('kafka-ca-nosign.server.key') } as Parameters<typeof startPgwireTlsServer>[0]);
  standin = await CloudApiStandin.start(SECRET);
});

after(async () => {
  await postgres?.stop();
  await refusingServer?.close();
  await standin?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the CAs as openssl made them (the premise of every test below)', () => {
  test('the default CA has CA:TRUE and no keyUsage; the other a keyUsage without keyCertSign; openssl verify agrees with what follows', () => {
    const defaultCa = openssl(['x509', '-noout', '-text', '-in', file('kafka-ca.crt')]);
    assert.match(defaultCa, /CA:TRUE/);
    assert.doesNotMatch(defaultCa, /X509v3 Key Usage/);
    const noSign = openssl(['x509', '-noout', '-ext', 'keyUsage', '-in', file('kafka-ca-nosign.crt')]);
    assert.match(noSign, /Digital Signature, CRL Sign/);
    assert.doesNotMatch(noSign, /Certificate Sign/);
    assert.equal(opensslResult(['verify', '-purpose', 'sslclient', '-CAfile', file('kafka-ca.crt'), file('kafka-ca.client.crt')]).status, 0);
    assert.notEqual(opensslResult(['verify', '-purpose', 'sslclient', '-CAfile', file('kafka-ca-nosign.crt'), file('kafka-ca-nosign.client.crt')]).status, 0);
  });
});

describe('changefeed-uri encode', () => {
  const encode = (ca: string) => runCli(['changefeed-uri', 'encode', '--sink', 'kafka://broker.example.com:9093', '--ca', `${ca}.crt`, '--cert', `${ca}.client.crt`, '--key', `${ca}.client.key`, '--json'], { cwd: tmp, env: env() });
  interface Encoded { encoded: boolean; problems: Array<{ code: string; severity: string; message: string; fix: string }> }

  test('encodes a client certificate signed by the openssl-default CA, with no chain problem', () => {
    const result = encode('kafka-ca');
    assert.equal(result.status, 0, result.stderr);
    const out = JSON.parse(result.stdout) as Encoded;
    assert.equal(out.encoded, true);
    assert.deepEqual(out.problems.filter((p) => p.severity === 'error'), []);
  });

  test('refuses one signed by a CA whose keyUsage lacks keyCertSign: exit 1, client_cert_chain_invalid naming the missing bit and the fix', () => {
    const result = encode('kafka-ca-nosign');
    assert.equal(result.status, 1, result.stderr);
    const out = JSON.parse(result.stdout) as Encoded;
    assert.equal(out.encoded, false);
    const problem = out.problems.find((p) => p.code === 'client_cert_chain_invalid');
    assert.ok(problem, JSON.stringify(out.problems));
    assert.match(problem.message, MISSING_KEY_CERT_SIGN);
    assert.match(problem.fix, /keyCertSign/);
    assert.match(result.stderr, /^crdb-tls: not encoded: client_cert_chain_invalid/m);
    assert.ok(!result.stderr.includes('    at '), 'a stack trace');
  });
});

describe('cert inspect --ca', () => {
  const inspect = (ca: string, cert: string) => runCli(['cert', 'inspect', file(`${ca}.${cert}.crt`), '--ca', file(`${ca}.crt`), '--json'], { env: env() });
  interface Inspected { chain: { verified: boolean; error?: string; path: string[] } }

  test('verifies client and node certificates signed by the openssl-default CA', () => {
    for (const cert of ['client', 'server']) {
      const result = inspect('kafka-ca', cert);
      assert.equal(result.status, 0, result.stderr);
      const out = JSON.parse(result.stdout) as Inspected;
      assert.equal(out.chain.verified, true, out.chain.error);
      assert.equal(out.chain.path.at(-1), 'CN=kafka-ca');
    }
    const text = runCli(['cert', 'inspect', file('kafka-ca.client.crt'), '--ca', file('kafka-ca.crt')], { env: env() });
    assert.match(text.stdout, /Chain: verified against/);
  });

  test('says NOT verified, exit 1, naming the missing keyCertSign, for the CA that cannot sign', () => {
    const result = inspect('kafka-ca-nosign', 'client');
    assert.equal(result.status, 1, result.stderr);
    const out = JSON.parse(result.stdout) as Inspected;
    assert.equal(out.chain.verified, false);
    assert.match(out.chain.error ?? '', /^invalid CA certificate: /);
    assert.match(out.chain.error ?? '', MISSING_KEY_CERT_SIGN);
    const text = runCli(['cert', 'inspect', file('kafka-ca-nosign.client.crt'), '--ca', file('kafka-ca-nosign.crt')], { env: env() });
    assert.match(text.stdout, /Chain: NOT verified against .*lacks keyCertSign/);
  });
});

describe('probe --ca', () => {
  interface Probed { ok: boolean; code: string | null; verification: { verified: boolean | null; error: string | null }; client_certificate: { accepted: boolean | null } }

  test('a real TLS PostgreSQL serving a node certificate of the openssl-default CA: chain verified, and a client certificate of the same CA logs in', async () => {
    const result = await runCliAsync(['probe', `127.0.0.1:${postgres!.port}`, '--ca', file('kafka-ca.crt'), '--cert', file('kafka-ca.client.crt'), '--key', file('kafka-ca.client.key'), '--user', 'cdc', '--database', 'postgres', '--json'], { env: env() });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const out = JSON.parse(result.stdout) as Probed;
    assert.equal(out.ok, true);
    assert.equal(out.verification.verified, true, out.verification.error ?? '');
    // PostgreSQL (OpenSSL) verified the client certificate's chain against the same CA and let cdc in.
    assert.equal(out.client_certificate.accepted, true, result.stdout);
  });

  test('a server whose certificate comes from the CA that cannot sign: exit 1, verification failed naming keyCertSign', async () => {
    const result = await runCliAsync(['probe', `127.0.0.1:${refusingServer!.port}`, '--ca', file('kafka-ca-nosign.crt'), '--json'], { env: env() });
    assert.equal(result.status, 1, result.stderr);
    const out = JSON.parse(result.stdout) as Probed;
    assert.equal(out.ok, false);
    assert.equal(out.verification.verified, false);
    assert.match(out.verification.error ?? '', MISSING_KEY_CERT_SIGN);
    assert.ok(out.code, 'a diagnosis code');
  });
});

describe('cloud client-ca set (the Client CA checks)', () => {
  const set = (id: string, ca: string, extra: string[] = []) => runCliAsync(['cloud', 'client-ca', 'set', id, '--cert-file', `${ca}.crt`, '--verify-client-cert', `${ca}.client.crt`, '--json', ...extra],
    { cwd: tmp, env: env({ COCKROACH_SERVER: standin!.url, COCKROACH_API_KEY: SECRET, COCKROACH_API_KEY_FILE: '' }) });

  test('uploads the openssl-default CA, and the client certificate it signed verifies against it (no warning)', async () => {
    const id = clusterId();
    standin!.addCluster({ id, plan: 'ADVANCED', caPem: makeCa('Cluster CA').pem, pendingPolls: 0 });
    const dry = await set(id, 'kafka-ca', ['--dry-run']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.doesNotMatch(dry.stdout, /would not verify/);
    const run = await set(id, 'kafka-ca', ['--yes', '--timeout', '30s']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { status: string }).status, 'done');
    assert.equal(standin!.clientCa(id).status, 'IS_SET');
  });

  test('refuses the CA whose keyUsage lacks keyCertSign before sending anything: invalid_certificate with a fix', async () => {
    const id = clusterId();
    standin!.addCluster({ id, plan: 'ADVANCED', caPem: makeCa('Cluster CA').pem, pendingPolls: 0 });
    const run = await set(id, 'kafka-ca-nosign', ['--yes']);
    assert.equal(run.status, 1, run.stderr);
    const out = JSON.parse(run.stdout) as { error: { code: string; message: string; hint: string } };
    assert.equal(out.error.code, 'invalid_certificate');
    assert.match(out.error.message, /cannot sign certificates/);
    assert.match(out.error.message, MISSING_KEY_CERT_SIGN);
    assert.match(out.error.hint, /keyCertSign/);
    assert.deepEqual(standin!.writes().filter((w) => w.path.includes(id)), []);
    assert.equal(standin!.clientCa(id).status, 'NOT_SET');
  });
});
