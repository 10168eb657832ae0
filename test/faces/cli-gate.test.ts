// The confirmation gate (DESIGN.md §3) as a person at a shell meets it: the real bundle in a
// child process. Without a terminal a change that needs confirmation is refused unless --yes is
// given; on a terminal (a real pseudo-terminal here, through util-linux `script` or Python's pty)
// the person is asked and answers after the prompt shows; --dry-run only looks. Every "nothing changed" claim compares the name,
// mode and SHA-256 of every entry under the test's directory before and after.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { AuditRecord } from '../support/audit.js';
import { CLI_BUNDLE, cliEnv, runCli, runCliOk, testStateDir, type CliResult } from '../support/cli.js';
import { onPath } from '../support/system-tools.js';

const OS_USER = os.userInfo().username;
const TEN_MINUTES_MS = 10 * 60 * 1000;

interface Assessment { severity: string; impact: string; changes: string[]; rollback: string }
interface Envelope {
  status: string;
  result?: { certificate?: { common_name: string } };
  assessment?: Assessment;
  confirmation?: { id: string; severity: string; impact: string; changes: string[]; rollback: string; expires_at: string };
  reason?: string;
}

let base = '';
let counter = 0;

interface Pki { dir: string; certs: string; caKey: string }

let caTemplate = '';

/**
 * A fresh dir with certs/ holding a CA made by the CLI (low severity, so no confirmation). The CLI
 * makes it once a file; each test gets a copy (`cp -a`: modes kept), since a create-ca is a
 * process start-up and an RSA key generation, and no test here is about the CA itself.
 */
function freshPki(label: string): Pki {
  if (!caTemplate) {
    const template = path.join(base, 'ca-template');
    fs.mkdirSync(path.join(template, 'certs'), { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.join(template, 'safe'), { mode: 0o700 });
    runCliOk(['cert', 'create-ca', '--certs-dir', path.join(template, 'certs'), '--ca-key', path.join(template, 'safe', 'ca.key')]);
    caTemplate = template;
  }
  const dir = path.join(base, `${label}-${++counter}`);
  execFileSync('cp', ['-a', caTemplate, dir]);
  return { dir, certs: path.join(dir, 'certs'), caKey: path.join(dir, 'safe', 'ca.key') };
}

const createClient = (pki: Pki, user: string, ...flags: string[]) => ['cert', 'create-client', user, '--certs-dir', pki.certs, '--ca-key', pki.caKey, ...flags];

/** Every entry under `dir` with its mode and the SHA-256 of each file. */
function snapshot(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
    .map((rel) => {
      const full = path.join(dir, rel);
      const stat = fs.statSync(full);
      const mode = (stat.mode & 0o7777).toString(8);
      return stat.isFile() ? `${rel} ${mode} ${crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex')}` : `${rel}/ ${mode}`;
    })
    .sort();
}

const where = (r: CliResult) => `status ${r.status}\nstderr: ${r.stderr}\nstdout: ${r.stdout}`;

/** Exactly one stderr line starting `crdb-tls: `; returns it. */
function oneLine(r: CliResult): string {
  assert.ok(r.stderr.endsWith('\n'), `stderr must end with a newline: ${where(r)}`);
  const lines = r.stderr.slice(0, -1).split('\n');
  assert.equal(lines.length, 1, `stderr must be ONE line: ${where(r)}`);
  assert.ok(lines[0]!.startsWith('crdb-tls: '), where(r));
  assert.doesNotMatch(lines[0]!, /\bat .+:\d+:\d+\)?/, 'no stack frames');
  return lines[0]!;
}

/** The assessment of a call, from a --dry-run --json of the same command. */
function assessmentOf(args: string[]): Assessment {
  const out = JSON.parse(runCliOk([...args, '--dry-run', '--json']).stdout) as Envelope;
  assert.equal(out.status, 'dry_run');
  assert.ok(out.assessment);
  return out.assessment;
}

before(() => {
  assert.ok(fs.existsSync(CLI_BUNDLE), `${CLI_BUNDLE} is missing: run \`npm run build\` first`);
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-cli-gate-')));
});

after(() => {
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

describe('without a terminal (stdin is a pipe)', () => {
  test('without a TTY and without --yes, a client certificate for root exits 1, shows the high-severity impact on stderr and writes nothing', () => {
    const pki = freshPki('no-tty');
    const args = createClient(pki, 'root');
    const assessment = assessmentOf(args);
    assert.equal(assessment.severity, 'high', 'a certificate for root is high severity (DESIGN.md §3)');
    const before = snapshot(pki.dir);
    const r = runCli(args);
    assert.equal(r.status, 1, where(r));
    assert.equal(r.stdout, '', 'without --json nothing goes to stdout');
    const [first] = r.stderr.split('\n');
    assert.ok(first?.startsWith('crdb-tls: '), where(r));
    assert.match(first!, /high/);
    assert.match(first!, /--yes/, 'it says how to confirm');
    assert.ok(r.stderr.includes(assessment.impact), `stderr does not show the impact: ${where(r)}`);
    for (const change of assessment.changes) assert.ok(r.stderr.includes(change), `stderr does not list "${change}"`);
    assert.ok(r.stderr.includes(assessment.rollback), 'stderr does not give the rollback');
    assert.deepEqual(snapshot(pki.dir), before);
    assert.ok(!fs.existsSync(path.join(pki.certs, 'client.root.crt')));
  });

  test('with --json, stdout is the confirmation_required envelope, and still nothing is written', () => {
    const pki = freshPki('no-tty-json');
    const args = createClient(pki, 'root');
    const assessment = assessmentOf(args);
    const before = snapshot(pki.dir);
    const startedBefore = Date.now();
    const r = runCli([...args, '--json']);
    const endedAfter = Date.now();
    assert.equal(r.status, 1, where(r));
    const out = JSON.parse(r.stdout) as Envelope;
    assert.equal(out.status, 'confirmation_required');
    assert.equal(out.result, undefined);
    const confirmation = out.confirmation!;
    assert.ok(confirmation, 'the envelope carries the confirmation');
    assert.equal(confirmation.severity, 'high');
    assert.equal(confirmation.impact, assessment.impact);
    assert.deepEqual(confirmation.changes, assessment.changes);
    assert.equal(confirmation.rollback, assessment.rollback);
    assert.match(confirmation.id, /^[A-Za-z0-9_-]{20,}$/);
    // The gate stamps expires_at = its clock + TTL while the process runs: bounded by the clock read
    // before the process started and after it ended, whatever the load.
    const expiresAt = Date.parse(confirmation.expires_at);
    assert.ok(expiresAt >= startedBefore + TEN_MINUTES_MS && expiresAt <= endedAfter + TEN_MINUTES_MS,
      `expires_at ${confirmation.expires_at} is not ten minutes after a moment of the run (${new Date(startedBefore).toISOString()} .. ${new Date(endedAfter).toISOString()})`);
    assert.match(r.stderr, /--yes/);
    assert.deepEqual(snapshot(pki.dir), before);
  });

  test('--yes confirms in advance: exit 0 and the certificate for root is written', () => {
    const pki = freshPki('yes');
    const r = runCli([...createClient(pki, 'root'), '--yes', '--json']);
    assert.equal(r.status, 0, where(r));
    const out = JSON.parse(r.stdout) as Envelope;
    assert.equal(out.status, 'done');
    assert.equal(out.result?.certificate?.common_name, 'root');
    assert.equal(out.assessment?.severity, 'high');
    assert.ok(fs.existsSync(path.join(pki.certs, 'client.root.crt')));
    // reference §1.3: keys 0600.
    assert.equal(fs.statSync(path.join(pki.certs, 'client.root.key')).mode & 0o777, 0o600);
  });

  test('--yes also confirms overwriting an existing node certificate, which is refused without it', () => {
    const pki = freshPki('overwrite');
    const node = ['cert', 'create-node', 'localhost', '--certs-dir', pki.certs, '--ca-key', pki.caKey];
    runCliOk(node); // new files: low severity, no confirmation
    const before = snapshot(pki.dir);
    const refused = runCli([...node, '--overwrite']);
    assert.equal(refused.status, 1, where(refused));
    assert.match(refused.stderr, /high/);
    assert.deepEqual(snapshot(pki.dir), before);
    const done = runCli([...node, '--overwrite', '--yes']);
    assert.equal(done.status, 0, where(done));
    assert.notDeepEqual(snapshot(pki.dir), before, 'node.crt and node.key were replaced');
  });

  test('--dry-run exits 0, prints the assessment and writes nothing', () => {
    const pki = freshPki('dry-run');
    const before = snapshot(pki.dir);
    const r = runCli([...createClient(pki, 'admin'), '--dry-run']);
    assert.equal(r.status, 0, where(r));
    assert.match(r.stdout, /high/);
    assert.match(r.stdout, /admin/);
    for (const file of ['client.admin.crt', 'client.admin.key']) assert.ok(r.stdout.includes(path.join(pki.certs, file)), `the dry run does not list ${file}: ${r.stdout}`);
    assert.deepEqual(snapshot(pki.dir), before);
  });

  test('a new client certificate for alice is low severity and needs no confirmation at the default threshold', () => {
    const pki = freshPki('alice');
    const r = runCli([...createClient(pki, 'alice'), '--json']);
    assert.equal(r.status, 0, where(r));
    const out = JSON.parse(r.stdout) as Envelope;
    assert.equal(out.status, 'done');
    assert.equal(out.assessment?.severity, 'low');
    assert.ok(fs.existsSync(path.join(pki.certs, 'client.alice.crt')));
  });

  test('with CRDB_TLS_CONFIRM_THRESHOLD=low even a certificate for alice needs --yes', () => {
    const pki = freshPki('threshold-low');
    const env = cliEnv({ CRDB_TLS_CONFIRM_THRESHOLD: 'low' });
    const before = snapshot(pki.dir);
    const r = runCli(createClient(pki, 'alice'), { env });
    assert.equal(r.status, 1, where(r));
    assert.match(r.stderr, /low/);
    assert.match(r.stderr, /--yes/);
    assert.deepEqual(snapshot(pki.dir), before);
    const yes = runCli([...createClient(pki, 'alice'), '--yes'], { env });
    assert.equal(yes.status, 0, where(yes));
    assert.ok(fs.existsSync(path.join(pki.certs, 'client.alice.crt')));
  });
});

// ---- a real pseudo-terminal --------------------------------------------------------------------

const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
const PY_PTY = 'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))';
const PROMPT = /Proceed\? \[y\/N\]/;

/**
 * Runs the CLI with stdin, stdout and stderr on a pseudo-terminal and, once the confirmation
 * prompt shows, types `keys` into it, as a person would. util-linux `script` makes the terminal
 * (Python's pty module if it is missing); neither: skip loudly, or fail in CI.
 */
async function runOnTerminal(t: TestContext, args: string[], keys: string): Promise<CliResult | undefined> {
  const argv = [process.execPath, CLI_BUNDLE, ...args];
  let command: string;
  let commandArgs: string[];
  const script = onPath('script');
  const python = onPath('python3');
  if (script) {
    command = script;
    commandArgs = ['-qec', argv.map(shellQuote).join(' '), '/dev/null'];
  } else if (python) {
    command = python;
    commandArgs = ['-c', PY_PTY, ...argv];
  } else {
    const reason = 'neither util-linux script nor python3 is installed, so no pseudo-terminal can be made (apt-get install bsdutils)';
    if (process.env.CI === 'true') throw new Error(`${reason}; CI must not skip the terminal prompt tests`);
    process.stderr.write(`\n!!! SKIPPING: ${reason}\n\n`);
    t.skip(reason);
    return undefined;
  }
  const child = spawn(command, commandArgs, { env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let typed = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (!typed && PROMPT.test(stdout)) {
      typed = true;
      child.stdin.write(keys);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  child.stdin.destroy();
  // The terminal turns \n into \r\n and both streams of the CLI arrive on stdout.
  return { status: code ?? 128, stdout: stdout.replace(/\r/g, '') + (signal ? `\n[killed by ${signal}]` : ''), stderr };
}

/** The newest line of this process's audit trail. */
function lastAuditEvent(): AuditRecord {
  const lines = fs.readFileSync(path.join(testStateDir(), 'audit.jsonl'), 'utf8').trim().split('\n');
  return JSON.parse(lines.at(-1)!) as AuditRecord;
}

let terminalRan = false;

describe('on a terminal', () => {
  test('on a terminal the person is asked; answering n refuses and writes nothing', async (t) => {
    const pki = freshPki('tty-no');
    const args = createClient(pki, 'root');
    const assessment = assessmentOf(args);
    const before = snapshot(pki.dir);
    const r = await runOnTerminal(t, args, 'n\n');
    if (!r) return;
    assert.equal(r.status, 1, where(r));
    assert.match(r.stdout, PROMPT, `no prompt on the terminal: ${r.stdout}`);
    assert.match(r.stdout, /severity high/);
    assert.ok(r.stdout.includes(assessment.impact), `the prompt does not show the impact: ${r.stdout}`);
    assert.match(r.stdout, /declined/);
    assert.doesNotMatch(r.stdout, /--yes/, 'on a terminal it asks instead of sending the person to --yes');
    assert.deepEqual(snapshot(pki.dir), before);
    const last = lastAuditEvent();
    assert.deepEqual([last.event, last.tool, last.detail.input?.user], ['declined', 'create_client_cert', 'root']);
    terminalRan = true;
  });

  test('on a terminal, answering y runs it', async (t) => {
    const pki = freshPki('tty-yes');
    const r = await runOnTerminal(t, createClient(pki, 'root'), 'y\n');
    if (!r) return;
    assert.equal(r.status, 0, where(r));
    assert.match(r.stdout, PROMPT);
    assert.ok(fs.existsSync(path.join(pki.certs, 'client.root.crt')));
    assert.ok(fs.existsSync(path.join(pki.certs, 'client.root.key')));
    const last = lastAuditEvent();
    assert.deepEqual([last.event, last.confirmer], ['done', OS_USER]);
  });

  for (const [label, keys] of [['Ctrl-D (end of input)', '\x04'], ['Ctrl-C', '\x03']] as const) {
    test(`on a terminal, ${label} at the prompt cancels: exit 1, nothing written, and the cancel is audited`, async (t) => {
      const pki = freshPki('tty-cancel');
      const before = snapshot(pki.dir);
      const r = await runOnTerminal(t, createClient(pki, 'root'), keys);
      if (!r) return;
      assert.equal(r.status, 1, where(r));
      assert.match(r.stdout, PROMPT);
      assert.match(r.stdout, /crdb-tls: .*cancel/, where(r));
      assert.deepEqual(snapshot(pki.dir), before);
      const last = lastAuditEvent();
      assert.deepEqual([last.event, last.tool, last.detail.input?.user], ['declined', 'create_client_cert', 'root']);
      assert.match(String(last.detail.reason), /cancel/);
    });
  }

  test('on a terminal, a low-severity call does not ask', async (t) => {
    const pki = freshPki('tty-low');
    const r = await runOnTerminal(t, createClient(pki, 'alice'), 'n\n');
    if (!r) return;
    assert.equal(r.status, 0, where(r));
    assert.doesNotMatch(r.stdout, /Proceed\?/);
    assert.ok(fs.existsSync(path.join(pki.certs, 'client.alice.crt')));
  });
});

// ---- the audit trail of the runs above (they all share this process's CRDB_TLS_STATE_DIR) ------

describe('crdb-tls audit', () => {
  let events: AuditRecord[] = [];

  before(() => {
    // A last, known action, so that the newest event is known.
    const pki = freshPki('audit');
    runCliOk([...createClient(pki, 'dave'), '--dry-run']);
    events = (JSON.parse(runCliOk(['audit', '--json', '--limit', '1000']).stdout) as { events: AuditRecord[] }).events;
  });

  test('crdb-tls audit --json lists the events of these runs newest first', () => {
    assert.ok(events.length > 10, `only ${events.length} events`);
    for (let i = 1; i < events.length; i++) assert.ok(events[i - 1]!.at >= events[i]!.at, `not newest first at ${i}: ${events[i - 1]!.at} < ${events[i]!.at}`);
    const newest = events[0]!;
    assert.equal(newest.event, 'dry_run');
    assert.equal(newest.tool, 'create_client_cert');
    assert.equal(newest.detail.input?.user, 'dave');
    for (const e of events) assert.equal(e.requester, OS_USER, 'on the CLI the requester is the OS user');

    const root = events.filter((e) => e.tool === 'create_client_cert' && e.detail.input?.user === 'root');
    const kinds = new Set(root.map((e) => e.event));
    for (const kind of ['requested', 'confirmation_required', 'confirmed', 'done', 'dry_run'] as const) assert.ok(kinds.has(kind), `no ${kind} event for root: ${[...kinds].join(', ')}`);
    if (terminalRan) assert.ok(kinds.has('declined'), 'answering n on the terminal was not audited as declined');
    for (const e of root.filter((e) => e.event === 'confirmed' || e.event === 'done')) assert.equal(e.confirmer, OS_USER, `${e.event} has no confirmer`);
    for (const e of root.filter((e) => e.event !== 'dry_run')) assert.equal(e.severity, 'high');
    const alice = events.filter((e) => e.event === 'done' && e.detail.input?.user === 'alice' && e.confirmer === null);
    assert.ok(alice.length > 0, 'the low-severity alice certificate is done without a confirmer');
  });

  test('--limit 2 returns the 2 newest events, and --tool only that tool\'s', () => {
    const two = (JSON.parse(runCliOk(['audit', '--json', '--limit', '2']).stdout) as { events: AuditRecord[] }).events;
    assert.equal(two.length, 2);
    assert.deepEqual(two.map((e) => e.id), events.slice(0, 2).map((e) => e.id));
    const nodeOnly = (JSON.parse(runCliOk(['audit', '--json', '--limit', '1000', '--tool', 'create_node_cert']).stdout) as { events: AuditRecord[] }).events;
    assert.ok(nodeOnly.length > 0);
    assert.ok(nodeOnly.every((e) => e.tool === 'create_node_cert'));
    assert.deepEqual(nodeOnly.map((e) => e.id), events.filter((e) => e.tool === 'create_node_cert').map((e) => e.id));
    const text = runCliOk(['audit', '--limit', '2']);
    assert.equal(text.stdout.trim().split('\n').length, 2, `the text form shows one line per event: ${text.stdout}`);
  });

  test('audit.jsonl holds one JSON object a line and no private key', () => {
    const text = fs.readFileSync(path.join(testStateDir(), 'audit.jsonl'), 'utf8');
    assert.ok(text.endsWith('\n'));
    const lines = text.slice(0, -1).split('\n');
    assert.equal(lines.length, events.length, 'audit --json shows every line');
    for (const line of lines) {
      assert.doesNotThrow(() => JSON.parse(line), line.slice(0, 200));
      assert.ok(!line.includes('PRIVATE KEY'), `a line holds a private key: ${line.slice(0, 200)}`);
    }
  });
});

describe('read-only mode and bad settings', () => {
  test('with CRDB_TLS_READ_ONLY=true create-ca exits 1 with one line about read-only mode, --yes does not help, and list still works', () => {
    const pki = freshPki('read-only');
    const env = cliEnv({ CRDB_TLS_READ_ONLY: 'true' });
    const fresh = path.join(pki.dir, 'fresh');
    fs.mkdirSync(fresh);
    const before = snapshot(pki.dir);
    for (const args of [
      ['cert', 'create-ca', '--certs-dir', fresh, '--ca-key', path.join(fresh, 'ca.key')],
      [...createClient(pki, 'alice'), '--yes'],
      [...createClient(pki, 'root'), '--dry-run'],
    ]) {
      const r = runCli(args, { env });
      assert.equal(r.status, 1, where(r));
      assert.match(oneLine(r), /read-only/);
      assert.equal(r.stdout, '');
    }
    assert.deepEqual(snapshot(pki.dir), before);

    const list = runCli(['cert', 'list', '--certs-dir', pki.certs, '--json'], { env });
    assert.equal(list.status, 0, where(list));
    const rows = (JSON.parse(list.stdout) as { rows: Array<{ usage: string; certificate_file: string }> }).rows;
    assert.ok(rows.some((row) => row.usage === 'CA' && row.certificate_file === 'ca.crt'), list.stdout);
  });

  for (const [name, value] of [['CRDB_TLS_CONFIRM_THRESHOLD', 'bogus'], ['CRDB_TLS_READ_ONLY', 'maybe'], ['CRDB_TLS_CONFIRMATION_TTL_SECONDS', '0']] as const) {
    test(`a bad ${name}=${value} exits 2 with one line naming the variable, and writes nothing`, () => {
      const dir = path.join(base, `bad-setting-${++counter}`);
      fs.mkdirSync(dir);
      const before = snapshot(dir);
      const r = runCli(['cert', 'create-ca', '--certs-dir', path.join(dir, 'certs'), '--ca-key', path.join(dir, 'ca.key')], { env: cliEnv({ [name]: value }) });
      assert.equal(r.status, 2, where(r));
      const line = oneLine(r);
      assert.ok(line.includes(name), line);
      assert.ok(line.includes(value), line);
      assert.deepEqual(snapshot(dir), before);
    });
  }
});
