// A CA rotation across the whole overlap (reference §1.4; the docs' rotate-certificates recipe):
// the new CA goes first into a combined bundle, reaches the server's trust file and is loaded,
// the server certificate and then the client certificates are reissued by the new CA, and only
// then is the old CA removed. The "node" is a real PostgreSQL server (it trusts ca.crt in its
// data dir for client certificates and reloads it, with server.crt, on SIGHUP). After EVERY step
// the test checks that nobody is locked out: every client certificate in the certs dir logs in
// for real (the server checks it against what it has loaded; the client checks the server against
// certs/ca.crt), and openssl verifies every certificate against the file that trusts it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, runCliOk, type CliResult } from '../support/cli.js';
import { fingerprintOf, opensslResult, pemBlocks, subjectOf } from '../support/openssl.js';
import { createRoles, currentUserByCertificate, startTlsPostgres, type TlsPostgres } from '../support/postgres.js';
import { describeSkip } from '../support/system-tools.js';

interface Step { number: number; kind: string; mode: string; title: string; tool: { name: string; input: Record<string, unknown> } | null; blast_radius: { stops_trusted: string[] } }
const json = (result: CliResult) => JSON.parse(result.stdout) as Record<string, unknown>;

describe('a CA rotation by overlap never locks a client or the server out', { skip: describeSkip('openssl') }, () => {
  let tmp = '';
  let server: TlsPostgres;
  let data = '';
  let target = '';
  let planId = '';
  let steps: Step[] = [];
  let oldCaFingerprint = '';
  let oldAlice = { crt: '', key: '' };
  const at = (...parts: string[]) => path.join(tmp, ...parts);
  const cli = (...args: string[]) => runCli(args, { cwd: tmp });
  const cliOk = (...args: string[]) => runCliOk(args, { cwd: tmp });
  const checked: string[] = [];

  async function login(user: string, certFile: string, keyFile: string): Promise<void> {
    assert.equal(await currentUserByCertificate(server, { user, ca: at('certs/ca.crt'), cert: certFile, key: keyFile }), user);
  }

  const verifies = (caFile: string, certFile: string) => opensslResult(['verify', '-CAfile', caFile, certFile]);

  /** Nobody is locked out: every client certificate logs in, and every certificate verifies against what trusts it. */
  async function assertNoLockout(when: string): Promise<void> {
    for (const user of ['root', 'alice']) {
      const crt = at(`certs/client.${user}.crt`);
      const result = verifies(path.join(data, 'ca.crt'), crt);
      assert.equal(result.status, 0, `${when}: client.${user}.crt does not verify against the server's ca.crt: ${result.stdout}${result.stderr}`);
      await login(user, crt, at(`certs/client.${user}.key`)).catch((error: Error) => assert.fail(`${when}: ${user} is locked out: ${error.message}`));
    }
    const server = verifies(at('certs/ca.crt'), path.join(data, 'server.crt'));
    assert.equal(server.status, 0, `${when}: the server certificate does not verify against the clients' ca.crt: ${server.stdout}${server.stderr}`);
    checked.push(when);
  }

  async function applyStep(n: number): Promise<void> {
    const step = steps[n - 1]!;
    if (step.mode === 'local') {
      cliOk('rotate', 'apply', planId, '--step', String(n), '--yes');
    } else if (step.tool?.name === 'reload_node_certs') {
      const input = step.tool.input as { pidfile: string; host: string; port: number; ca?: string; expect_cert?: string; expect_same?: boolean };
      const result = json(cliOk('rotate', 'reload', '--pidfile', input.pidfile, '--host', `${input.host}:${input.port}`, ...(input.ca ? ['--ca', input.ca] : []), ...(input.expect_cert ? ['--expect-cert', input.expect_cert] : []), ...(input.expect_same ? ['--expect-same'] : []), '--timeout', '20s', '--yes', '--json'));
      assert.equal((result.result as { ok: boolean }).ok, true, `step ${n}: ${JSON.stringify(result.result)}`);
      cliOk('rotate', 'apply', planId, '--step', String(n), '--mark-done');
    } else {
      // move_clients: the "applications" here read the certs dir itself; verify is the final check.
      cliOk('rotate', 'apply', planId, '--step', String(n), '--mark-done');
    }
  }

  before(async () => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-ca-overlap-')));
    fs.mkdirSync(at('safe'), { mode: 0o700 });
    const signing = ['--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--yes'];
    // The CA expires in 60 days: due within the 90-day window. Leaves may not outlive it.
    cliOk('cert', 'create-ca', ...signing, '--lifetime', '1440h');
    cliOk('cert', 'create-client', 'root', ...signing, '--lifetime', '1200h');
    cliOk('cert', 'create-client', 'alice', ...signing, '--lifetime', '1200h');
    fs.mkdirSync(at('node'), { mode: 0o700 });
    fs.copyFileSync(at('certs/ca.crt'), at('node/ca.crt'));
    cliOk('cert', 'create-node', 'localhost', '127.0.0.1', '--certs-dir', 'node', '--ca-key', 'safe/ca.key', '--lifetime', '1200h', '--yes');
    server = await startTlsPostgres({ serverCert: at('node/node.crt'), serverKey: at('node/node.key'), ca: at('certs/ca.crt') });
    await createRoles(server, ['alice']);
    data = server.dataDir;
    target = `127.0.0.1:${server.port}`;
    oldCaFingerprint = fingerprintOf(at('certs/ca.crt'));
    fs.copyFileSync(at('certs/client.alice.crt'), at('alice-old.crt'));
    fs.copyFileSync(at('certs/client.alice.key'), at('alice-old.key'));
    oldAlice = { crt: at('alice-old.crt'), key: at('alice-old.key') };
  });

  after(async () => {
    await server?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('before the rotation, everyone logs in', async () => {
    await assertNoLockout('before the rotation');
  });

  test('the plan follows the overlap order: new CA, distribute, reload, node, reload, clients, move, remove, reload, verify', () => {
    const out = json(cliOk('rotate', 'plan', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--node-cert', path.join(data, 'server.crt'), '--node-key', path.join(data, 'server.key'),
      '--trust-file', path.join(data, 'ca.crt'), '--host', target, '--ca', 'certs/ca.crt', '--pidfile', path.join(data, 'postmaster.pid'), '--scope', 'ca', '--within', '90d', '--json'));
    const plan = out.plan as { id: string; steps: Step[] };
    planId = plan.id;
    steps = plan.steps;
    assert.deepEqual(steps.map((s) => s.kind), ['new_ca', 'distribute_trust', 'reload', 'reissue_node', 'reload', 'reissue_client', 'reissue_client', 'move_clients', 'remove_ca', 'reload', 'verify']);
    // Only the removal makes anything stop being trusted: the old CA and what it signed.
    const radius = steps.map((s) => s.blast_radius.stops_trusted.length > 0);
    assert.deepEqual(radius, steps.map((s) => s.kind === 'remove_ca'));
  });

  test('removing the old CA first is refused: steps go in order', () => {
    const removal = steps.find((s) => s.kind === 'remove_ca')!;
    const result = cli('rotate', 'apply', planId, '--step', String(removal.number), '--yes');
    assert.equal(result.status, 1);
    assert.match(result.stderr, /comes after step 1/);
  });

  test('at every step up to the removal, every client and the server still verify and log in', async () => {
    const removal = steps.find((s) => s.kind === 'remove_ca')!;
    for (const step of steps.filter((s) => s.number < removal.number)) {
      await applyStep(step.number);
      await assertNoLockout(`after step ${step.number} (${step.kind})`);
      if (step.kind === 'new_ca') {
        const bundle = pemBlocks(fs.readFileSync(at('certs/ca.crt'), 'utf8'));
        assert.equal(bundle.length, 2, 'the combined bundle holds the new and the old CA');
        assert.equal(fingerprintOf({ pem: bundle[1]! }), oldCaFingerprint, 'the old CA is kept, after the new one');
        assert.equal(subjectOf({ pem: bundle[0]! }), 'O = Cockroach, CN = Cockroach CA');
      }
    }
    // Every leaf is now signed by the new CA alone.
    const newCa = pemBlocks(fs.readFileSync(at('certs/ca.crt'), 'utf8'))[0]!;
    fs.writeFileSync(at('new-ca.pem'), newCa);
    for (const file of [at('certs/client.root.crt'), at('certs/client.alice.crt'), path.join(data, 'server.crt')]) {
      assert.equal(verifies(at('new-ca.pem'), file).status, 0, `${file} is signed by the new CA`);
    }
  });

  test('the removal is refused while a still-valid certificate signed by the old CA sits in the certs dir', () => {
    const removal = steps.find((s) => s.kind === 'remove_ca')!;
    fs.copyFileSync(oldAlice.crt, at('certs/client.stale.crt'));
    const result = cli('rotate', 'apply', planId, '--step', String(removal.number), '--yes');
    assert.equal(result.status, 1);
    assert.match(result.stderr, /cannot be removed yet/);
    assert.match(result.stderr, /client\.stale\.crt/);
    assert.equal(pemBlocks(fs.readFileSync(at('certs/ca.crt'), 'utf8')).length, 2, 'nothing was removed');
    fs.rmSync(at('certs/client.stale.crt'));
  });

  test('after the removal and the last reload, everyone still logs in, and only certificates from the old CA are refused', async () => {
    for (const step of steps.filter((s) => s.kind === 'remove_ca' || s.number > steps.find((x) => x.kind === 'remove_ca')!.number)) {
      await applyStep(step.number);
      await assertNoLockout(`after step ${step.number} (${step.kind})`);
    }
    for (const file of [at('certs/ca.crt'), path.join(data, 'ca.crt')]) {
      const bundle = pemBlocks(fs.readFileSync(file, 'utf8'));
      assert.equal(bundle.length, 1, `${file} holds the new CA only`);
      assert.notEqual(fingerprintOf({ pem: bundle[0]! }), oldCaFingerprint);
    }
    // The blast radius the plan stated: alice's old certificate no longer gets in.
    await assert.rejects(login('alice', oldAlice.crt, oldAlice.key));
    assert.equal(checked.length, steps.length + 1, `checked before the rotation and after each of the ${steps.length} steps`);
    const shown = json(cliOk('rotate', 'show', planId, '--json')) as { progress: { done: number; total: number } };
    assert.deepEqual(shown.progress, { done: steps.length, total: steps.length, next_step: null });
  });
});
