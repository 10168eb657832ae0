// The CLI face as a person at a shell meets it: the real command (dist/crdb-tls.cjs, the bundle) in a child
// process. Bad input must change nothing on disk (every file's name, mode, size and SHA-256 is
// compared before and after), exit with the right code (2 usage, 1 failed operation) and say so
// in ONE stderr line starting `crdb-tls: ` that tells what to do, never a stack trace.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI_BUNDLE, REPO_ROOT, cliEnv, copyBuiltCommand, runCli, runCliOk, type CliResult } from '../support/cli.js';

const IS_ROOT = process.getuid?.() === 0;
const PACKAGE_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
// `cockroach cert list` usage strings (reference §1.6, PemUsage.String()).
const COCKROACH_USAGES = ['CA', 'Client CA', 'Tenant Client CA', 'UI CA', 'Node', 'UI', 'Client', 'Tenant Client', 'Tenant Signing'];

let base: string;
/** A CA, a node and a root client certificate made once by the CLI; tests copy it before changing anything. */
let pristine: { certs: string; safe: string };

function nobodyIds(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim()),
  };
}

/** A fresh directory under the test base, traversable by other users (mkdtemp makes 0700). */
let counter = 0;
function freshDir(label: string): string {
  const dir = path.join(base, `${label}-${++counter}`);
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** A copy of the pristine certs dir and CA key dir (modes kept), for a test to damage. */
function copyOfPki(label: string): { certs: string; safe: string; caKey: string } {
  const root = freshDir(label);
  const certs = path.join(root, 'certs');
  const safe = path.join(root, 'safe');
  fs.cpSync(pristine.certs, certs, { recursive: true, preserveTimestamps: true });
  fs.cpSync(pristine.safe, safe, { recursive: true, preserveTimestamps: true });
  return { certs, safe, caKey: path.join(safe, 'ca.key') };
}

interface Entry {
  name: string;
  type: 'file' | 'dir' | 'other';
  mode: string;
  size: number;
  sha256: string;
}

/** Every entry under `dir` (hidden ones too): name, type, mode, size and SHA-256 of the contents. */
function snapshot(dir: string): Entry[] {
  const entries: Entry[] = [];
  const walk = (current: string) => {
    for (const name of fs.readdirSync(current).sort()) {
      const full = path.join(current, name);
      const stat = fs.lstatSync(full);
      const type = stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : 'other';
      entries.push({
        name: path.relative(dir, full),
        type,
        mode: (stat.mode & 0o7777).toString(8),
        size: stat.size,
        sha256: type === 'file' ? crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex') : '',
      });
      if (type === 'dir') walk(full);
    }
  };
  walk(dir);
  const self = fs.statSync(dir);
  return [{ name: '.', type: 'dir', mode: (self.mode & 0o7777).toString(8), size: 0, sha256: '' }, ...entries];
}

/** Runs `action` and asserts that none of `dirs` changed in any way. */
function assertNothingChanges<T>(dirs: string[], action: () => T): T {
  const before = dirs.map(snapshot);
  const result = action();
  dirs.forEach((dir, i) => assert.deepEqual(snapshot(dir), before[i], `${dir} changed`));
  return result;
}

/** Exactly one stderr line, starting `crdb-tls: `, no stack frames, saying what to do; returns that line. */
function assertOneLineError(result: CliResult, expectedStatus: number): string {
  const where = `status ${result.status}\nstderr: ${result.stderr}\nstdout: ${result.stdout}`;
  assert.equal(result.status, expectedStatus, where);
  assert.ok(result.stderr.endsWith('\n'), `stderr must end with a newline: ${where}`);
  const lines = result.stderr.slice(0, -1).split('\n');
  assert.equal(lines.length, 1, `stderr must be ONE line: ${where}`);
  const line = lines[0]!;
  assert.ok(line.startsWith('crdb-tls: '), `stderr must start with "crdb-tls: ": ${where}`);
  assert.doesNotMatch(line, /\bat .+:\d+:\d+\)?/, 'no stack frames');
  assert.doesNotMatch(line, /internal error/, 'bad input is not a bug');
  assertSaysWhatToDo(line);
  return line;
}

/** An error points at --help, or carries a hint after " — " saying what to do instead. */
function assertSaysWhatToDo(line: string) {
  assert.match(line, /--help| — \S/, `the error must say what to do: ${line}`);
}

const create = (verb: string, certs: string, caKey: string, ...rest: string[]) => ['cert', verb, ...rest, '--certs-dir', certs, '--ca-key', caKey];

before(() => {
  assert.ok(fs.existsSync(CLI_BUNDLE), `${CLI_BUNDLE} is missing: run npm run build first`);
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-cli-'));
  fs.chmodSync(base, 0o755); // the nobody test walks through it
  const root = freshDir('pristine');
  pristine = { certs: path.join(root, 'certs'), safe: path.join(root, 'safe') };
  fs.mkdirSync(pristine.certs, { mode: 0o755 });
  fs.mkdirSync(pristine.safe, { mode: 0o755 });
  const caKey = path.join(pristine.safe, 'ca.key');
  runCliOk(create('create-ca', pristine.certs, caKey));
  runCliOk(create('create-node', pristine.certs, caKey, 'localhost', '127.0.0.1'));
  runCliOk(create('create-client', pristine.certs, caKey, 'root', '--yes'));
});

after(() => {
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

describe('usage errors exit 2 and write nothing', () => {
  test('an unknown flag on create-ca exits 2, names the flag and points at --help, and creates no CA', () => {
    const dir = freshDir('bogus-flag');
    const certs = path.join(dir, 'certs');
    const safe = path.join(dir, 'safe');
    fs.mkdirSync(certs);
    fs.mkdirSync(safe);
    const line = assertNothingChanges([dir], () => assertOneLineError(runCli(['cert', 'create-ca', '--certs-dir', certs, '--ca-key', path.join(safe, 'ca.key'), '--bogus']), 2));
    assert.match(line, /--bogus/);
  });

  test('an unknown verb exits 2 and names it', () => {
    for (const args of [['cert', 'create-everything'], ['frobnicate']]) {
      const line = assertOneLineError(runCli(args), 2);
      assert.match(line, new RegExp(args[args.length - 1]!));
    }
  });

  test('create-node without hosts exits 2, says the hosts are missing and writes nothing', () => {
    const pki = copyOfPki('no-hosts');
    fs.rmSync(path.join(pki.certs, 'node.crt'));
    fs.rmSync(path.join(pki.certs, 'node.key'));
    const line = assertNothingChanges([pki.certs, pki.safe], () => assertOneLineError(runCli(create('create-node', pki.certs, pki.caKey)), 2));
    assert.match(line, /hosts/);
  });

  test('--help on every verb exits 0 and prints that verb\'s usage on stdout', () => {
    for (const verb of ['create-ca', 'create-client-ca', 'create-node', 'create-client', 'list', 'inspect']) {
      const result = runCli(['cert', verb, '--help']);
      assert.equal(result.status, 0, `${verb}: ${result.stderr}`);
      assert.ok(result.stdout.startsWith(`Usage: crdb-tls cert ${verb} `), `${verb}: ${result.stdout}`);
      assert.match(result.stdout, /--help/);
      assert.equal(result.stderr, '');
    }
    for (const args of [['cert', '--help'], ['--help']]) {
      const result = runCli(args);
      assert.equal(result.status, 0);
      assert.match(result.stdout, /^Usage: crdb-tls /);
    }
  });

  test('--help lists the cockroach cert flag names on the create verbs', () => {
    const help = runCliOk(['cert', 'create-client', '--help']).stdout;
    for (const flag of ['--certs-dir', '--ca-key', '--lifetime', '--overwrite', '--key-size']) assert.match(help, new RegExp(flag));
  });

  test('--version exits 0 and prints the version of package.json', () => {
    for (const flag of ['--version', '-v']) {
      const result = runCli([flag]);
      assert.equal(result.status, 0);
      assert.equal(result.stdout.trim(), PACKAGE_VERSION);
      assert.equal(result.stderr, '');
    }
  });
});

describe('the CA key', () => {
  test('a CA key that does not exist fails with 1, names the path, and nothing is written', () => {
    const pki = copyOfPki('missing-ca-key');
    fs.rmSync(path.join(pki.certs, 'node.crt'));
    fs.rmSync(path.join(pki.certs, 'node.key'));
    const line = assertNothingChanges([pki.certs, pki.safe], () => assertOneLineError(runCli(create('create-node', pki.certs, '/nonexistent/ca.key', 'localhost')), 1));
    assert.match(line, /\/nonexistent\/ca\.key/);
  });

  test('neither --ca-key nor COCKROACH_CA_KEY is a usage error (2) naming both', () => {
    const pki = copyOfPki('no-ca-key');
    fs.rmSync(path.join(pki.certs, 'node.crt'));
    fs.rmSync(path.join(pki.certs, 'node.key'));
    const line = assertNothingChanges([pki.certs, pki.safe], () =>
      assertOneLineError(runCli(['cert', 'create-node', 'localhost', '--certs-dir', pki.certs], { env: cliEnv() }), 2));
    assert.match(line, /--ca-key/);
    assert.match(line, /COCKROACH_CA_KEY/);
  });

  test('COCKROACH_CERTS_DIR and COCKROACH_CA_KEY are used when the flags are absent', () => {
    const pki = copyOfPki('env-defaults');
    fs.rmSync(path.join(pki.certs, 'node.crt'));
    fs.rmSync(path.join(pki.certs, 'node.key'));
    const cwd = freshDir('env-cwd'); // relative defaults must not land here
    const env = cliEnv({ COCKROACH_CERTS_DIR: pki.certs, COCKROACH_CA_KEY: pki.caKey });
    runCliOk(['cert', 'create-node', 'node1.example.com'], { cwd, env });
    assert.deepEqual(fs.readdirSync(cwd), []);
    const cert = new crypto.X509Certificate(fs.readFileSync(path.join(pki.certs, 'node.crt')));
    const ca = new crypto.X509Certificate(fs.readFileSync(path.join(pki.certs, 'ca.crt')));
    assert.ok(cert.verify(ca.publicKey), 'node.crt must be signed by the CA named through the environment');
    assert.match(cert.subjectAltName ?? '', /DNS:node1\.example\.com/);

    const listing = JSON.parse(runCliOk(['cert', 'list', '--json'], { cwd, env }).stdout) as { certs_dir: string };
    assert.equal(listing.certs_dir, pki.certs);
  });

  test('--certs-dir wins over COCKROACH_CERTS_DIR', () => {
    const elsewhere = freshDir('env-loses');
    const listing = JSON.parse(runCliOk(['cert', 'list', '--json', '--certs-dir', pristine.certs], { env: cliEnv({ COCKROACH_CERTS_DIR: elsewhere }) }).stdout) as { certs_dir: string };
    assert.equal(listing.certs_dir, pristine.certs);
  });
});

describe('a ca.crt that is not a certificate', () => {
  for (const [label, contents] of [['garbage text', 'this is not a certificate\n'], ['an empty file', '']] as const) {
    test(`create-node refuses a ca.crt holding ${label} (1), naming the file, and writes nothing`, () => {
      const pki = copyOfPki('bad-ca');
      for (const name of fs.readdirSync(pki.certs)) fs.rmSync(path.join(pki.certs, name));
      const caCrt = path.join(pki.certs, 'ca.crt');
      fs.writeFileSync(caCrt, contents, { mode: 0o644 });
      const line = assertNothingChanges([pki.certs, pki.safe], () => assertOneLineError(runCli(create('create-node', pki.certs, pki.caKey, 'localhost')), 1));
      assert.ok(line.includes(caCrt), `the error must name ${caCrt}: ${line}`);
    });
  }
});

describe('SQL user names (reference §1.2)', () => {
  const badNames: Array<[string, string]> = [
    ['bad user', 'a space'],
    ['', 'the empty name'],
    ['a'.repeat(64), 'a 64-character name'],
    ['-dash-first', 'a dash first'],
  ];
  for (const [name, what] of badNames) {
    test(`create-client refuses ${what} with 2 and writes nothing`, () => {
      const pki = copyOfPki('bad-user');
      // `--` so that "-dash-first" reaches the tool as the user name, not as a flag.
      const args = ['cert', 'create-client', '--certs-dir', pki.certs, '--ca-key', pki.caKey, '--', name];
      const line = assertNothingChanges([pki.certs, pki.safe], () => assertOneLineError(runCli(args), 2));
      assert.match(line, /user ?name|username/i);
    });
  }

  test('create-client Alice writes client.alice.crt/.key with CN=alice', () => {
    const pki = copyOfPki('alice');
    runCliOk(create('create-client', pki.certs, pki.caKey, 'Alice'));
    const names = fs.readdirSync(pki.certs);
    assert.ok(names.includes('client.alice.crt') && names.includes('client.alice.key'), names.join(', '));
    assert.ok(!names.some((n) => n.includes('Alice')), names.join(', '));
    const cert = new crypto.X509Certificate(fs.readFileSync(path.join(pki.certs, 'client.alice.crt')));
    assert.match(cert.subject, /^CN=alice$/m);
    assert.equal(fs.statSync(path.join(pki.certs, 'client.alice.key')).mode & 0o777, 0o600);
  });
});

describe('a certs dir the user may not write', () => {
  /** Runs the bundle as nobody; copies it somewhere nobody can read it if the checkout is closed to them. */
  function runAsNobody(args: string[]): CliResult {
    const { uid, gid } = nobodyIds();
    // nobody keeps its own audit trail: the test's state dir belongs to root.
    const stateDir = freshDir('nobody-state');
    fs.chownSync(stateDir, uid, gid);
    const env = cliEnv({ CRDB_TLS_STATE_DIR: stateDir });
    // --help loads the CLI's chunks too (--version reads the entry only).
    const probe = spawnSync(process.execPath, [CLI_BUNDLE, '--help'], { uid, gid, encoding: 'utf8' });
    if (probe.status === 0) return runCli(args, { uid, gid, cwd: base, env });
    const copy = copyBuiltCommand(freshDir('bundle'));
    const result = spawnSync(process.execPath, [copy, ...args], { uid, gid, cwd: base, env, encoding: 'utf8', input: '' });
    if (result.error) throw result.error;
    return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
  }

  /** As root, permission bits do not stop us: run as nobody against root-owned dirs. Otherwise a 0555 dir stops us. */
  function runWithoutWriteAccess(certs: string, args: string[]): CliResult {
    if (IS_ROOT) return runAsNobody(args);
    fs.chmodSync(certs, 0o555);
    try {
      return runCli(args);
    } finally {
      fs.chmodSync(certs, 0o755);
    }
  }

  test('create-node into a read-only certs dir fails with 1 and a permission error, leaving no file and no temp file', () => {
    const pki = copyOfPki('readonly');
    fs.rmSync(path.join(pki.certs, 'node.crt'));
    fs.rmSync(path.join(pki.certs, 'node.key'));
    fs.chmodSync(pki.caKey, 0o644); // readable CA files: only the write may fail
    fs.chmodSync(pki.certs, 0o755);
    const line = assertNothingChanges([pki.certs, pki.safe], () => assertOneLineError(runWithoutWriteAccess(pki.certs, create('create-node', pki.certs, pki.caKey, 'localhost')), 1));
    assert.match(line, /permission denied/);
    assert.ok(line.includes(pki.certs), `the error must name the file it could not write: ${line}`);
    assert.deepEqual(fs.readdirSync(pki.certs).filter((n) => n.endsWith('.tmp')), []);
  });

  test('create-ca whose key dir is writable but whose certs dir is not leaves no new CA key behind', () => {
    // cockroach writes the CA key before the certificate and leaves it behind when the second
    // write fails (reference §1.4); here the two are written all-or-nothing.
    const dir = freshDir('ca-half');
    const certs = path.join(dir, 'certs');
    const safe = path.join(dir, 'safe');
    fs.mkdirSync(certs, { mode: 0o755 });
    fs.mkdirSync(safe, { mode: 0o700 });
    if (IS_ROOT) {
      const { uid, gid } = nobodyIds();
      fs.chownSync(safe, uid, gid); // nobody may write the key, not the certificate
    }
    const args = ['cert', 'create-ca', '--certs-dir', certs, '--ca-key', path.join(safe, 'ca.key')];
    const line = assertNothingChanges([certs, safe], () => assertOneLineError(runWithoutWriteAccess(certs, args), 1));
    assert.match(line, /permission denied/);
  });
});

describe('a certs dir that is a dangling symlink', () => {
  test('create-ca refuses it with 1 and one line (not an internal error), and writes no CA key', () => {
    const dir = freshDir('dangling');
    fs.symlinkSync(path.join(dir, 'gone'), path.join(dir, 'certs'));
    const line = assertNothingChanges([dir], () => assertOneLineError(runCli(['cert', 'create-ca', '--certs-dir', path.join(dir, 'certs'), '--ca-key', path.join(dir, 'ca.key')]), 1));
    assert.ok(line.includes(path.join(dir, 'certs')), line);
  });
});

describe('existing files and --overwrite', () => {
  test('a second create-node without --overwrite fails with 1 and leaves node.crt and node.key as they were', () => {
    const pki = copyOfPki('twice');
    const line = assertNothingChanges([pki.certs, pki.safe], () => assertOneLineError(runCli(create('create-node', pki.certs, pki.caKey, 'localhost')), 1));
    assert.match(line, /node\.(crt|key)/);
    assert.match(line, /--overwrite/);
  });

  test('with --overwrite node.crt and node.key are replaced, and node.key keeps its owner and group, and its mode 0640 is cut to 0600 (a key is never wider, issue 14)', () => {
    const pki = copyOfPki('overwrite');
    const keyPath = path.join(pki.certs, 'node.key');
    const certPath = path.join(pki.certs, 'node.crt');
    const { uid, gid } = IS_ROOT ? nobodyIds() : { uid: process.getuid!(), gid: process.getgid!() };
    fs.chownSync(keyPath, uid, gid); // node.key handed to the user cockroach runs as
    fs.chmodSync(keyPath, 0o640);
    const oldKey = fs.readFileSync(keyPath);
    const oldCert = fs.readFileSync(certPath);

    runCliOk(create('create-node', pki.certs, pki.caKey, 'localhost', 'node2.example.com', '--overwrite', '--yes'));

    const newKey = fs.readFileSync(keyPath);
    const newCert = new crypto.X509Certificate(fs.readFileSync(certPath));
    assert.ok(!newKey.equals(oldKey), 'node.key must be a new key');
    assert.ok(!newCert.raw.equals(new crypto.X509Certificate(oldCert).raw), 'node.crt must be a new certificate');
    assert.match(newCert.subjectAltName ?? '', /node2\.example\.com/);
    assert.ok(newCert.checkPrivateKey(crypto.createPrivateKey(newKey)), 'the new key must belong to the new certificate');
    const stat = fs.statSync(keyPath);
    assert.equal(stat.uid, uid);
    assert.equal(stat.gid, gid);
    assert.equal(stat.mode & 0o7777, 0o600);
    assert.deepEqual(fs.readdirSync(pki.certs).filter((n) => /\.(tmp|bak)$/.test(n)), []);
  });
});

interface ListingJson {
  rows: Array<{ usage: string; certificate_file: string; key_file: string; expires: string; error: string; findings: Array<{ rule: string; level: string; message: string }> }>;
  expiring_within_threshold: string[];
}
const listJson = (certs: string, ...extra: string[]) => JSON.parse(runCliOk(['cert', 'list', '--certs-dir', certs, '--json', ...extra]).stdout) as ListingJson;

describe('cert list', () => {
  test('--fail-within 30d exits 0 when every certificate has longer', () => {
    const result = runCli(['cert', 'list', '--certs-dir', pristine.certs, '--fail-within', '30d']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
  });

  test('--fail-within 30d exits 1 and names the file once a client certificate expires in 200h', () => {
    const pki = copyOfPki('expiring');
    runCliOk(create('create-client', pki.certs, pki.caKey, 'shortlived', '--lifetime', '200h'));
    const result = runCli(['cert', 'list', '--certs-dir', pki.certs, '--fail-within', '30d']);
    assert.equal(result.status, 1, result.stdout);
    assert.match(result.stdout, /client\.shortlived\.crt/);
    // 200h is within 9 days, so a shorter window lets it pass again.
    assert.equal(runCli(['cert', 'list', '--certs-dir', pki.certs, '--fail-within', '8d']).status, 0);
    const json = runCli(['cert', 'list', '--certs-dir', pki.certs, '--fail-within', '30d', '--json']);
    assert.equal(json.status, 1);
    assert.deepEqual((JSON.parse(json.stdout) as ListingJson).expiring_within_threshold, ['client.shortlived.crt']);
  });

  test('--json rows carry the cockroach cert list usage for each file name (CA, Client CA, Node, Client)', () => {
    const pki = copyOfPki('usages');
    runCliOk(create('create-client-ca', pki.certs, path.join(pki.safe, 'ca-client.key')));
    runCliOk(create('create-client', pki.certs, path.join(pki.safe, 'ca-client.key'), 'alice'));
    const listing = listJson(pki.certs);
    for (const row of listing.rows) assert.ok(COCKROACH_USAGES.includes(row.usage), `unknown usage ${row.usage}`);
    const usageOf = Object.fromEntries(listing.rows.map((r) => [r.certificate_file, r.usage]));
    assert.deepEqual(usageOf, { 'ca.crt': 'CA', 'ca-client.crt': 'Client CA', 'node.crt': 'Node', 'client.root.crt': 'Client', 'client.alice.crt': 'Client' });
    // Expires is the NotAfter of the first certificate, as Go's 2006/01/02 (reference §1.6).
    const notAfter = new Date(new crypto.X509Certificate(fs.readFileSync(path.join(pki.certs, 'node.crt'))).validTo);
    const expected = `${notAfter.getUTCFullYear()}/${String(notAfter.getUTCMonth() + 1).padStart(2, '0')}/${String(notAfter.getUTCDate()).padStart(2, '0')}`;
    assert.equal(listing.rows.find((r) => r.certificate_file === 'node.crt')?.expires, expected);
  });

  test('a 0644 client key shows CockroachDB\'s permission error in the Error column', () => {
    const pki = copyOfPki('loose-key');
    runCliOk(create('create-client', pki.certs, pki.caKey, 'x'));
    const keyPath = path.join(pki.certs, 'client.x.key');
    // CockroachDB allows 0740 for a key owned by root and by its own group (reference §1.5); a key
    // owned by anyone else is held to 0700, the case people meet.
    if (IS_ROOT) {
      const { uid, gid } = nobodyIds();
      fs.chownSync(keyPath, uid, gid);
    }
    fs.chmodSync(keyPath, 0o644);
    const expected = 'key file client.x.key has permissions -rw-r--r--, exceeds -rwx------';
    const row = listJson(pki.certs).rows.find((r) => r.certificate_file === 'client.x.crt');
    assert.equal(row?.error, expected);
    const text = runCli(['cert', 'list', '--certs-dir', pki.certs]);
    assert.equal(text.status, 0, 'a finding is a result, not a failure of the listing');
    const tableLine = text.stdout.split('\n').find((l) => l.includes('client.x.crt') && !l.includes('ERROR'));
    assert.ok(tableLine?.trimEnd().endsWith(expected), `the table row must end with the Error column: ${tableLine}`);
  });

  test('only a key owned by root and by our group gets the 0740 allowance (reference §1.5)', () => {
    const pki = copyOfPki('root-key');
    const keyPath = path.join(pki.certs, 'client.root.key');
    const errorOf = () => listJson(pki.certs).rows.find((r) => r.certificate_file === 'client.root.crt')?.error;
    fs.chmodSync(keyPath, 0o640);
    if (IS_ROOT) {
      fs.chownSync(keyPath, 0, process.getgid!());
      assert.equal(errorOf(), '', 'a root-owned 0640 key in our group is within 0740');
      fs.chmodSync(keyPath, 0o644);
      assert.equal(errorOf(), 'key file client.root.key has permissions -rw-r--r--, exceeds -rwxr-----');
    } else {
      assert.equal(errorOf(), 'key file client.root.key has permissions -rw-r-----, exceeds -rwx------');
    }
  });

  test('swapped client keys are each reported as not belonging to their certificate', () => {
    const pki = copyOfPki('swapped');
    runCliOk(create('create-client', pki.certs, pki.caKey, 'alice'));
    const a = path.join(pki.certs, 'client.alice.key');
    const r = path.join(pki.certs, 'client.root.key');
    const aliceKey = fs.readFileSync(a);
    fs.writeFileSync(a, fs.readFileSync(r));
    fs.writeFileSync(r, aliceKey);
    const listing = listJson(pki.certs);
    for (const file of ['client.alice.crt', 'client.root.crt']) {
      const row = listing.rows.find((x) => x.certificate_file === file);
      assert.ok(row?.findings.some((f) => f.rule === 'key_mismatch' && f.level === 'error'), `${file}: ${JSON.stringify(row?.findings)}`);
    }
    const node = listing.rows.find((x) => x.certificate_file === 'node.crt');
    assert.deepEqual(node?.findings.filter((f) => f.rule === 'key_mismatch'), [], 'node.key still matches');
    assert.match(runCliOk(['cert', 'list', '--certs-dir', pki.certs]).stdout, /client\.alice\.key does not belong to client\.alice\.crt/);
  });

  test('a certs dir that does not exist fails with 1 and names it', () => {
    const missing = path.join(base, 'no-such-certs-dir');
    const line = assertOneLineError(runCli(['cert', 'list', '--certs-dir', missing]), 1);
    assert.ok(line.includes(missing), line);
  });

  test('a bad --fail-within is a usage error (2)', () => {
    const line = assertOneLineError(runCli(['cert', 'list', '--certs-dir', pristine.certs, '--fail-within', 'soon']), 2);
    assert.match(line, /soon/);
  });
});

interface InspectionJson {
  certificates: Array<{ common_name: string }>;
  chain: { verified: boolean; error?: string; path: string[] } | null;
}

describe('cert inspect', () => {
  let otherCa: string;
  before(() => {
    const dir = freshDir('other-ca');
    fs.mkdirSync(path.join(dir, 'certs'));
    runCliOk(['cert', 'create-ca', '--certs-dir', path.join(dir, 'certs'), '--ca-key', path.join(dir, 'ca.key')]);
    otherCa = path.join(dir, 'certs', 'ca.crt');
  });

  test('node.crt verifies against the ca.crt that signed it', () => {
    const args = ['cert', 'inspect', path.join(pristine.certs, 'node.crt'), '--ca', path.join(pristine.certs, 'ca.crt')];
    const text = runCli(args);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /Chain: verified/);
    const json = JSON.parse(runCliOk([...args, '--json']).stdout) as InspectionJson;
    assert.equal(json.chain?.verified, true);
    assert.equal(json.certificates[0]?.common_name, 'node');
  });

  test('against another CA the chain is not verified, with the reason, and the exit code is 1 (as openssl verify fails)', () => {
    const args = ['cert', 'inspect', path.join(pristine.certs, 'node.crt'), '--ca', otherCa];
    const text = runCli(args);
    assert.equal(text.status, 1, text.stderr);
    assert.match(text.stdout, /NOT verified/);
    assert.match(text.stdout, /unable to get local issuer certificate/);
    const asJson = runCli([...args, '--json']);
    assert.equal(asJson.status, 1);
    const json = JSON.parse(asJson.stdout) as InspectionJson;
    assert.equal(json.chain?.verified, false);
    assert.match(json.chain?.error ?? '', /unable to get local issuer certificate/);
  });

  test('a private key, a text file or an empty file given as the certificate fails with 1, naming the file', () => {
    const dir = freshDir('not-a-cert');
    const text = path.join(dir, 'notes.txt');
    const empty = path.join(dir, 'empty.crt');
    fs.writeFileSync(text, 'hello\n');
    fs.writeFileSync(empty, '');
    for (const file of [path.join(pristine.certs, 'node.key'), text, empty]) {
      const line = assertOneLineError(runCli(['cert', 'inspect', file]), 1);
      assert.ok(line.includes(file), line);
    }
  });

  test('a certificate file that does not exist fails with 1, naming it', () => {
    const missing = path.join(base, 'nope.crt');
    const line = assertOneLineError(runCli(['cert', 'inspect', missing]), 1);
    assert.ok(line.includes(missing), line);
  });
});
