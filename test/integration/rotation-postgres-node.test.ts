// The PostgreSQL-node layout `rotate plan --help` advertises, end to end: a certs dir (ca.crt,
// node.crt/node.key, client.root.*) AND the PostgreSQL data dir whose server.crt/server.key are
// copies of certs/node.crt/node.key (--node-cert/--node-key), with the postmaster's pid file
// (--pidfile). The plan must treat the two copies as ONE node identity (one new key, written to
// both places), its reload step must expect the certificate it installed, its texts must fit
// PostgreSQL (no `pkill -x cockroach`, no DB Console), and every step is carried out — printed
// commands run as printed — until the plan is complete, the server serves the new certificate
// (read by openssl), and psql logs in with the reissued client certificate.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, runCliOk, type CliResult } from '../support/cli.js';
import { fingerprintOf, openssl, opensslResult, pemBlocks } from '../support/openssl.js';
import { startTlsPostgres, type TlsPostgres } from '../support/postgres.js';
import { describeSkip, requireSystemTool } from '../support/system-tools.js';

interface Step { number: number; kind: string; mode: string; title: string; commands: string[]; equivalent: string[]; verify: string[]; rollback: string[]; action: Record<string, unknown> | null; tool: { name: string; input: Record<string, unknown> } | null }
const json = (result: CliResult) => JSON.parse(result.stdout) as Record<string, unknown>;

/** The words of a printed command; the paths here need no quoting, so a quote means the command changed shape. */
function words(command: string): string[] {
  assert.doesNotMatch(command, /['"\\$`]/, `expected a plain command: ${command}`);
  return command.trim().split(/\s+/);
}

describe('rotating a PostgreSQL node laid out as certs dir + data dir + pid file', { skip: describeSkip('openssl') }, () => {
  let tmp = '';
  let server: TlsPostgres;
  let data = '';
  let target = '';
  let planId = '';
  let steps: Step[] = [];
  let oldServed = '';
  let oldClient = '';
  const at = (...parts: string[]) => path.join(tmp, ...parts);
  const cli = (...args: string[]) => runCli(args, { cwd: tmp });
  const cliOk = (...args: string[]) => runCliOk(args, { cwd: tmp });

  function servedFingerprint(): string {
    const result = opensslResult(['s_client', '-starttls', 'postgres', '-connect', target, '-servername', 'localhost'], { input: '' });
    const [leaf] = pemBlocks(result.stdout);
    assert.ok(leaf, `openssl s_client read no certificate from ${target}: ${result.stderr}`);
    return fingerprintOf({ pem: leaf });
  }

  /** Runs a command the plan printed for a person, as printed (`crdb-tls ...` is the CLI bundle). */
  function runPrinted(command: string, ...extra: string[]): CliResult {
    const [program, ...args] = words(command);
    assert.equal(program, 'crdb-tls', `a crdb-tls command: ${command}`);
    return cli(...args, ...extra);
  }

  before(async () => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-pg-node-')));
    fs.mkdirSync(at('safe'), { mode: 0o700 });
    const signing = ['--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--yes'];
    cliOk('cert', 'create-ca', ...signing);
    // Both due within 30 days: the node certificate in 10, the client certificate in 25.
    cliOk('cert', 'create-node', 'localhost', '127.0.0.1', ...signing, '--lifetime', '240h');
    cliOk('cert', 'create-client', 'root', ...signing, '--lifetime', '600h');
    // The server's server.crt/server.key are copies of certs/node.crt/node.key (owned by postgres when run as root).
    server = await startTlsPostgres({ serverCert: at('certs/node.crt'), serverKey: at('certs/node.key'), ca: at('certs/ca.crt') });
    data = server.dataDir;
    target = `127.0.0.1:${server.port}`;
    oldServed = servedFingerprint();
    oldClient = fingerprintOf(at('certs/client.root.crt'));
    assert.equal(oldServed, fingerprintOf(at('certs/node.crt')), 'the server serves the certs dir\'s node certificate');
  });

  after(async () => {
    await server?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the plan reissues the node identity once, for both copies, and its reload step expects what it installs', () => {
    const out = json(cliOk('rotate', 'plan', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--node-cert', path.join(data, 'server.crt'), '--node-key', path.join(data, 'server.key'),
      '--host', target, '--ca', 'certs/ca.crt', '--pidfile', path.join(data, 'postmaster.pid'), '--within', '30d', '--json'));
    const plan = out.plan as { id: string; steps: Step[] };
    planId = plan.id;
    steps = plan.steps;
    assert.deepEqual(steps.map((s) => s.kind), ['reissue_node', 'reload', 'reissue_client', 'move_clients', 'verify']);
    const [reissue, reload] = steps as [Step, Step];
    assert.equal(reissue.action?.cert, at('certs/node.crt'), 'the certs dir file is the primary copy');
    assert.deepEqual(reissue.action?.copies, [{ cert: path.join(data, 'server.crt'), key: path.join(data, 'server.key') }]);
    assert.equal(reload.tool?.name, 'reload_node_certs');
    const expected = reload.tool?.input.expect_cert as string;
    assert.ok([at('certs/node.crt'), path.join(data, 'server.crt')].includes(expected), `the reload expects a file the reissue step writes: ${expected}`);
  });

  test('the reload and verify texts fit PostgreSQL: pg_ctl reload, the server log; no pkill -x cockroach, no DB Console', () => {
    const reload = steps[1]!;
    const text = [...reload.commands, ...reload.equivalent, ...reload.verify, ...reload.rollback].join('\n');
    assert.match(text, new RegExp(`pg_ctl reload -D ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(text, /received SIGHUP, reloading configuration files/);
    assert.doesNotMatch(text, /cockroach|:8080|DB Console/);
    const verify = steps.at(-1)!;
    assert.doesNotMatch(verify.verify.join('\n'), /:8080|DB Console/);
    assert.doesNotMatch(cliOk('rotate', 'show', planId).stdout, /pkill -SIGHUP -x cockroach|:8080/);
  });

  test('the reissue writes one new key and certificate to both copies, keeping the data dir\'s owner and modes', () => {
    const owner = (file: string) => { const s = fs.statSync(file); return { uid: s.uid, gid: s.gid, mode: s.mode & 0o7777 }; };
    const before = { crt: owner(path.join(data, 'server.crt')), key: owner(path.join(data, 'server.key')) };
    cliOk('rotate', 'apply', planId, '--step', '1', '--yes');
    assert.deepEqual(fs.readFileSync(path.join(data, 'server.crt')), fs.readFileSync(at('certs/node.crt')));
    assert.deepEqual(fs.readFileSync(path.join(data, 'server.key')), fs.readFileSync(at('certs/node.key')));
    assert.notEqual(fingerprintOf(at('certs/node.crt')), oldServed);
    assert.equal(openssl(['x509', '-noout', '-pubkey', '-in', path.join(data, 'server.crt')]), openssl(['pkey', '-pubout', '-in', at('certs/node.key')]), 'one key pair for every copy');
    assert.deepEqual(owner(path.join(data, 'server.crt')), before.crt);
    assert.deepEqual(owner(path.join(data, 'server.key')), before.key);
    assert.equal(servedFingerprint(), oldServed, 'nothing is served differently before the reload');
  });

  test('the reload step, run as printed, reports OK, and --mark-done then accepts it', () => {
    const reload = steps[1]!;
    const early = cli('rotate', 'apply', planId, '--step', '2', '--mark-done');
    assert.equal(early.status, 1, 'marking it done before the reload is refused');
    assert.match(early.stderr, /still serves/);
    const result = runPrinted(reload.commands[0]!, '--yes', '--timeout', '20s');
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /^OK: /m);
    assert.doesNotMatch(result.stdout, /NOT RELOADED/);
    assert.equal(servedFingerprint(), fingerprintOf(path.join(data, 'server.crt')), 'openssl sees the new certificate');
    const marked = json(runPrinted(reload.commands[1]!, '--json')) as { status: string; result: { verification: string } };
    assert.equal(marked.status, 'done');
    assert.match(marked.result.verification, /serves/);
  });

  test('every later step is carried out; the plan ends complete, the new certificate served, and psql logs in with the new client certificate', (t) => {
    for (const step of steps.slice(2)) {
      if (step.mode === 'local') {
        cliOk('rotate', 'apply', planId, '--step', String(step.number), '--yes');
      } else if (step.kind === 'verify') {
        const check = runPrinted(step.commands[0]!);
        assert.equal(check.status, 0, `the final check finds nothing due: ${check.stdout}${check.stderr}`);
        runPrinted(step.commands[1]!);
      } else {
        // move_clients: psql below reads the certs dir itself.
        runPrinted(step.commands.at(-1)!);
      }
    }
    const shown = json(cliOk('rotate', 'show', planId, '--json')) as { progress: { done: number; total: number; next_step: number | null } };
    assert.deepEqual(shown.progress, { done: steps.length, total: steps.length, next_step: null });
    assert.equal(servedFingerprint(), fingerprintOf(at('certs/node.crt')));
    assert.notEqual(servedFingerprint(), oldServed);

    const psql = requireSystemTool(t, 'psql');
    if (!psql) return;
    const conninfo = ['host=localhost', `port=${server.port}`, 'user=root', 'dbname=postgres', 'sslmode=verify-full', `sslrootcert=${at('certs/ca.crt')}`,
      `sslcert=${at('certs/client.root.crt')}`, `sslkey=${at('certs/client.root.key')}`, 'connect_timeout=10'].join(' ');
    const login = spawnSync(psql, [conninfo, '-tAc', 'SELECT current_user'], { encoding: 'utf8', env: { ...process.env, HOME: tmp, PGSSLMODE: '' }, timeout: 30_000 });
    assert.equal(login.status, 0, login.stderr);
    assert.equal(login.stdout.trim(), 'root');
    assert.notEqual(fingerprintOf(at('certs/client.root.crt')), oldClient, 'psql logged in with the reissued client certificate');
    assert.equal(opensslResult(['verify', '-CAfile', at('certs/ca.crt'), at('certs/client.root.crt')]).status, 0);
  });
});
