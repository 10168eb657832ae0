// A whole rotation against a real PostgreSQL server, the stand-in for a CockroachDB node: like a
// node, it reloads its TLS files on SIGHUP (to the postmaster; the pid is line 1 of
// <data dir>/postmaster.pid). The "node" files are the data dir's server.crt / server.key, named
// to the plan with --node-cert / --node-key and replaced in place: started by root, PostgreSQL
// runs as the postgres OS user and refuses a key it does not own, so the atomic replace must keep
// owner, group and mode. Everything goes through the real CLI bundle; what the server serves is
// read with `openssl s_client -starttls postgres`, and logins use the real `pg` client.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, runCliOk, type CliResult } from '../support/cli.js';
import { fingerprintOf, openssl, opensslResult, pemBlocks, validityOf } from '../support/openssl.js';
import { currentUserByCertificate, startTlsPostgres, type TlsPostgres } from '../support/postgres.js';
import { describeSkip } from '../support/system-tools.js';

const DAY_MS = 86_400_000;
const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const ownerOf = (file: string) => {
  const stat = fs.statSync(file);
  return { uid: stat.uid, gid: stat.gid, mode: stat.mode & 0o7777 };
};

interface Json { [key: string]: unknown }
const json = (result: CliResult): Json => JSON.parse(result.stdout) as Json;

describe('rotating a node certificate end to end against a PostgreSQL server that reloads on SIGHUP', { skip: describeSkip('openssl') }, () => {
  let tmp = '';
  let server: TlsPostgres;
  let serverCrt = '';
  let serverKey = '';
  let pidfile = '';
  let target = '';
  let planId = '';
  let plan: { steps: Array<{ number: number; kind: string; mode: string; severity: string; action: Json | null; tool: { name: string; input: Json } | null }> };
  const at = (...parts: string[]) => path.join(tmp, ...parts);
  const cli = (...args: string[]) => runCli(args, { cwd: tmp });
  const cliOk = (...args: string[]) => runCliOk(args, { cwd: tmp });
  const original: Record<string, Buffer> = {};
  let originalOwner: Record<string, ReturnType<typeof ownerOf>> = {};

  /** What the server presents right now, read by openssl (not by crdb-tls). */
  function servedFingerprint(): string {
    const result = opensslResult(['s_client', '-starttls', 'postgres', '-connect', target, '-servername', 'localhost'], { input: '' });
    const [leaf] = pemBlocks(result.stdout);
    assert.ok(leaf, `openssl s_client read no certificate from ${target}: ${result.stderr}`);
    return fingerprintOf({ pem: leaf });
  }

  const loginAs = (user: string, certFile: string, keyFile: string) => currentUserByCertificate(server, { user, ca: at('certs/ca.crt'), cert: certFile, key: keyFile });

  before(async () => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-rotation-e2e-')));
    fs.mkdirSync(at('safe'), { mode: 0o700 });
    const signing = ['--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--yes'];
    cliOk('cert', 'create-ca', ...signing);
    // The client certificate expires in 25 days, the server certificate in 10: both due within 30 days.
    cliOk('cert', 'create-client', 'root', ...signing, '--lifetime', '600h');
    fs.mkdirSync(at('node'), { mode: 0o700 });
    fs.copyFileSync(at('certs/ca.crt'), at('node/ca.crt'));
    cliOk('cert', 'create-node', 'localhost', '127.0.0.1', '--certs-dir', 'node', '--ca-key', 'safe/ca.key', '--lifetime', '240h', '--yes');
    server = await startTlsPostgres({ serverCert: at('node/node.crt'), serverKey: at('node/node.key'), ca: at('certs/ca.crt') });
    serverCrt = path.join(server.dataDir, 'server.crt');
    serverKey = path.join(server.dataDir, 'server.key');
    pidfile = path.join(server.dataDir, 'postmaster.pid');
    target = `127.0.0.1:${server.port}`;
    for (const file of [serverCrt, serverKey, at('certs/client.root.crt'), at('certs/client.root.key')]) original[file] = fs.readFileSync(file);
    originalOwner = { [serverCrt]: ownerOf(serverCrt), [serverKey]: ownerOf(serverKey) };
  });

  after(async () => {
    await server?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the inventory shows the certificate the server serves expiring within 10 days, and rotate check exits 1', () => {
    const startedBefore = Date.now();
    const result = cli('rotate', 'check', '--certs-dir', 'certs', '--file', serverCrt, '--host', target, '--ca', 'certs/ca.crt', '--within', '30d', '--json');
    const endedAfter = Date.now();
    assert.equal(result.status, 1, result.stderr);
    const report = json(result) as { result: string; due: Array<{ source: string; what: string; days_left: number; status: string; sha256_fingerprint: string }> };
    assert.equal(report.result, 'due');
    const served = report.due.find((i) => i.source === 'node');
    assert.ok(served, 'the served certificate is due');
    assert.equal(served.sha256_fingerprint, fingerprintOf(serverCrt));
    // Days left as of a moment of the run: bounded by the clocks read before it started and after it ended.
    const daysLeftAt = (now: number) => Math.floor((validityOf(serverCrt).notAfter.getTime() - now) / DAY_MS);
    assert.ok(served.days_left >= daysLeftAt(endedAfter) && served.days_left <= daysLeftAt(startedBefore), `days_left ${served.days_left}`);
    assert.equal(served.status, 'fail', 'under 30 days is fail');
    assert.ok(report.due.some((i) => i.source === 'certs_dir' && i.what.includes('client.root.crt')), 'the client certificate is due too');
  });

  test('the plan reissues the server certificate in place, reloads the postmaster, then reissues the client certificate', () => {
    const result = cliOk('rotate', 'plan', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--node-cert', serverCrt, '--node-key', serverKey, '--host', target, '--ca', 'certs/ca.crt', '--pidfile', pidfile, '--within', '30d', '--json');
    const out = json(result) as { plan: typeof plan & { id: string } };
    plan = out.plan;
    planId = out.plan.id;
    assert.match(planId, /^rp_/);
    assert.deepEqual(plan.steps.map((s) => s.kind), ['reissue_node', 'reload', 'reissue_client', 'move_clients', 'verify']);
    assert.deepEqual(plan.steps.map((s) => s.mode), ['local', 'tool', 'local', 'manual', 'manual']);
    assert.equal(plan.steps[0]!.action?.cert, serverCrt);
    assert.equal(plan.steps[0]!.action?.key, serverKey);
    assert.deepEqual(plan.steps[0]!.action?.hosts, ['localhost', '127.0.0.1'], 'the SANs of the current certificate are kept');
    assert.equal(plan.steps[1]!.tool?.name, 'reload_node_certs');
    assert.equal(plan.steps[1]!.tool?.input.expect_cert, serverCrt);
    assert.equal(plan.steps[0]!.severity, 'high');
    // The checklist for people names the same plan and steps.
    const shown = cliOk('rotate', 'show', planId).stdout;
    assert.match(shown, new RegExp(`\\[ \\] 1\\. Reissue the node certificate ${serverCrt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(shown, /\[ \] 2\. Reload the node at 127\.0\.0\.1:\d+ \(SIGHUP/);
  });

  test('a step out of order, or a tool step, is refused and changes nothing', () => {
    const outOfOrder = cli('rotate', 'apply', planId, '--step', '3', '--yes');
    assert.equal(outOfOrder.status, 1);
    assert.match(outOfOrder.stderr, /comes after step 1/);
    const toolStep = cli('rotate', 'apply', planId, '--step', '2', '--yes');
    assert.equal(toolStep.status, 1);
    assert.match(toolStep.stderr, /tool step/);
    assert.deepEqual(fs.readFileSync(serverCrt), original[serverCrt]);
  });

  test('without --yes the high-severity replacement waits for confirmation and changes nothing', () => {
    const result = cli('rotate', 'apply', planId, '--step', '1');
    assert.equal(result.status, 1);
    assert.match(result.stderr, /high-severity change needs confirmation/);
    assert.deepEqual(fs.readFileSync(serverCrt), original[serverCrt]);
    assert.deepEqual(fs.readFileSync(serverKey), original[serverKey]);
  });

  test('apply replaces server.crt and server.key with backups, keeping the postgres owner and the modes; the server still serves the old certificate until reloaded', () => {
    const before = servedFingerprint();
    const result = cliOk('rotate', 'apply', planId, '--step', '1', '--yes', '--json');
    const out = json(result) as { status: string; result: { files: Array<{ path: string; action: string; backup: string }> } };
    assert.equal(out.status, 'done');
    assert.notDeepEqual(fs.readFileSync(serverCrt), original[serverCrt]);
    assert.notDeepEqual(fs.readFileSync(serverKey), original[serverKey]);
    for (const file of [serverCrt, serverKey]) {
      assert.deepEqual(ownerOf(file), originalOwner[file], `${file} keeps owner, group and mode`);
      const entry = out.result.files.find((f) => f.path === file);
      assert.equal(entry?.action, 'replaced');
      assert.deepEqual(fs.readFileSync(entry!.backup), original[file], `the backup of ${file} holds the old bytes`);
      assert.equal(ownerOf(entry!.backup).mode, 0o600, 'backups are readable by their owner only');
    }
    // openssl agrees the new certificate is signed by the CA and that the key is its partner.
    assert.match(openssl(['verify', '-CAfile', at('certs/ca.crt'), serverCrt]), /OK/);
    assert.equal(openssl(['x509', '-noout', '-pubkey', '-in', serverCrt]), openssl(['pkey', '-pubout', '-in', serverKey]));
    assert.equal(servedFingerprint(), before, 'PostgreSQL keeps serving the old certificate until SIGHUP');
  });

  test('marking the reload done before it happened is refused: the node still serves the old certificate', () => {
    const result = cli('rotate', 'apply', planId, '--step', '2', '--mark-done');
    assert.equal(result.status, 1);
    assert.match(result.stderr, /still serves/);
  });

  test('reload without --yes is a medium-severity change that waits; with --yes it signals the postmaster and the probe sees the new fingerprint', () => {
    const args = ['rotate', 'reload', '--pidfile', pidfile, '--host', target, '--ca', 'certs/ca.crt', '--expect-cert', serverCrt, '--timeout', '20s'];
    const waiting = cli(...args);
    assert.equal(waiting.status, 1);
    assert.match(waiting.stderr, /medium-severity change needs confirmation/);
    assert.notEqual(servedFingerprint(), fingerprintOf(serverCrt), 'nothing was signalled');

    const result = cliOk(...args, '--yes', '--json');
    const report = (json(result) as { result: { ok: boolean; outcome: string; pid: number; after: { sha256_fingerprint: string }; before: { sha256_fingerprint: string } } }).result;
    assert.equal(report.ok, true);
    assert.equal(report.outcome, 'reloaded');
    assert.equal(report.pid, Number(fs.readFileSync(pidfile, 'utf8').split('\n')[0]));
    assert.equal(report.after.sha256_fingerprint, fingerprintOf(serverCrt));
    assert.equal(report.before.sha256_fingerprint, fingerprintOf({ pem: original[serverCrt]!.toString('utf8') }));
    assert.equal(servedFingerprint(), fingerprintOf(serverCrt), 'openssl sees the new certificate too');
    cliOk('rotate', 'apply', planId, '--step', '2', '--mark-done');
  });

  test('after the client certificate is reissued, the real pg client logs in with it', async () => {
    const out = json(cliOk('rotate', 'apply', planId, '--step', '3', '--yes', '--json')) as { status: string };
    assert.equal(out.status, 'done');
    assert.notDeepEqual(fs.readFileSync(at('certs/client.root.crt')), original[at('certs/client.root.crt')]);
    assert.equal(ownerOf(at('certs/client.root.key')).mode, 0o600);
    assert.equal(await loginAs('root', at('certs/client.root.crt'), at('certs/client.root.key')), 'root');
    const daysLeft = (validityOf(at('certs/client.root.crt')).notAfter.getTime() - Date.now()) / DAY_MS;
    assert.ok(daysLeft > 365, `the new client certificate lives long (${daysLeft.toFixed(0)} days)`);
  });

  test('rollback restores the previous files, latest step first, and after a reload the server serves the old certificate again', async () => {
    const steps = [3, 2, 1].map(() => (json(cliOk('rotate', 'rollback', planId, '--yes', '--json')) as { result: { step: { number: number }; restored: string[] } }).result);
    assert.deepEqual(steps.map((s) => s.step.number), [3, 2, 1]);
    assert.deepEqual(fs.readFileSync(at('certs/client.root.crt')), original[at('certs/client.root.crt')]);
    assert.deepEqual(fs.readFileSync(at('certs/client.root.key')), original[at('certs/client.root.key')]);
    assert.deepEqual(fs.readFileSync(serverCrt), original[serverCrt]);
    assert.deepEqual(fs.readFileSync(serverKey), original[serverKey]);
    for (const file of [serverCrt, serverKey]) assert.deepEqual(ownerOf(file), originalOwner[file], `${file} keeps owner, group and mode after the rollback`);
    assert.equal(sha256(serverCrt), crypto.createHash('sha256').update(original[serverCrt]!).digest('hex'));

    const reload = json(cliOk('rotate', 'reload', '--pidfile', pidfile, '--host', target, '--expect-cert', serverCrt, '--timeout', '20s', '--yes', '--json')) as { result: { ok: boolean } };
    assert.equal(reload.result.ok, true);
    assert.equal(servedFingerprint(), fingerprintOf(serverCrt));
    assert.equal(servedFingerprint(), fingerprintOf({ pem: original[serverCrt]!.toString('utf8') }));
    // The old client certificate logs in again too.
    assert.equal(await loginAs('root', at('certs/client.root.crt'), at('certs/client.root.key')), 'root');
    const shown = json(cliOk('rotate', 'show', planId, '--json')) as { steps: Array<{ state: { status: string } }> };
    assert.deepEqual(shown.steps.slice(0, 3).map((s) => s.state.status), ['rolled_back', 'rolled_back', 'rolled_back']);
  });
});
