// A CA rotation with the files clients derive from a client certificate present: client.alice.p12
// (DBeaver, Java keystores, .NET), client.alice.key.pk8 (PKCS#8 DER, classic pgJDBC) and
// client.alice.key.pem (PKCS#8 PEM, pgJDBC >= 42.7.9). The rotation must carry every one of them
// over to the new CA — the keys with the reissue step, the .p12 (which needs its password) by a
// manual step whose printed openssl command is run here as a person would, typing the password —
// and refuse to drop the old CA while a .p12 still holds what it signed. At the end every derived
// file is checked with openssl against the new bundle, which holds the new CA only.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, runCliOk, type CliResult } from '../support/cli.js';
import { fingerprintOf, openssl, opensslResult, pemBlocks } from '../support/openssl.js';
import { describeSkip } from '../support/system-tools.js';

interface Step { number: number; kind: string; mode: string; commands: string[] }
interface Finding { rule: string; level: string; message: string }
const json = (result: CliResult) => JSON.parse(result.stdout) as Record<string, unknown>;
const PASSWORD = 'alice-p12-secret';

describe('a CA rotation carries client.USER.p12, .key.pk8 and .key.pem over to the new CA', { skip: describeSkip('openssl') }, () => {
  let tmp = '';
  let planId = '';
  let steps: Step[] = [];
  let oldCa = '';
  const at = (...parts: string[]) => path.join(tmp, ...parts);
  const cli = (...args: string[]) => runCli(args, { cwd: tmp });
  const cliOk = (...args: string[]) => runCliOk(args, { cwd: tmp });
  const p12 = () => at('certs/client.alice.p12');
  const pubkeyOfCert = (file: string) => openssl(['x509', '-noout', '-pubkey', '-in', file]);
  const findingsFor = (file: string) => {
    const listing = json(cliOk('cert', 'list', '--certs-dir', 'certs', '--json')) as { rows: Array<{ certificate_file: string; findings: Finding[] }> };
    return listing.rows.find((r) => r.certificate_file === file)!.findings;
  };
  /** The certificates of the .p12, as openssl reads them with the password. */
  const p12Certificates = () => pemBlocks(openssl(['pkcs12', '-in', p12(), '-nokeys', '-passin', `pass:${PASSWORD}`]));

  /** The printed `openssl pkcs12 -export ...`, run as printed; the person types the export password twice. */
  function runPrintedOpenssl(command: string): void {
    assert.doesNotMatch(command, /['"\\$`|;&]/, `a plain command: ${command}`);
    const [program, ...args] = command.split(/\s+/);
    assert.equal(program, 'openssl');
    // Without a terminal (setsid), openssl reads the prompted password from stdin.
    const result = spawnSync('setsid', ['openssl', ...args], { cwd: tmp, input: `${PASSWORD}\n${PASSWORD}\n`, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
  }

  before(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-derived-')));
    fs.mkdirSync(at('safe'), { mode: 0o700 });
    fs.writeFileSync(at('p12-password'), `${PASSWORD}\n`, { mode: 0o600 });
    const signing = ['--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--yes'];
    // The CA expires in 60 days (due within 90); leaves may not outlive it.
    cliOk('cert', 'create-ca', ...signing, '--lifetime', '1440h');
    cliOk('cert', 'create-node', 'localhost', '127.0.0.1', ...signing, '--lifetime', '1200h');
    cliOk('cert', 'create-client', 'alice', ...signing, '--lifetime', '1200h', '--also-generate-pkcs8-key', '--also-generate-pkcs12', '--p12-password-file', 'p12-password');
    openssl(['pkcs8', '-topk8', '-nocrypt', '-in', at('certs/client.alice.key'), '-out', at('certs/client.alice.key.pem')]);
    fs.chmodSync(at('certs/client.alice.key.pem'), 0o600);
    oldCa = fingerprintOf(at('certs/ca.crt'));
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('before the rotation, cert list finds every derived file in step with client.alice.crt', () => {
    const derived = findingsFor('client.alice.crt').filter((f) => f.rule.startsWith('derived_file'));
    assert.deepEqual(derived, []);
  });

  test('the plan rewrites the .pk8 and .key.pem with the new key and names the .p12 as its own manual step', () => {
    const out = json(cliOk('rotate', 'plan', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--scope', 'ca', '--within', '90d', '--json'));
    const plan = out.plan as { id: string; steps: Array<Step & { action: Record<string, unknown> | null }> };
    planId = plan.id;
    steps = plan.steps;
    const reissue = plan.steps.find((s) => s.kind === 'reissue_client')!;
    assert.equal(reissue.action?.pkcs8, at('certs/client.alice.key.pk8'));
    assert.equal(reissue.action?.pkcs8_pem, at('certs/client.alice.key.pem'));
    const rebuild = plan.steps.find((s) => s.kind === 'rebuild_pkcs12')!;
    assert.equal(rebuild.number, reissue.number + 1, 'right after the reissue');
    assert.equal(rebuild.mode, 'manual');
    assert.match(rebuild.commands[0]!, /^openssl pkcs12 -export .*-chain -CAfile \S+ca\.crt/);
    assert.ok(rebuild.number < plan.steps.find((s) => s.kind === 'remove_ca')!.number, 'before the old CA goes');
  });

  test('after the reissue, cert list flags the .p12 still holding the old certificate, and marking its step done is refused', () => {
    const rebuild = steps.find((s) => s.kind === 'rebuild_pkcs12')!;
    for (const step of steps.filter((s) => s.number < rebuild.number)) {
      if (step.mode === 'local') cliOk('rotate', 'apply', planId, '--step', String(step.number), '--yes');
      else cliOk('rotate', 'apply', planId, '--step', String(step.number), '--mark-done');
    }
    const findings = findingsFor('client.alice.crt');
    const flagged = findings.filter((f) => f.rule === 'derived_file_mismatch');
    assert.equal(flagged.length, 1, JSON.stringify(findings));
    assert.match(flagged[0]!.message, /client\.alice\.p12 holds O=Cockroach, CN=alice .* not the certificate in client\.alice\.crt/);
    assert.equal(flagged[0]!.level, 'error');
    const early = cli('rotate', 'apply', planId, '--step', String(rebuild.number), '--mark-done');
    assert.equal(early.status, 1);
    assert.match(early.stderr, /client\.alice\.p12 holds/);
  });

  test('the printed openssl command makes the .p12 again; then its step is marked done and cert list is clean', () => {
    const rebuild = steps.find((s) => s.kind === 'rebuild_pkcs12')!;
    const staleCopy = fs.readFileSync(p12());
    runPrintedOpenssl(rebuild.commands[0]!);
    assert.equal(fs.statSync(p12()).mode & 0o777, 0o600, 'the rewritten .p12 keeps mode 0600');
    cliOk('rotate', 'apply', planId, '--step', String(rebuild.number), '--mark-done');
    assert.deepEqual(findingsFor('client.alice.crt').filter((f) => f.rule.startsWith('derived_file')), []);
    fs.writeFileSync(at('stale-alice.p12'), staleCopy, { mode: 0o600 });
  });

  test('the removal of the old CA is refused while a .p12 still holds a certificate it signed', () => {
    const removal = steps.find((s) => s.kind === 'remove_ca')!;
    for (const step of steps.filter((s) => s.number < removal.number && s.kind !== 'rebuild_pkcs12' && s.number > steps.find((x) => x.kind === 'rebuild_pkcs12')!.number)) {
      if (step.mode === 'local') cliOk('rotate', 'apply', planId, '--step', String(step.number), '--yes');
      else cliOk('rotate', 'apply', planId, '--step', String(step.number), '--mark-done');
    }
    const rebuilt = fs.readFileSync(p12());
    fs.copyFileSync(at('stale-alice.p12'), p12());
    const refused = cli('rotate', 'apply', planId, '--step', String(removal.number), '--yes');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /cannot be removed yet/);
    assert.match(refused.stderr, /client\.alice\.p12/);
    assert.equal(pemBlocks(fs.readFileSync(at('certs/ca.crt'), 'utf8')).length, 2, 'nothing was removed');
    fs.writeFileSync(p12(), rebuilt);
  });

  test('after the old CA is removed, every derived file verifies against the new bundle (openssl)', () => {
    const removal = steps.find((s) => s.kind === 'remove_ca')!;
    for (const step of steps.filter((s) => s.number >= removal.number)) {
      if (step.mode === 'local') cliOk('rotate', 'apply', planId, '--step', String(step.number), '--yes');
      else cliOk('rotate', 'apply', planId, '--step', String(step.number), '--mark-done');
    }
    const bundle = pemBlocks(fs.readFileSync(at('certs/ca.crt'), 'utf8'));
    assert.equal(bundle.length, 1, 'the new CA only');
    assert.notEqual(fingerprintOf({ pem: bundle[0]! }), oldCa);
    const verifies = (file: string) => opensslResult(['verify', '-purpose', 'sslclient', '-CAfile', at('certs/ca.crt'), file]);

    // The .p12: its client certificate verifies against the new bundle; its CA is the new CA; its key fits.
    const inside = p12Certificates();
    const leaf = inside.find((pem) => fingerprintOf({ pem }) === fingerprintOf(at('certs/client.alice.crt')));
    assert.ok(leaf, 'the .p12 holds the new client certificate');
    fs.writeFileSync(at('p12-leaf.pem'), leaf);
    assert.equal(verifies(at('p12-leaf.pem')).status, 0, verifies(at('p12-leaf.pem')).stdout + verifies(at('p12-leaf.pem')).stderr);
    assert.deepEqual(inside.filter((pem) => pem !== leaf).map((pem) => fingerprintOf({ pem })), [fingerprintOf({ pem: bundle[0]! })], 'the only CA in the .p12 is the new one');
    const p12Key = openssl(['pkcs12', '-in', p12(), '-nocerts', '-nodes', '-passin', `pass:${PASSWORD}`]);
    fs.writeFileSync(at('p12-key.pem'), p12Key, { mode: 0o600 });
    assert.equal(openssl(['pkey', '-in', at('p12-key.pem'), '-pubout']), pubkeyOfCert(at('certs/client.alice.crt')));

    // The .pk8 (DER) and the .key.pem (PKCS#8 PEM) hold the key of the new certificate, which verifies.
    assert.equal(verifies(at('certs/client.alice.crt')).status, 0);
    assert.equal(openssl(['pkey', '-inform', 'DER', '-in', at('certs/client.alice.key.pk8'), '-pubout']), pubkeyOfCert(at('certs/client.alice.crt')));
    assert.match(fs.readFileSync(at('certs/client.alice.key.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(openssl(['pkey', '-in', at('certs/client.alice.key.pem'), '-pubout']), pubkeyOfCert(at('certs/client.alice.crt')));
    for (const file of ['client.alice.key.pk8', 'client.alice.key.pem', 'client.alice.p12']) assert.equal(fs.statSync(at('certs', file)).mode & 0o777, 0o600, `${file} stays 0600`);
    assert.deepEqual(findingsFor('client.alice.crt').filter((f) => f.rule.startsWith('derived_file')), []);
    const shown = json(cliOk('rotate', 'show', planId, '--json')) as { progress: { done: number; total: number } };
    assert.equal(shown.progress.done, shown.progress.total);
  });
});
