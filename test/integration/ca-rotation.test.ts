// CA rotation the way CockroachDB's docs do it (shared/reference/cockroach-tls.md §1.4):
// `mv ca.key ca.old.key`, `create-ca --overwrite` puts the new CA first in ca.crt and keeps the old
// one after it, so certificates signed by either verify against the bundle. Checked with openssl.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertCliRefused, runCli, runCliOk } from '../support/cli.js';
import { certPublicKey, extensionsOf, fingerprintOf, keyIdOf, openssl, opensslResult, pemBlocks, subjectOf } from '../support/openssl.js';
import { describeSkip } from '../support/system-tools.js';

const CA_SUBJECT = 'O = Cockroach, CN = Cockroach CA';
const skidOf = (cert: string | { pem: string }) => keyIdOf(extensionsOf(cert).get('X509v3 Subject Key Identifier')?.value);
const akidOf = (cert: string) => keyIdOf(extensionsOf(cert).get('X509v3 Authority Key Identifier')?.value);
const modeOf = (file: string) => fs.statSync(file).mode & 0o7777;

function verify(caFile: string, certFile: string) {
  return opensslResult(['verify', '-CAfile', caFile, certFile]);
}
function assertVerifies(caFile: string, certFile: string): void {
  const result = verify(caFile, certFile);
  assert.equal(result.status, 0, `openssl verify -CAfile ${caFile} ${certFile}: ${result.stdout}${result.stderr}`);
}

describe('rotating the CA with create-ca --overwrite keeps old and new certificates trusted', { skip: describeSkip('openssl') }, () => {
  let tmp = '';
  const at = (...parts: string[]) => path.join(tmp, ...parts);
  const cli = (...args: string[]) => runCliOk(args, { cwd: tmp });
  const run = (...args: string[]) => runCli(args, { cwd: tmp });
  const signing = ['--certs-dir', 'certs', '--ca-key', 'safe/ca.key'];
  const read = (file: string) => fs.readFileSync(at(file));
  /** CA A as it was before the rotation: its PEM, saved outside the certs dir. */
  let oldCaPem = '';

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-rotation-'));
    fs.mkdirSync(at('safe'), { mode: 0o700 });
    cli('cert', 'create-ca', ...signing);
    cli('cert', 'create-node', 'localhost', '127.0.0.1', ...signing);
    cli('cert', 'create-client', 'alice', ...signing);
    oldCaPem = read('certs/ca.crt').toString('utf8');
    fs.writeFileSync(at('old-ca.pem'), oldCaPem);
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('create-ca --overwrite while the old key is still at --ca-key is refused without --allow-ca-key-reuse, and nothing changes', () => {
    const [caBefore, keyBefore] = [read('certs/ca.crt'), read('safe/ca.key')];
    const result = run('cert', 'create-ca', '--overwrite', ...signing);
    assertCliRefused(result, /exists, but key reuse is disabled/);
    assert.deepEqual(read('certs/ca.crt'), caBefore);
    assert.deepEqual(read('safe/ca.key'), keyBefore);
  });

  test('after mv ca.key ca.old.key, create-ca without --overwrite is refused, leaves ca.crt byte-identical and leaves no new key behind', () => {
    fs.renameSync(at('safe/ca.key'), at('safe/ca.old.key'));
    const caBefore = read('certs/ca.crt');
    const result = run('cert', 'create-ca', ...signing);
    assertCliRefused(result, /ca\.crt/);
    assert.deepEqual(read('certs/ca.crt'), caBefore);
    assert.equal(fs.existsSync(at('safe/ca.key')), false, 'a refused create-ca writes no key');
  });

  describe('create-ca --overwrite with a new key', () => {
    const isRoot = process.getuid?.() === 0;
    // As root, hand ca.crt to another owner to check that the rewrite keeps it (a node may run as its own user).
    const owner = isRoot ? { uid: 4242, gid: 4343 } : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    let bundle: string[] = [];

    before(() => {
      fs.chmodSync(at('certs/ca.crt'), 0o640);
      if (isRoot) fs.chownSync(at('certs/ca.crt'), owner.uid, owner.gid);
      cli('cert', 'create-ca', '--overwrite', '--yes', ...signing);
      bundle = pemBlocks(read('certs/ca.crt').toString('utf8'));
    });

    test('ca.crt then holds two CA certificates: the new one first, the old one unchanged after it', () => {
      assert.equal(bundle.length, 2);
      const [newCa, oldCa] = bundle as [string, string];
      assert.equal(oldCa, oldCaPem, 'the old CA is kept as it was');
      assert.notEqual(fingerprintOf({ pem: newCa }), fingerprintOf({ pem: oldCa }));
      assert.notEqual(skidOf({ pem: newCa }), skidOf({ pem: oldCa }), 'the new CA has a new key');
      assert.equal(subjectOf({ pem: newCa }), CA_SUBJECT);
      // The new CA's public key is the one in the freshly written ca.key.
      assert.equal(certPublicKey({ pem: newCa }), openssl(['pkey', '-in', at('safe/ca.key'), '-pubout']));
      assert.equal(modeOf(at('safe/ca.key')), 0o600);
    });

    test('the rewritten ca.crt keeps its mode 0640 and its owner', () => {
      const stat = fs.statSync(at('certs/ca.crt'));
      assert.equal((stat.mode & 0o7777).toString(8), '640');
      assert.deepEqual({ uid: stat.uid, gid: stat.gid }, owner);
    });

    test('a client certificate made after the rotation is signed by the new CA and verifies against the bundle', () => {
      cli('cert', 'create-client', 'bob', ...signing);
      assert.equal(akidOf(at('certs/client.bob.crt')), skidOf({ pem: bundle[0]! }));
      assertVerifies(at('certs/ca.crt'), at('certs/client.bob.crt'));
      assert.notEqual(verify(at('old-ca.pem'), at('certs/client.bob.crt')).status, 0, 'the old CA alone does not vouch for it');
    });

    test('certificates signed by the old CA still verify against the rotated ca.crt', () => {
      assert.equal(akidOf(at('certs/node.crt')), skidOf({ pem: oldCaPem }));
      assertVerifies(at('certs/ca.crt'), at('certs/node.crt'));
      assertVerifies(at('certs/ca.crt'), at('certs/client.alice.crt'));
      fs.writeFileSync(at('new-ca.pem'), bundle[0]!);
      assert.notEqual(verify(at('new-ca.pem'), at('certs/node.crt')).status, 0, 'the new CA alone does not vouch for the old node cert');
    });

    test('signing with the old key is refused once the new CA is first in ca.crt', () => {
      const before = read('certs/ca.crt');
      const result = run('cert', 'create-client', 'carl', '--certs-dir', 'certs', '--ca-key', 'safe/ca.old.key');
      assertCliRefused(result, /ca\.old\.key/);
      assert.equal(fs.existsSync(at('certs/client.carl.crt')), false);
      assert.equal(fs.existsSync(at('certs/client.carl.key')), false);
      assert.deepEqual(read('certs/ca.crt'), before);
    });

    test('create-ca --overwrite --allow-ca-key-reuse signs a new CA with the existing key and keeps both older CAs', () => {
      const keyBefore = read('safe/ca.key');
      cli('cert', 'create-ca', '--overwrite', '--allow-ca-key-reuse', '--yes', ...signing);
      assert.deepEqual(read('safe/ca.key'), keyBefore, 'the key file is reused, not rewritten');
      const now = pemBlocks(read('certs/ca.crt').toString('utf8'));
      assert.equal(now.length, 3);
      assert.deepEqual(now.slice(1), bundle, 'the previous bundle follows the new CA');
      assert.equal(certPublicKey({ pem: now[0]! }), openssl(['pkey', '-in', at('safe/ca.key'), '-pubout']));
      assert.notEqual(fingerprintOf({ pem: now[0]! }), fingerprintOf({ pem: bundle[0]! }), 'a new certificate for the same key');
      assertVerifies(at('certs/ca.crt'), at('certs/node.crt'));
      assertVerifies(at('certs/ca.crt'), at('certs/client.bob.crt'));
    });
  });
});
