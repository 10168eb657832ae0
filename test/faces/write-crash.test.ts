// A write killed half-way (issue 14, DESIGN.md §5). The real CLI bundle runs under strace, which
// delivers SIGKILL as the process enters the link(2) or rename(2) that places a file (what
// src/pki/files.ts calls: link for a new file, link + rename for a replaced one, unlink for the
// staging copies after; strace(1) "-e inject=SET:signal=SIG:when=N"). After each kill: no key
// file is half-written, every leftover copy of a private key is 0600, `cert list` flags the
// hidden staging copies, and the next command leaves no staging copy and no key from a write
// that stopped half-way beside another write's certificate.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI_BUNDLE, cliEnv, runCli, runCliOk } from '../support/cli.js';
import { requireSystemTool } from '../support/system-tools.js';

let base = '';
let caKey = '';
let strace: string | undefined;

before((t) => {
  strace = requireSystemTool(t as never, 'strace');
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-crash-')));
  fs.mkdirSync(path.join(base, 'safe'), { mode: 0o700 });
  caKey = path.join(base, 'safe', 'ca.key');
});

after(() => fs.rmSync(base, { recursive: true, force: true }));

let caCert = '';

/** A certs dir with the one CA of this file (made once: every CLI run here costs a start-up). */
function freshCertsDir(name: string): string {
  const dir = path.join(base, name);
  if (!caCert) {
    runCliOk(['cert', 'create-ca', '--certs-dir', dir, '--ca-key', caKey]);
    caCert = path.join(dir, 'ca.crt');
    return dir;
  }
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.copyFileSync(caCert, path.join(dir, 'ca.crt'));
  return dir;
}

/**
 * The CLI under strace, killed as it enters the `when`-th call of `syscall`. strace counts calls
 * per thread, and Node makes these calls on its libuv pool threads: with a pool of one thread
 * (UV_THREADPOOL_SIZE=1) "the second rename" is the second rename of the write.
 */
function killedAt(syscall: 'link' | 'rename' | 'unlink', when: number, args: string[]) {
  const result = spawnSync(strace!, ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=link,rename,unlink', '-e', `inject=${syscall}:signal=KILL:when=${when}`, process.execPath, CLI_BUNDLE, ...args], { env: cliEnv({ UV_THREADPOOL_SIZE: '1' }), encoding: 'utf8', timeout: 60_000 });
  // strace reports the tracee's death by SIGKILL as its own (killed, or exit 137).
  assert.ok(result.signal === 'SIGKILL' || result.status === 137, `the CLI was not killed at ${syscall} #${when}: exit ${result.status} ${result.signal}\n${result.stderr}\n${result.stdout}`);
}

const stagingCopies = (dir: string) => fs.readdirSync(dir).filter((name) => /^\..+\.(tmp|bak)$/.test(name));
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

/** No key file is half-written, and every copy of a private key in the dir (hidden ones too) is 0600 or stricter. */
function assertKeysWholeAndPrivate(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    const text = fs.readFileSync(file, 'utf8');
    if (!/PRIVATE KEY/.test(text) && !name.includes('.key')) continue;
    assert.doesNotThrow(() => crypto.createPrivateKey(text), `${name} is not a whole private key`);
    assert.equal(modeOf(file) & 0o077, 0, `${name} holds a private key and is ${modeOf(file).toString(8)}`);
  }
}

/** `cert list --json` of the dir. */
function listing(dir: string) {
  return JSON.parse(runCli(['cert', 'list', '--certs-dir', dir, '--json']).stdout) as {
    rows: Array<{ certificate_file: string; findings: Array<{ rule: string; level: string }> }>;
    dir_findings: Array<{ rule: string; message: string }>;
  };
}

function assertListFlags(dir: string, copies: string[]): void {
  const flagged = listing(dir).dir_findings.filter((f) => f.rule === 'staging_leftover');
  for (const copy of copies) assert.ok(flagged.some((f) => f.message.startsWith(copy) && /its process is gone/.test(f.message)), `cert list does not flag ${copy}: ${JSON.stringify(flagged)}`);
  assert.equal(flagged.length, copies.length);
}

/** cert list finds no problem with bob's pair (a key from one write beside a certificate from another is key_mismatch). */
function assertBobPairConsistent(dir: string): void {
  const list = listing(dir);
  const bob = list.rows.find((r) => r.certificate_file === 'client.bob.crt');
  assert.ok(bob, 'client.bob.crt is not listed');
  assert.deepEqual(bob.findings.filter((f) => f.level !== 'warning' || /key/.test(f.rule)).map((f) => f.rule), []);
  assert.deepEqual(list.dir_findings.map((f) => f.rule), []);
}

const createBob = (dir: string, ...extra: string[]) => ['cert', 'create-client', 'bob', '--certs-dir', dir, '--ca-key', caKey, ...extra];

describe('SIGKILL while a new certificate and key are linked into place', () => {
  test('killed at the first link: nothing placed, the staged key copy is 0600, cert list flags both copies, the next run writes the pair and leaves no copy', () => {
    const dir = freshCertsDir('new-first-link');
    killedAt('link', 1, createBob(dir));
    assert.ok(!fs.existsSync(path.join(dir, 'client.bob.key')) && !fs.existsSync(path.join(dir, 'client.bob.crt')), 'a file was placed');
    const copies = stagingCopies(dir);
    assert.equal(copies.length, 2, `staged copies: ${copies}`);
    assertKeysWholeAndPrivate(dir);
    assertListFlags(dir, copies);

    runCliOk(createBob(dir));
    assert.deepEqual(stagingCopies(dir), []);
    assertKeysWholeAndPrivate(dir);
    assertBobPairConsistent(dir);
  });

  test('killed at the second link (key placed, certificate not): a dry run changes nothing, the next run undoes the lone key and writes the pair without --overwrite', () => {
    const dir = freshCertsDir('new-second-link');
    killedAt('link', 2, createBob(dir));
    assert.ok(fs.existsSync(path.join(dir, 'client.bob.key')) && !fs.existsSync(path.join(dir, 'client.bob.crt')), 'expected the key placed and the certificate not');
    assertKeysWholeAndPrivate(dir);
    assertListFlags(dir, stagingCopies(dir));

    const before = fs.readdirSync(dir).sort();
    const dry = runCliOk(createBob(dir, '--dry-run'));
    assert.match(dry.stdout, /create .*client\.bob\.key/);
    assert.deepEqual(fs.readdirSync(dir).sort(), before, 'the dry run changed the directory');

    runCliOk(createBob(dir));
    assert.deepEqual(stagingCopies(dir), []);
    assertKeysWholeAndPrivate(dir);
    assertBobPairConsistent(dir);
  });

  test('killed at the unlink of the staging copies (both placed): the pair is whole and the next command removes the copies', () => {
    const dir = freshCertsDir('new-unlink');
    killedAt('unlink', 1, createBob(dir));
    assert.ok(stagingCopies(dir).length > 0, 'no staging copy was left to clean');
    assertKeysWholeAndPrivate(dir);
    const placed = sha(path.join(dir, 'client.bob.key'));

    runCliOk(['cert', 'create-client', 'carol', '--certs-dir', dir, '--ca-key', caKey]);
    assert.deepEqual(stagingCopies(dir), []);
    assert.equal(sha(path.join(dir, 'client.bob.key')), placed, 'the finished write was undone');
    assertBobPairConsistent(dir);
  });
});

describe('SIGKILL while a 0644 key and its certificate are replaced', () => {
  /** bob's pair with the key made 0644 (as a careless operator leaves it); returns the hashes. */
  function oldPair(dir: string) {
    runCliOk(createBob(dir));
    fs.chmodSync(path.join(dir, 'client.bob.key'), 0o644);
    return { key: sha(path.join(dir, 'client.bob.key')), crt: sha(path.join(dir, 'client.bob.crt')) };
  }

  test('killed at the first rename: the old pair is in place, no copy of either key is readable by others, the next --overwrite run leaves one 0600 key', () => {
    const dir = freshCertsDir('replace-first-rename');
    const old = oldPair(dir);
    killedAt('rename', 1, createBob(dir, '--overwrite', '--yes'));
    assert.equal(sha(path.join(dir, 'client.bob.key')), old.key);
    assert.equal(sha(path.join(dir, 'client.bob.crt')), old.crt);
    const copies = stagingCopies(dir);
    assert.ok(copies.some((c) => c.endsWith('.bak')) && copies.some((c) => c.endsWith('.tmp')), `copies: ${copies}`);
    assertKeysWholeAndPrivate(dir);
    assertListFlags(dir, copies);

    runCliOk(createBob(dir, '--overwrite', '--yes'));
    assert.deepEqual(stagingCopies(dir), []);
    assert.notEqual(sha(path.join(dir, 'client.bob.key')), old.key);
    assert.equal(modeOf(path.join(dir, 'client.bob.key')), 0o600);
    assertBobPairConsistent(dir);
  });

  test('killed at the second rename (new key placed, old certificate still there): the next write into the dir puts the old key back, so the pair matches', () => {
    const dir = freshCertsDir('replace-second-rename');
    const old = oldPair(dir);
    killedAt('rename', 2, createBob(dir, '--overwrite', '--yes'));
    assert.notEqual(sha(path.join(dir, 'client.bob.key')), old.key, 'the key was not replaced before the kill');
    assert.equal(sha(path.join(dir, 'client.bob.crt')), old.crt);
    assertKeysWholeAndPrivate(dir);
    assertListFlags(dir, stagingCopies(dir));

    runCliOk(['cert', 'create-client', 'carol', '--certs-dir', dir, '--ca-key', caKey]);
    assert.deepEqual(stagingCopies(dir), []);
    assert.equal(sha(path.join(dir, 'client.bob.key')), old.key, 'the old key was not put back');
    assert.equal(sha(path.join(dir, 'client.bob.crt')), old.crt);
    assert.equal(modeOf(path.join(dir, 'client.bob.key')), 0o600, 'the key came back wider than 0600');
    assertBobPairConsistent(dir);
  });
});
