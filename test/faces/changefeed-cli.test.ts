// `crdb-tls changefeed-uri encode|decode` as a person at a shell meets it: the real bundle in a
// child process. Exit codes (0 built / explained without errors, 1 problems found, 2 bad usage),
// the private key and password never on stdout or stderr unless --reveal, what --reveal prints
// decodes (reference rules) to the very key file, and no command waits for stdin.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI_BUNDLE, cliEnv, runCli, type CliResult } from '../support/cli.js';
import { clientCertificate, keyFragments, keyMaterial, makeCa, referencePem, referenceQuery } from '../support/changefeed-pki.js';
import { requireSystemTool } from '../support/system-tools.js';
import { openssl } from '../support/openssl.js';

const PASSWORD = 'c0rrect+horse&battery#staple';
let tmp = '';
let keyPem = '';
const env = () => cliEnv({ CRDB_TLS_STATE_DIR: path.join(tmp, 'state'), CRDB_TLS_LOG_LEVEL: 'debug' });
const cli = (args: string[]) => runCli(['changefeed-uri', ...args], { cwd: tmp, env: env() });
const BASE = ['encode', '--sink', 'kafka://broker.example.com:9093', '--ca', 'ca.crt', '--cert', 'client.crt', '--key', 'client.key'];
const SASL = ['--param', 'sasl_enabled=true', '--param', 'sasl_mechanism=SCRAM-SHA-512', '--param', 'sasl_user=cdc', '--param', `sasl_password=${PASSWORD}`];

function assertNoSecrets(result: CliResult, what: string) {
  for (const stream of ['stdout', 'stderr'] as const) {
    for (const fragment of keyFragments(keyPem)) assert.ok(!result[stream].includes(fragment), `part of the private key is on ${stream} of ${what}`);
    assert.ok(!result[stream].includes('PRIVATE KEY'), `a PEM key is on ${stream} of ${what}`);
    assert.ok(!result[stream].includes('battery') && !result[stream].includes(encodeURIComponent(PASSWORD)), `the password is on ${stream} of ${what}`);
  }
}

function assertUsageError(result: CliResult, what: string) {
  assert.equal(result.status, 2, `${what}: exit ${result.status}, stderr ${result.stderr}`);
  const lines = result.stderr.split('\n').filter(Boolean).filter((line) => !line.startsWith('{'));
  assert.equal(lines.length, 1, `${what}: expected one stderr line, got ${JSON.stringify(lines)}`);
  assert.match(lines[0]!, /^crdb-tls: /);
  assert.ok(!result.stderr.includes('    at '), `${what}: a stack trace`);
}

before(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-cf-cli-')));
  const ca = makeCa('ec');
  const key = keyMaterial('ec-p256-sec1');
  keyPem = key.pem;
  fs.writeFileSync(path.join(tmp, 'ca.crt'), ca.cert.pem);
  fs.writeFileSync(path.join(tmp, 'client.crt'), clientCertificate(ca, key.key, 'cdc').pem);
  fs.writeFileSync(path.join(tmp, 'client.key'), key.pem, { mode: 0o600 });
  fs.writeFileSync(path.join(tmp, 'other.key'), keyMaterial('ec-p256-sec1').pem, { mode: 0o600 });
});
after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('crdb-tls changefeed-uri encode', () => {
  test('prints the redacted URI and statement, exits 0, and neither stdout nor stderr holds the key or password', () => {
    const result = cli([...BASE, ...SASL, '--table', 'orders', '--option', 'updated', '--option', 'resolved=10s']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /client_key=<redacted>/);
    assert.match(result.stdout, /sasl_password=<redacted>/);
    assert.match(result.stdout, /CREATE CHANGEFEED FOR TABLE orders INTO 'kafka:\/\/broker\.example\.com:9093\?tls_enabled=true&/);
    assert.match(result.stdout, /WITH updated, resolved = '10s';/);
    assert.match(result.stdout, /--reveal/);
    assertNoSecrets(result, 'encode');
    // CRDB_TLS_LOG_LEVEL=debug: the tool logged the redacted URI on stderr, and only that.
    assert.ok(result.stderr.split('\n').some((line) => line.startsWith('{') && line.includes('client_key=<redacted>')), `no debug log line with the redacted URI: ${result.stderr.slice(0, 300)}`);
  });

  test('--json without --reveal has uri_redacted and no uri', () => {
    const result = cli([...BASE, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const output = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(output.encoded, true);
    assert.equal(output.uri, undefined);
    assert.match(String(output.uri_redacted), /client_key=<redacted>$/);
    assertNoSecrets(result, 'encode --json');
  });

  test('--reveal prints the URI; decoded with the reference rules it gives back the key file and the password exactly', () => {
    const result = cli([...BASE, ...SASL, '--reveal', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const uri = String((JSON.parse(result.stdout) as { uri: string }).uri);
    assert.ok(referencePem(uri, 'client_key').equals(fs.readFileSync(path.join(tmp, 'client.key'))));
    assert.ok(referencePem(uri, 'ca_cert').equals(fs.readFileSync(path.join(tmp, 'ca.crt'))));
    assert.equal(referenceQuery(uri).get('sasl_password'), PASSWORD);
    // Still nothing secret on stderr, where logs go.
    for (const fragment of keyFragments(keyPem)) assert.ok(!result.stderr.includes(fragment), 'part of the key reached stderr');
  });

  test('a key that does not match the certificate: exit 1, nothing built, the problem and its fix on stdout, one line on stderr', () => {
    const result = cli([...BASE.slice(0, -1), 'other.key']);
    assert.equal(result.status, 1, result.stdout);
    assert.match(result.stdout, /error \[key_mismatch\] client_key/);
    assert.match(result.stdout, /fix: /);
    assert.doesNotMatch(result.stdout, /kafka:\/\/broker\.example\.com:9093\?/);
    assert.match(result.stderr, /^crdb-tls: not encoded: key_mismatch/m);
  });

  test('an encrypted key: exit 1 with the openssl command to decrypt it', (t) => {
    if (!requireSystemTool(t, 'openssl')) return;
    fs.writeFileSync(path.join(tmp, 'encrypted.key'), openssl(['pkey', '-aes256', '-passout', 'pass:pw', '-in', path.join(tmp, 'client.key')]), { mode: 0o600 });
    const result = cli([...BASE.slice(0, -1), 'encrypted.key']);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /\[encrypted_key\]/);
    assert.match(result.stdout, /openssl pkey -in encrypted\.key -out client\.decrypted\.key/);
  });

  test('bad usage exits 2 with one crdb-tls: line, and never echoes a --param value', () => {
    const noEquals = cli([...BASE, '--param', 'hunter2secret']);
    assertUsageError(noEquals, '--param without =');
    assert.ok(!noEquals.stderr.includes('hunter2secret'), 'the malformed --param value was echoed');
    assertUsageError(cli([...BASE, '--bogus']), 'an unknown flag');
    assertUsageError(cli(['encode', '--ca', 'ca.crt']), 'no --sink');
    assertUsageError(cli(['encode', '--sink', 'webhook-http://hooks.example.com/x']), 'a webhook over http');
    assertUsageError(cli([...BASE, '--param', 'ca_cert=abc']), 'ca_cert as a raw parameter');
    assertUsageError(cli([...BASE, '--option', 'updated', '--option', 'updated']), 'an option twice');
  });

  test('a missing certificate file is a failed operation: exit 1, one line naming the file', () => {
    const result = cli(['encode', '--sink', 'kafka://b:9093', '--ca', 'missing.crt']);
    assert.equal(result.status, 1);
    assert.equal(result.stderr.trim().split('\n').filter((line) => !line.startsWith('{')).length, 1);
    assert.match(result.stderr, /^crdb-tls: cannot read .*missing\.crt: no such file or directory/m);
  });
});

describe('crdb-tls changefeed-uri decode', () => {
  let goodUri = '';
  before(() => {
    const result = cli([...BASE, ...SASL, '--reveal', '--json']);
    goodUri = String((JSON.parse(result.stdout) as { uri: string }).uri);
  });

  test('a correct URI: exit 0, certificates shown, key and password not', () => {
    const result = cli(['decode', goodUri]);
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stdout, /^OK: Kafka sink kafka:\/\/broker\.example\.com:9093/);
    assert.match(result.stdout, /client_cert +O=Cockroach, CN=cdc/);
    assert.match(result.stdout, /matches client_cert/);
    assertNoSecrets(result, 'decode');
  });

  test('a whole CREATE CHANGEFEED statement with a raw + in the password and a DER CA: exit 1, each mistake with its code and fix', () => {
    const ca = fs.readFileSync(path.join(tmp, 'ca.crt'), 'utf8');
    const der = Buffer.from(ca.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64');
    const sql = `CREATE CHANGEFEED FOR TABLE orders INTO 'kafka://broker:9093?tls_enabled=true&ca_cert=${encodeURIComponent(der)}&sasl_enabled=true&sasl_user=u&sasl_password=a+b' WITH updated`;
    const result = cli(['decode', sql, '--json']);
    assert.equal(result.status, 1, result.stderr);
    const output = JSON.parse(result.stdout) as { ok: boolean; input: string; problems: Array<{ code: string; diagnosis_code: string; fix: string }> };
    assert.equal(output.ok, false);
    assert.equal(output.input, 'create_changefeed');
    const codes = output.problems.map((p) => p.code);
    assert.ok(codes.includes('der_instead_of_pem') && codes.includes('unencoded_plus'), JSON.stringify(codes));
    assert.ok(output.problems.every((p) => p.diagnosis_code === 'changefeed_sink_tls' && p.fix.length > 0));
  });

  test('text that is neither a URI nor a statement is bad usage (exit 2)', () => {
    assertUsageError(cli(['decode', 'not a uri at all']), 'decode of plain text');
  });

  test('the URI can be piped in (with -, or with no argument), so that it stays out of shell history and ps', () => {
    const byArgument = cli(['decode', goodUri, '--json']);
    assert.equal(byArgument.status, 0, byArgument.stderr);
    for (const args of [['decode', '-', '--json'], ['decode', '--json']]) {
      const piped = runCli(['changefeed-uri', ...args], { cwd: tmp, env: env(), input: `${goodUri}\n` });
      assert.equal(piped.status, 0, `${args.join(' ')}: ${piped.stderr}`);
      assert.deepEqual(JSON.parse(piped.stdout), JSON.parse(byArgument.stdout), `${args.join(' ')} decodes the piped URI as the argument`);
      assertNoSecrets(piped, args.join(' '));
    }
    // A break inside the URI is still there to be found; only the final newline is dropped.
    const wrapped = `${goodUri.slice(0, 200)}\n${goodUri.slice(200)}\n`;
    const broken = runCli(['changefeed-uri', 'decode', '-', '--json'], { cwd: tmp, env: env(), input: wrapped });
    assert.equal(broken.status, 1, broken.stderr);
    assert.ok((JSON.parse(broken.stdout) as { problems: Array<{ code: string }> }).problems.length > 0);
    assertUsageError(runCli(['changefeed-uri', 'decode', '-'], { cwd: tmp, env: env(), input: '' }), 'decode of an empty stdin');
  });
});

test('neither verb waits for stdin: both finish with stdin left open', async () => {
  assert.ok(fs.existsSync(CLI_BUNDLE), 'run npm run build first');
  for (const args of [[...BASE], ['decode', 'kafka://broker:9093?tls_enabled=true']]) {
    const child = spawn(process.execPath, [CLI_BUNDLE, 'changefeed-uri', ...args], { cwd: tmp, env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${args[0]} waited for stdin`)); }, 20_000);
      child.on('exit', (exitCode) => { clearTimeout(timer); resolve(exitCode); });
    });
    assert.equal(code, 0, `${args[0]} exited ${code}`);
    child.stdin.destroy();
  }
});
