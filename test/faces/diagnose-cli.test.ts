// `crdb-tls diagnose` and `crdb-tls connection-string` as a person at a shell meets them: the real
// bundle in a child process — text as arguments, from a pipe, from `-`; a terminal with no text;
// the 1 MiB limit; exit codes (0 diagnosed, 1 failed, 2 bad usage); passwords never printed.
// The settings connection-string prints are then USED: psql and node-postgres log in with them to
// a real TLS PostgreSQL (the stand-in for a CockroachDB node, DESIGN.md §7), and the errors real
// clients print there are piped back into `crdb-tls diagnose`.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { Diagnosis } from '../../src/diagnose/schema.js';
import { ConnectionSettings } from '../../src/connection/schemas.js';
import { CLI_BUNDLE, cliEnv, runCli, runCliOk } from '../support/cli.js';
import { createRoles, startTlsPostgres, type TlsPostgres } from '../support/postgres.js';
import { requireSystemTool } from '../support/system-tools.js';

const MiB = 1_048_576;
const PKIX = 'org.postgresql.util.PSQLException: SSL error: sun.security.validator.ValidatorException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target';

let work: string;
before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-diagnose-cli-'));
});
after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** One line on stderr starting `crdb-tls: ` and nothing else (the CLI's error contract). */
function assertOneErrorLine(stderr: string): void {
  const lines = stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `stderr has ${lines.length} lines:\n${stderr}`);
  assert.match(lines[0]!, /^crdb-tls: /);
}

describe('crdb-tls diagnose', () => {
  test('the error as an argument: exit 0, the code first, then causes, fix steps and next tools', () => {
    const r = runCliOk(['diagnose', PKIX]);
    assert.match(r.stdout.split('\n')[0]!, /^untrusted_server_ca — .*\(confidence 0\.9\d\)$/);
    assert.match(r.stdout, /client: jdbc \(detected: "org\.postgresql"/);
    assert.match(r.stdout, /Likely causes:\n {2}1\. /);
    assert.match(r.stdout, /Fix:\n {2}1\. /);
    assert.match(r.stdout, /jdbc:postgresql:\/\/.*sslmode=verify-full&sslrootcert=/);
    assert.match(r.stdout, /Next:\n {2}- \$ crdb-tls probe "\$\{DB_HOST:\?the host name the client dials\}:26257" --ca /);
    assert.equal(r.stderr, '');
  });

  test('every command the CLI prints (fix steps, causes, Next:) is a complete shell command; Next: lines are crdb-tls commands, not tool calls', () => {
    const texts = [PKIX, 'x509: certificate is valid for node1, localhost, not db.internal', 'changefeed job 7 failed: kafka: client has run out of available brokers to talk to', 'pq: user root must use certificate authentication instead of password authentication'];
    for (const text of texts) {
      const r = runCliOk(['diagnose', text, '--connection-string', "postgresql://app@db.internal:26257/shop?sslmode=verify-full&sslrootcert=/etc/my certs/ca.crt"]);
      const next = r.stdout.slice(r.stdout.indexOf('\nNext:\n'));
      for (const line of next.split('\n').slice(2).filter(Boolean)) assert.match(line, /^ {2}- \$ crdb-tls /, line);
      const commands = r.stdout.split('\n').filter((l) => /^\s+(- )?\$ /.test(l)).map((l) => l.replace(/^\s+(- )?\$ /, '').replace(/ — .*$/, ''));
      assert.ok(commands.length > 2, r.stdout);
      for (const command of commands) {
        const check = spawnSync('bash', ['-n', '-c', command], { encoding: 'utf8' });
        assert.equal(check.status, 0, `${command}\n${check.stderr}`);
        assert.doesNotMatch(command, /<[A-Za-z][^<>]*>/, command);
      }
    }
  });

  test('unquoted words are joined into one text', () => {
    const r = runCliOk(['diagnose', '--json', 'x509:', 'certificate', 'signed', 'by', 'unknown', 'authority']);
    assert.equal(Diagnosis.parse(JSON.parse(r.stdout)).code, 'untrusted_server_ca');
  });

  test('"-" reads the text from stdin', () => {
    const r = runCliOk(['diagnose', '-', '--json'], { input: 'psql: error: connection to server at "db.example.com" (10.1.2.3), port 26257 failed: server certificate for "node1" does not match host name "db.example.com"\n' });
    const d = Diagnosis.parse(JSON.parse(r.stdout));
    assert.equal(d.code, 'hostname_mismatch');
    assert.equal(d.client.id, 'psql');
    assert.deepEqual(d.facts.hosts, [{ host: 'db.example.com', port: 26257 }]);
  });

  test('no text but a pipe: stdin is read', () => {
    const r = runCliOk(['diagnose', '--json'], { input: "Error: self-signed certificate in certificate chain\n  code: 'SELF_SIGNED_CERT_IN_CHAIN'\n" });
    assert.equal(JSON.parse(r.stdout).code, 'untrusted_server_ca');
  });

  test('no text on a terminal is a usage error (exit 2), one line on stderr', () => {
    // util-linux `script` gives the CLI a real pseudo-terminal as stdin (Debian: bsdutils, essential).
    const script = spawnSync('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_BUNDLE)} diagnose`, '/dev/null'], { encoding: 'utf8', input: '', timeout: 30_000 });
    assert.ok(!script.error, `cannot run script(1) to get a terminal: ${script.error?.message}`);
    assert.equal(script.status, 2, script.stdout);
    const lines = script.stdout.split(/\r?\n/).filter(Boolean);
    assert.equal(lines.length, 1, script.stdout);
    assert.match(lines[0]!, /^crdb-tls: diagnose needs the error text/);
  });

  test('an empty pipe is a usage error (exit 2)', () => {
    const r = runCli(['diagnose'], { input: '' });
    assert.equal(r.status, 2);
    assertOneErrorLine(r.stderr);
    assert.equal(r.stdout, '');
  });

  test('an unknown --client is a usage error (exit 2)', () => {
    const r = runCli(['diagnose', '--client', 'oracle', 'x509: certificate signed by unknown authority']);
    assert.equal(r.status, 2);
    assertOneErrorLine(r.stderr);
  });

  test('1 MiB + 1 byte is refused with input_too_large (exit 2: bad input) and nothing diagnosed; exactly 1 MiB is diagnosed', () => {
    const over = runCli(['diagnose', '-', '--json'], { input: 'a'.repeat(MiB + 1) });
    assert.equal(over.status, 2);
    assertOneErrorLine(over.stderr);
    assert.match(over.stderr, /1 MiB/);
    assert.deepEqual(Object.keys(JSON.parse(over.stdout)), ['error']);
    assert.equal(JSON.parse(over.stdout).error.code, 'input_too_large');

    const text = over.stderr;
    assert.ok(!text.includes('aaaa'), 'the refused input is not echoed');
    const exact = runCliOk(['diagnose', '-', '--json'], { input: 'x509: certificate signed by unknown authority '.padEnd(MiB, '.') });
    const d = Diagnosis.parse(JSON.parse(exact.stdout));
    assert.equal(d.input.bytes, MiB);
    assert.equal(d.code, 'untrusted_server_ca');
  });

  test('a 16 MiB paste is refused quickly: the CLI stops reading after 1 MiB + 1 byte', { timeout: 60_000 }, async () => {
    // Spawned asynchronously: the CLI closes its stdin long before 16 MiB are written, and the
    // writer's EPIPE is the proof that it stopped reading; the size it reports (1 MiB + 1 byte, not
    // 16 MiB) is the proof that it read no further. The timeout is only a hang guard.
    const child = spawn(process.execPath, [CLI_BUNDLE, 'diagnose'], { env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let writeError: NodeJS.ErrnoException | undefined;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.stdout.resume();
    child.stdin.on('error', (error: NodeJS.ErrnoException) => { writeError = error; });
    child.stdin.end(Buffer.alloc(16 * MiB, 'x'));
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    assert.equal(status, 2, stderr);
    assert.match(stderr, /is 1,048,577 bytes; the limit is 1 MiB/);
    assert.ok(!writeError || writeError.code === 'EPIPE', `unexpected write error ${writeError?.message}`);
  });

  test('a password in --connection-string is never printed, as text or JSON', () => {
    const secret = 'n0t-f0r-y0ur-eyes';
    const args = ['diagnose', "Error: self-signed certificate in certificate chain\n  code: 'SELF_SIGNED_CERT_IN_CHAIN'", '--connection-string', `postgresql://app:${secret}@db.example.com:26257/app?sslmode=require`];
    for (const extra of [[], ['--json']]) {
      const r = runCliOk([...args, ...extra]);
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'password printed');
      assert.match(r.stdout, /postgresql:\/\/app:\*\*\*\*@db\.example\.com:26257\/app\?sslmode=require/);
    }
  });
});

describe('crdb-tls connection-string', () => {
  test('prints settings for the client; --json is the structured result', () => {
    const r = runCliOk(['connection-string', '--client', 'jdbc', '--host', 'db.example.com', '--ca', '/certs/ca.crt', '--cert', '/certs/client.app.crt', '--key', '/certs/client.app.key', '--json']);
    const s = ConnectionSettings.parse(JSON.parse(r.stdout));
    assert.equal(s.files.key, '/certs/client.app.key.pk8');
    const text = runCliOk(['connection-string', '--client', 'jdbc', '--host', 'db.example.com', '--ca', '/certs/ca.crt', '--cert', '/certs/client.app.crt', '--key', '/certs/client.app.key']).stdout;
    assert.match(text, /^pgJDBC → db\.example\.com:26257 as app/);
    assert.match(text, /\$ openssl pkcs8 -topk8 -inform PEM -outform DER -in \/certs\/client\.app\.key -out \/certs\/client\.app\.key\.pk8 -nocrypt/);
  });

  test('usage errors exit 2: no --host, an unknown client, --cert without --key, a bad port', () => {
    for (const args of [
      ['connection-string', '--client', 'psql'],
      ['connection-string', '--client', 'mysql', '--host', 'db'],
      ['connection-string', '--client', 'psql', '--host', 'db', '--cert', 'c.crt'],
      ['connection-string', '--client', 'psql', '--host', 'db', '--port', '99999'],
    ]) {
      const r = runCli(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assertOneErrorLine(r.stderr);
    }
  });
});

describe('against a real TLS PostgreSQL with certificates from crdb-tls cert', () => {
  let server: TlsPostgres;
  const certs = () => path.join(work, 'certs');
  const file = (name: string) => path.join(certs(), name);

  before(async () => {
    fs.mkdirSync(path.join(work, 'safe'), { recursive: true });
    const issue = (args: string[]) => runCliOk(['cert', ...args], { cwd: work });
    issue(['create-ca', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key']);
    issue(['create-node', 'localhost', '127.0.0.1', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key']);
    issue(['create-client', 'alice', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key']);
    issue(['create-ca', '--certs-dir', 'other-certs', '--ca-key', 'safe/other-ca.key']);
    server = await startTlsPostgres({ serverCert: file('node.crt'), serverKey: file('node.key'), ca: file('ca.crt') });
    await createRoles(server, ['alice']);
  });
  after(async () => {
    await server?.stop();
  });

  const settingsFor = (client: string) => ConnectionSettings.parse(JSON.parse(runCliOk([
    'connection-string', '--client', client, '--host', 'localhost', '--port', String(server.port), '--database', 'postgres',
    '--ca', file('ca.crt'), '--cert', file('client.alice.crt'), '--key', file('client.alice.key'), '--json',
  ]).stdout));

  test('psql logs in as alice with exactly the command connection-string printed', (t) => {
    const psql = requireSystemTool(t, 'psql');
    if (!psql) return;
    const s = settingsFor('psql');
    assert.equal(s.user, 'alice');
    const command = s.settings[0]!.text;
    assert.match(command, /^psql "postgresql:\/\/alice@localhost:\d+\/postgres\?sslmode=verify-full&sslrootcert=/);
    // HOME elsewhere so that no ~/.postgresql file of this machine takes part.
    const r = spawnSync('sh', ['-c', `${command} -tAc 'SELECT current_user'`], { encoding: 'utf8', env: { ...process.env, PATH: `${path.dirname(psql)}:${process.env.PATH}`, HOME: work, PGSSLMODE: '' }, timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'alice');
  });

  test('node-postgres logs in as alice with the connection string connection-string printed', async () => {
    const s = settingsFor('node-pg');
    const url = s.settings.find((x) => x.language === 'url')!.text;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT current_user AS user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      assert.deepEqual(rows[0], { user: 'alice', ssl: true });
    } finally {
      await client.end();
    }
  });

  test("psql's real error with the wrong CA, piped into diagnose: untrusted_server_ca, the host and port dialled, and a probe of that server next", (t) => {
    const psql = requireSystemTool(t, 'psql');
    if (!psql) return;
    const conninfo = `host=localhost port=${server.port} user=alice dbname=postgres sslmode=verify-full sslrootcert=${path.join(work, 'other-certs', 'ca.crt')} sslcert=${file('client.alice.crt')} sslkey=${file('client.alice.key')} connect_timeout=10`;
    const failed = spawnSync(psql, [conninfo, '-c', 'SELECT 1'], { encoding: 'utf8', env: { ...process.env, HOME: work }, timeout: 30_000 });
    assert.notEqual(failed.status, 0);
    const d = Diagnosis.parse(JSON.parse(runCliOk(['diagnose', '-', '--json'], { input: failed.stderr }).stdout));
    assert.equal(d.code, 'untrusted_server_ca', failed.stderr);
    assert.equal(d.client.id, 'psql');
    assert.deepEqual(d.facts.hosts[0], { host: 'localhost', port: server.port });
    assert.deepEqual(d.next_tools[0], { tool: 'probe_server', arguments: { host: 'localhost', port: server.port, ca: 'certs/ca.crt' }, reason: 'see the chain the server presents and verify it against this CA' });
  });

  test("node-postgres's real error without a client certificate, as util.inspect prints it: client_cert_required with node-pg steps", async () => {
    const client = new pg.Client({ host: 'localhost', port: server.port, user: 'alice', database: 'postgres', ssl: { ca: fs.readFileSync(file('ca.crt'), 'utf8') }, connectionTimeoutMillis: 10_000 });
    const error = await client.connect().then(() => undefined, (e: unknown) => e);
    await client.end().catch(() => undefined);
    assert.ok(error, 'the server let alice in without a client certificate');
    const d = Diagnosis.parse(JSON.parse(runCliOk(['diagnose', '-', '--json', '--client', 'node-pg'], { input: inspect(error) }).stdout));
    assert.equal(d.code, 'client_cert_required', inspect(error));
    const steps = d.fix_steps.map((s) => s.snippet?.text ?? '').join('\n');
    assert.match(steps, /cert: fs\.readFileSync\(.*\),\n\s+key: fs\.readFileSync\(/);
  });
});
