// `crdb-tls cloud ...` as a person or a script runs it: the real bundle in a child process (spawned
// asynchronously, so that the in-process stand-in of the Cloud API can answer it), stdin a pipe
// (never a TTY, so the CLI never prompts), COCKROACH_SERVER pointing at the stand-in.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloudApiStandin } from '../support/cloud-api-standin.js';
import { CLI_BUNDLE, cliEnv } from '../support/cli.js';
import { bundle, clusterId, makeCa, type TestCa } from '../support/cloud-pki.js';

const SECRET = 'CCDB1_cliSecret_Vb3Nm8Qw2Er5Ty7Ui9Op1';

interface Run { status: number; stdout: string; stderr: string }

let tmp = '';
let standin: CloudApiStandin;
let caOld: TestCa;
let caNew: TestCa;
const outputs: string[] = [];

function crdbTls(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BUNDLE, ...args], {
      cwd: tmp,
      env: cliEnv({ HOME: path.join(tmp, 'home'), COCKROACH_SERVER: standin.url, COCKROACH_API_KEY: SECRET, COCKROACH_API_KEY_FILE: '', ...env }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const run = { status: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      outputs.push(run.stdout, run.stderr);
      resolve(run);
    });
  });
}

before(async () => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-cloud-cli-')));
  fs.mkdirSync(path.join(tmp, 'home'));
  standin = await CloudApiStandin.start(SECRET);
  [caOld, caNew] = [makeCa('Acme Client CA 2025'), makeCa('Acme Client CA 2026')];
  fs.writeFileSync(path.join(tmp, 'old.pem'), caOld.pem);
  fs.writeFileSync(path.join(tmp, 'both.pem'), bundle(caOld, caNew));
});
after(async () => {
  await standin?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('crdb-tls cloud client-ca', () => {
  const id = clusterId();
  before(() => standin.addCluster({ id, plan: 'ADVANCED', caPem: makeCa('Cluster CA').pem, pendingPolls: 2 }));
  const writes = () => standin.writes().filter((r) => r.path.includes(id));

  test('set --json on a cluster with no Client CA uploads it (POST): progress on stderr, only JSON on stdout', async () => {
    const run = await crdbTls(['cloud', 'client-ca', 'set', id, '--cert-file', 'old.pem', '--json']);
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { status: string; result: { method: string; status: string } };
    assert.equal(out.status, 'done');
    assert.equal(out.result.method, 'POST');
    assert.equal(out.result.status, 'IS_SET');
    assert.match(run.stderr, /crdb-tls: Client CA of cluster \S+: PENDING after/);
  });

  test('an update needing confirmation exits 1 without --yes and sends nothing; --dry-run shows its severity', async () => {
    const dry = await crdbTls(['cloud', 'client-ca', 'set', id, '--cert-file', 'both.pem', '--dry-run', '--json']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.equal((JSON.parse(dry.stdout) as { assessment: { severity: string } }).assessment.severity, 'medium');
    const refused = await crdbTls(['cloud', 'client-ca', 'set', id, '--cert-file', 'both.pem']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /needs confirmation; re-run with --yes/);
    assert.deepEqual(writes().map((w) => w.method), ['POST']);
  });

  test('with --yes the update goes out as PATCH, and get shows both CAs', async () => {
    const run = await crdbTls(['cloud', 'client-ca', 'set', id, '--cert-file', 'both.pem', '--yes', '--timeout', '30s']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /updated \(PATCH\); status IS_SET/);
    assert.deepEqual(writes().map((w) => w.method), ['POST', 'PATCH']);
    const get = await crdbTls(['cloud', 'client-ca', 'get', id, '--json']);
    const view = JSON.parse(get.stdout) as { status: string; certificates: Array<{ sha256_fingerprint: string }> };
    assert.equal(view.status, 'IS_SET');
    assert.deepEqual(view.certificates.map((c) => c.sha256_fingerprint).sort(), [caOld.fingerprint, caNew.fingerprint].sort());
  });

  test('remove --yes deletes it and waits for NOT_SET', async () => {
    const run = await crdbTls(['cloud', 'client-ca', 'remove', id, '--yes']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /removed; status NOT_SET/);
    assert.equal(standin.clientCa(id).status, 'NOT_SET');
  });

  test('a wrong key fails with one error line that says the key is wrong or expired, exit 1', async () => {
    const run = await crdbTls(['cloud', 'client-ca', 'get', id], { COCKROACH_API_KEY: 'CCDB1_wrong' });
    assert.equal(run.status, 1);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /^crdb-tls: the Cloud API did not accept the API key \(401\): the key is wrong, expired or revoked/);
  });

  test('without any key, the error names COCKROACH_API_KEY and COCKROACH_API_KEY_FILE', async () => {
    const run = await crdbTls(['cloud', 'client-ca', 'get', id], { COCKROACH_API_KEY: '' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /COCKROACH_API_KEY and COCKROACH_API_KEY_FILE are both unset/);
  });
});

describe('crdb-tls cloud ca download', () => {
  test('saves the CA to ~/.postgresql/root.crt, then says it is already there', async () => {
    const id = clusterId();
    const ca = makeCa('Download Cluster CA');
    standin.addCluster({ id, plan: 'ADVANCED', caPem: ca.pem });
    const first = await crdbTls(['cloud', 'ca', 'download', id]);
    assert.equal(first.status, 0, first.stderr);
    assert.ok(first.stdout.includes(ca.fingerprint), first.stdout);
    assert.ok(fs.existsSync(path.join(tmp, 'home', '.postgresql', 'root.crt')));
    const again = await crdbTls(['cloud', 'ca', 'download', id]);
    assert.match(again.stdout, /^Already in .*root\.crt/);
  });

  test('--out with --replace over an existing file needs --yes (high)', async () => {
    const id = clusterId();
    standin.addCluster({ id, plan: 'ADVANCED', caPem: makeCa('Replace Cluster CA').pem });
    const out = path.join(tmp, 'cluster.crt');
    fs.writeFileSync(out, caOld.pem);
    const refused = await crdbTls(['cloud', 'ca', 'download', id, '--out', out, '--replace']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /this high-severity change needs confirmation/);
    assert.equal(fs.readFileSync(out, 'utf8'), caOld.pem);
    const done = await crdbTls(['cloud', 'ca', 'download', id, '--out', out, '--replace', '--yes']);
    assert.equal(done.status, 0, done.stderr);
    assert.match(done.stdout, /Dropped from the file: .*Acme Client CA 2025/);
  });
});

test('the API key appears in no output of any command', () => {
  assert.ok(outputs.length >= 16, 'too few commands ran for this check to mean anything');
  for (const text of outputs) assert.ok(!text.includes(SECRET), `output carries the API key: ${text.slice(0, 200)}`);
});
