// What `crdb-tls cert` writes, read back by the real openssl CLI and checked against what
// `cockroach cert` writes (shared/reference/cockroach-tls.md §1.1–§1.3): subjects, extensions,
// validity, key formats, file modes, CSR signing and the refusal of leaves that outlive their CA.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertCliRefused, CLI_BUNDLE, cliEnv, runCli, runCliOk } from '../support/cli.js';
import {
  certModulus,
  certPublicKey,
  extensionsOf,
  fingerprintOf,
  issuerOf,
  keyIdOf,
  keyModulus,
  listOf,
  openssl,
  opensslResult,
  pemBlocks,
  serialOf,
  subjectOf,
  validityOf,
  x509Text,
} from '../support/openssl.js';
import { describeSkip } from '../support/system-tools.js';

const HOUR = 3_600_000;
const CA_SUBJECT = 'O = Cockroach, CN = Cockroach CA';
// The issuing time is not known to the second: the window is taken around the CLI call.
const CLOCK_SLACK = 3 * 60_000;

interface Window {
  start: number;
  end: number;
}

function timed<T>(fn: () => T): { value: T; window: Window } {
  const start = Date.now();
  const value = fn();
  return { value, window: { start, end: Date.now() } };
}

/** NotBefore is "now − 24h" and NotAfter "now + lifetime" for a "now" inside `window` (x509.go newTemplate). */
function assertValidity(file: string, window: Window, lifetimeHours: number): void {
  const { notBefore, notAfter } = validityOf(file);
  const backdate = 24 * HOUR;
  assert.ok(notBefore.getTime() >= window.start - backdate - CLOCK_SLACK && notBefore.getTime() <= window.end - backdate + CLOCK_SLACK,
    `NotBefore ${notBefore.toISOString()} should be about a day before ${new Date(window.start).toISOString()}`);
  const span = notAfter.getTime() - notBefore.getTime();
  const expected = backdate + lifetimeHours * HOUR;
  assert.ok(Math.abs(span - expected) <= 2000, `NotAfter − NotBefore is ${span / HOUR}h, expected 24h + ${lifetimeHours}h`);
}

const modeOf = (file: string) => fs.statSync(file).mode & 0o7777;
const octal = (mode: number) => `0${mode.toString(8)}`;

/** The IP form openssl prints ("0:0:0:0:0:0:0:1") and the one people type ("::1") made comparable. */
function canonicalSan(entry: string): string {
  const ip = /^IP(?: Address)?:(.*)$/.exec(entry);
  if (!ip) return entry;
  const address = ip[1]!;
  return `IP:${address.includes(':') ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address}`;
}
const sansOf = (file: string) => listOf(extensionsOf(file).get('X509v3 Subject Alternative Name')?.value).map(canonicalSan).sort();

function verify(caFile: string, certFile: string, purpose?: string) {
  return opensslResult(['verify', ...(purpose ? ['-purpose', purpose] : []), '-CAfile', caFile, certFile]);
}
function assertVerifies(caFile: string, certFile: string, purpose?: string): void {
  const result = verify(caFile, certFile, purpose);
  assert.equal(result.status, 0, `openssl verify${purpose ? ` -purpose ${purpose}` : ''} -CAfile ${caFile} ${certFile}: ${result.stdout}${result.stderr}`);
  assert.match(result.stdout, /: OK\s*$/);
}

/** Every file under `dir` with its mode and a hash of its contents, to prove that nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      const rel = path.relative(dir, full);
      if (entry.isDirectory()) {
        out[`${rel}/`] = octal(modeOf(full));
        walk(full);
      } else {
        out[rel] = `${octal(modeOf(full))} ${crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`;
      }
    }
  };
  walk(dir);
  return out;
}

describe('crdb-tls cert writes what cockroach cert writes, as the openssl CLI reads it', { skip: describeSkip('openssl') }, () => {
  let tmp = '';
  let savedUmask = 0;
  const at = (...parts: string[]) => path.join(tmp, ...parts);
  const cli = (...args: string[]) => runCliOk(args, { cwd: tmp });
  const signing = ['--certs-dir', 'certs', '--ca-key', 'safe/ca.key'];
  let caWindow: Window;
  let nodeWindow: Window;
  const nodeHosts = ['localhost', 'node1.example.com', '*.example.com', '127.0.0.1', '::1', '2001:db8::10'];

  before(() => {
    // Children inherit the umask: with 000 a file or directory gets exactly the mode the tool sets,
    // so a missing chmod shows up as 0666/0777 instead of hiding behind the usual 022.
    savedUmask = process.umask(0o000);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-profile-'));
    fs.mkdirSync(at('safe'), { mode: 0o700 });
    caWindow = timed(() => cli('cert', 'create-ca', ...signing)).window;
    nodeWindow = timed(() => cli('cert', 'create-node', ...nodeHosts, ...signing)).window;
    cli('cert', 'create-client', 'Alice', ...signing);
  });

  after(() => {
    process.umask(savedUmask);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('the CA certificate (create-ca)', () => {
    test('is self-signed with the subject exactly O=Cockroach, CN=Cockroach CA', () => {
      assert.equal(subjectOf(at('certs/ca.crt')), CA_SUBJECT);
      assert.equal(issuerOf(at('certs/ca.crt')), CA_SUBJECT);
      assertVerifies(at('certs/ca.crt'), at('certs/ca.crt'));
    });

    test('has critical key usage with certificate signing, critical CA:TRUE with pathlen 1 and a subject key identifier', () => {
      const ext = extensionsOf(at('certs/ca.crt'));
      const keyUsage = ext.get('X509v3 Key Usage');
      assert.equal(keyUsage?.critical, true, 'Key Usage is critical');
      assert.deepEqual(listOf(keyUsage?.value), ['Certificate Sign', 'Digital Signature', 'Key Encipherment', 'Non Repudiation']);
      const basic = ext.get('X509v3 Basic Constraints');
      assert.equal(basic?.critical, true, 'Basic Constraints is critical');
      assert.deepEqual(listOf(basic?.value), ['CA:TRUE', 'pathlen:1']);
      assert.match(keyIdOf(ext.get('X509v3 Subject Key Identifier')?.value), /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/, 'a 160-bit SKID as Go derives it');
      assert.equal(ext.has('X509v3 Extended Key Usage'), false, 'a CA has no extended key usage');
      assert.equal(ext.has('X509v3 Subject Alternative Name'), false, 'a CA has no SANs');
    });

    test('has a 2048-bit RSA key by default, signs with sha256WithRSAEncryption, and the key file matches it', () => {
      const text = x509Text(at('certs/ca.crt'));
      assert.match(text, /Public Key Algorithm: rsaEncryption/);
      assert.match(text, /Public-Key: \(2048 bit\)/);
      assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
      assert.equal(keyModulus(at('safe/ca.key')), certModulus(at('certs/ca.crt')));
    });

    test('is valid from a day before it was made for 87840h by default', () => {
      assertValidity(at('certs/ca.crt'), caWindow, 87840);
    });

    test('is written 0644 next to a 0600 PKCS#1 key, in a certs dir the tool created 0700', () => {
      assert.equal(octal(modeOf(at('certs'))), '0700');
      assert.equal(octal(modeOf(at('certs/ca.crt'))), '0644');
      assert.equal(octal(modeOf(at('safe/ca.key'))), '0600');
      assert.ok(fs.readFileSync(at('safe/ca.key'), 'utf8').startsWith('-----BEGIN RSA PRIVATE KEY-----\n'));
      assert.equal(pemBlocks(fs.readFileSync(at('certs/ca.crt'), 'utf8')).length, 1, 'a new ca.crt holds one certificate');
    });
  });

  describe('the node certificate (create-node)', () => {
    test('is CN=node, O=Cockroach, issued by the CA, and openssl verifies it for TLS servers and clients', () => {
      assert.equal(subjectOf(at('certs/node.crt')), 'O = Cockroach, CN = node');
      assert.equal(issuerOf(at('certs/node.crt')), CA_SUBJECT);
      assertVerifies(at('certs/ca.crt'), at('certs/node.crt'));
      assertVerifies(at('certs/ca.crt'), at('certs/node.crt'), 'sslserver');
      assertVerifies(at('certs/ca.crt'), at('certs/node.crt'), 'sslclient');
    });

    test('carries server and client auth, digital signature and key encipherment, and is not a CA', () => {
      const ext = extensionsOf(at('certs/node.crt'));
      assert.deepEqual(listOf(ext.get('X509v3 Extended Key Usage')?.value), ['TLS Web Client Authentication', 'TLS Web Server Authentication']);
      assert.equal(ext.get('X509v3 Key Usage')?.critical, true);
      assert.deepEqual(listOf(ext.get('X509v3 Key Usage')?.value), ['Digital Signature', 'Key Encipherment']);
      assert.doesNotMatch(ext.get('X509v3 Basic Constraints')?.value ?? '', /CA:TRUE/);
    });

    test('names every host as a DNS or IP SAN, IPv6 and wildcards included', () => {
      const expected = nodeHosts.map((h) => canonicalSan(/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).sort();
      assert.deepEqual(sansOf(at('certs/node.crt')), expected);
    });

    test("has an authority key identifier equal to the CA's subject key identifier", () => {
      const skid = keyIdOf(extensionsOf(at('certs/ca.crt')).get('X509v3 Subject Key Identifier')?.value);
      const akid = keyIdOf(extensionsOf(at('certs/node.crt')).get('X509v3 Authority Key Identifier')?.value);
      assert.ok(skid.length > 0);
      assert.equal(akid, skid);
    });

    test('is valid from a day before it was made for 43920h by default', () => {
      assertValidity(at('certs/node.crt'), nodeWindow, 43920);
    });

    test('comes with a 0600 PKCS#1 node.key whose modulus is the certificate\'s; the certificate is 0644', () => {
      assert.equal(octal(modeOf(at('certs/node.key'))), '0600');
      assert.equal(octal(modeOf(at('certs/node.crt'))), '0644');
      assert.ok(fs.readFileSync(at('certs/node.key'), 'utf8').startsWith('-----BEGIN RSA PRIVATE KEY-----\n'));
      assert.equal(keyModulus(at('certs/node.key')), certModulus(at('certs/node.crt')));
      assert.match(x509Text(at('certs/node.crt')), /Public-Key: \(2048 bit\)/);
    });
  });

  describe('client certificates (create-client)', () => {
    test('create-client Alice writes client.alice.crt for CN=alice, signed by the CA', () => {
      assert.ok(fs.existsSync(at('certs/client.alice.crt')));
      assert.equal(fs.existsSync(at('certs/client.Alice.crt')), false, 'the file is named after the case-folded user');
      assert.equal(subjectOf(at('certs/client.alice.crt')), 'O = Cockroach, CN = alice');
      assertVerifies(at('certs/ca.crt'), at('certs/client.alice.crt'));
      assertVerifies(at('certs/ca.crt'), at('certs/client.alice.crt'), 'sslclient');
    });

    test('a client certificate is good for client auth only: no SANs, and openssl refuses it as a server certificate', () => {
      const ext = extensionsOf(at('certs/client.alice.crt'));
      assert.deepEqual(listOf(ext.get('X509v3 Extended Key Usage')?.value), ['TLS Web Client Authentication']);
      assert.deepEqual(listOf(ext.get('X509v3 Key Usage')?.value), ['Digital Signature', 'Key Encipherment']);
      assert.equal(ext.has('X509v3 Subject Alternative Name'), false);
      assert.doesNotMatch(ext.get('X509v3 Basic Constraints')?.value ?? '', /CA:TRUE/);
      assert.notEqual(verify(at('certs/ca.crt'), at('certs/client.alice.crt'), 'sslserver').status, 0);
    });

    test('the client key is a 0600 PKCS#1 key matching the 0644 certificate, and no PKCS#8 or PKCS#12 file is written unasked', () => {
      assert.equal(octal(modeOf(at('certs/client.alice.key'))), '0600');
      assert.equal(octal(modeOf(at('certs/client.alice.crt'))), '0644');
      assert.ok(fs.readFileSync(at('certs/client.alice.key'), 'utf8').startsWith('-----BEGIN RSA PRIVATE KEY-----\n'));
      assert.equal(keyModulus(at('certs/client.alice.key')), certModulus(at('certs/client.alice.crt')));
      assert.equal(fs.existsSync(at('certs/client.alice.key.pk8')), false);
      assert.equal(fs.existsSync(at('certs/client.alice.p12')), false);
    });

    test('--tenant-scope 2,5 adds one crdb://tenant/<id>/user/<user> URI SAN per tenant', () => {
      cli('cert', 'create-client', 'bob', '--tenant-scope', '2,5', ...signing);
      assert.deepEqual(sansOf(at('certs/client.bob.crt')), ['URI:crdb://tenant/2/user/bob', 'URI:crdb://tenant/5/user/bob']);
      assert.deepEqual(listOf(extensionsOf(at('certs/client.bob.crt')).get('X509v3 Extended Key Usage')?.value), ['TLS Web Client Authentication']);
      assertVerifies(at('certs/ca.crt'), at('certs/client.bob.crt'));
    });

    test('a user name that is not a valid SQL user is refused as bad usage and writes nothing', () => {
      const before = snapshot(tmp);
      const result = runCli(['cert', 'create-client', 'bad user!', ...signing], { cwd: tmp });
      assertCliRefused(result, /invalid/);
      assert.equal(result.status, 2, 'an invalid user name is bad usage (exit 2)');
      assert.deepEqual(snapshot(tmp), before);
    });
  });

  describe('extra key formats for Java, DBeaver and .NET', () => {
    const password = 'correct horse battery';
    before(() => {
      fs.writeFileSync(at('p12-password'), `${password}\n`, { mode: 0o600 });
      cli('cert', 'create-client', 'dave', '--also-generate-pkcs8-key', '--also-generate-pkcs12', '--p12-password-file', 'p12-password', ...signing);
    });

    test('--also-generate-pkcs8-key writes client.dave.key.pk8 as 0600 DER PKCS#8 that openssl reads as the certificate\'s key', () => {
      const file = at('certs/client.dave.key.pk8');
      assert.equal(octal(modeOf(file)), '0600');
      const der = fs.readFileSync(file);
      assert.equal(der[0], 0x30, 'DER starts with a SEQUENCE');
      assert.equal(der.includes('-----BEGIN'), false, 'binary DER, not PEM');
      const pem = openssl(['pkcs8', '-inform', 'DER', '-nocrypt', '-in', file]);
      assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
      const modulus = openssl(['rsa', '-noout', '-modulus'], { input: pem }).trim().replace(/^Modulus=/, '');
      assert.equal(modulus, certModulus(at('certs/client.dave.crt')));
    });

    test('--also-generate-pkcs12 writes a 0600 client.dave.p12 that stock openssl opens with the password, holding the client cert, the CA and the key', () => {
      const file = at('certs/client.dave.p12');
      assert.equal(octal(modeOf(file)), '0600');
      const pass = ['-passin', `file:${at('p12-password')}`];
      const certsOut = opensslResult(['pkcs12', '-in', file, ...pass, '-nokeys']);
      if (certsOut.status !== 0) {
        const legacy = opensslResult(['pkcs12', '-legacy', '-in', file, ...pass, '-nokeys']);
        assert.fail(`openssl pkcs12 cannot read ${file} (${certsOut.stderr.trim()})${legacy.status === 0 ? '; it needs -legacy, which OpenSSL 3 clients do not use by default' : ''}`);
      }
      const fingerprints = pemBlocks(certsOut.stdout).map((pem) => fingerprintOf({ pem })).sort();
      assert.deepEqual(fingerprints, [fingerprintOf(at('certs/client.dave.crt')), fingerprintOf(at('certs/ca.crt'))].sort());

      const keyOut = openssl(['pkcs12', '-in', file, ...pass, '-nocerts', '-nodes']);
      const keyPem = pemBlocks(keyOut, 'PRIVATE KEY')[0] ?? pemBlocks(keyOut, 'RSA PRIVATE KEY')[0];
      assert.ok(keyPem, `a private key in the p12: ${keyOut}`);
      const modulus = openssl(['rsa', '-noout', '-modulus'], { input: keyPem }).trim().replace(/^Modulus=/, '');
      assert.equal(modulus, certModulus(at('certs/client.dave.crt')));
    });

    test('the PKCS#12 file does not open with a wrong password', () => {
      const result = opensslResult(['pkcs12', '-in', at('certs/client.dave.p12'), '-passin', 'pass:not the password', '-nokeys']);
      assert.notEqual(result.status, 0);
    });

    test('the PKCS#12 password can come through a pipe: --p12-password-file <(...) in bash', () => {
      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_BUNDLE)} cert create-client erin --also-generate-pkcs12 --p12-password-file <(printf 'piped secret\\n') ${signing.join(' ')}`;
      execFileSync('bash', ['-c', command], { cwd: tmp, env: cliEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
      const result = opensslResult(['pkcs12', '-in', at('certs/client.erin.p12'), '-passin', 'pass:piped secret', '-nokeys']);
      assert.equal(result.status, 0, result.stderr);
    });
  });

  test('the impact of a first certificate for node says it is the node identity, not an administrator login; root is the superuser', () => {
    const impactOf = (user: string) => JSON.parse(runCliOk(['cert', 'create-client', user, ...signing, '--dry-run', '--json'], { cwd: tmp }).stdout) as { status: string; assessment: { severity: string; impact: string } };
    const node = impactOf('node');
    assert.equal(node.status, 'dry_run');
    assert.equal(node.assessment.severity, 'high');
    assert.match(node.assessment.impact, /node identity/);
    assert.doesNotMatch(node.assessment.impact, /administrative access/);
    const root = impactOf('root');
    assert.equal(root.assessment.severity, 'high');
    assert.match(root.assessment.impact, /superuser: whoever holds its key has full administrative access/);
    assert.equal(fs.existsSync(at('certs/client.node.crt')), false, 'a dry run writes nothing');
  });

  describe('signing a certificate signing request (create-client --csr)', () => {
    before(() => {
      fs.mkdirSync(at('carol'), { mode: 0o700 });
      const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
      openssl(['req', '-new', ...newKey, '-keyout', at('carol/carol.key'), '-out', at('carol/req.csr'), '-subj', '/O=Cockroach/CN=Carol']);
      openssl(['req', '-new', ...newKey, '-keyout', at('carol/bad.key'), '-out', at('carol/bad.csr'), '-subj', '/O=Cockroach/CN=bad user!']);
    });

    test("an EC P-256 CSR for Carol becomes a client certificate for carol with the CSR's public key, and no key file is written", () => {
      const before = snapshot(tmp);
      cli('cert', 'create-client', '--csr', 'carol/req.csr', '--out', 'carol/carol.crt', ...signing);
      const after = snapshot(tmp);
      const added = Object.keys(after).filter((name) => !(name in before));
      assert.deepEqual(added, [path.join('carol', 'carol.crt')], 'only the certificate is new');
      for (const name of Object.keys(before)) if (!name.endsWith('/')) assert.equal(after[name], before[name], `${name} unchanged`);

      const crt = at('carol/carol.crt');
      assert.equal(subjectOf(crt), 'O = Cockroach, CN = carol');
      assert.deepEqual(listOf(extensionsOf(crt).get('X509v3 Extended Key Usage')?.value), ['TLS Web Client Authentication']);
      assert.match(x509Text(crt), /Public Key Algorithm: id-ecPublicKey/);
      assert.match(x509Text(crt), /Signature Algorithm: sha256WithRSAEncryption/);
      assert.equal(certPublicKey(crt), openssl(['req', '-in', at('carol/req.csr'), '-noout', '-pubkey']));
      assertVerifies(at('certs/ca.crt'), crt, 'sslclient');
    });

    test('create-client mallory --csr with a CSR for CN=Carol is refused: nothing is signed for a user other than the one asked for', () => {
      const before = snapshot(tmp);
      for (const args of [['mallory', '--dry-run'], ['mallory', '--yes']]) {
        const result = runCli(['cert', 'create-client', args[0]!, '--csr', 'carol/req.csr', '--out', 'carol/mallory.crt', ...signing, args[1]!], { cwd: tmp });
        assertCliRefused(result, /asks for a certificate for SQL user carol \(its CN\), not mallory; nothing was signed/);
      }
      assert.equal(fs.existsSync(at('carol/mallory.crt')), false);
      assert.deepEqual(snapshot(tmp), before);
    });

    test('create-client Carol --csr with her CSR signs it: the user given is compared case-folded, like CockroachDB', () => {
      cli('cert', 'create-client', 'Carol', '--csr', 'carol/req.csr', '--out', 'carol/carol-named.crt', ...signing);
      assert.equal(subjectOf(at('carol/carol-named.crt')), 'O = Cockroach, CN = carol');
      assertVerifies(at('certs/ca.crt'), at('carol/carol-named.crt'), 'sslclient');
    });

    test('a CSR whose CN is not a valid SQL user name ("bad user!") is refused and nothing is written', () => {
      const before = snapshot(tmp);
      const result = runCli(['cert', 'create-client', '--csr', 'carol/bad.csr', '--out', 'carol/bad.crt', ...signing], { cwd: tmp });
      assertCliRefused(result, /bad user!/);
      assert.equal(fs.existsSync(at('carol/bad.crt')), false);
      assert.deepEqual(snapshot(tmp), before);
    });
  });

  describe('a separate client CA (create-client-ca)', () => {
    before(() => {
      fs.mkdirSync(at('split'), { mode: 0o700 });
      fs.copyFileSync(at('certs/ca.crt'), at('split/ca.crt'));
      cli('cert', 'create-client-ca', '--certs-dir', 'split', '--ca-key', 'safe/ca-client.key');
      cli('cert', 'create-client', 'erin', '--certs-dir', 'split', '--ca-key', 'safe/ca-client.key');
    });

    test('ca-client.crt has the CA profile with its own key', () => {
      const file = at('split/ca-client.crt');
      assert.equal(subjectOf(file), CA_SUBJECT);
      assert.deepEqual(listOf(extensionsOf(file).get('X509v3 Basic Constraints')?.value), ['CA:TRUE', 'pathlen:1']);
      assert.equal(keyModulus(at('safe/ca-client.key')), certModulus(file));
      assert.notEqual(certModulus(file), certModulus(at('split/ca.crt')), 'a different key from the cluster CA');
      assert.equal(octal(modeOf(file)), '0644');
      assert.equal(octal(modeOf(at('safe/ca-client.key'))), '0600');
    });

    test('with ca-client.crt present a client certificate is signed by the client CA: it verifies against ca-client.crt and not against ca.crt', () => {
      const crt = at('split/client.erin.crt');
      assertVerifies(at('split/ca-client.crt'), crt, 'sslclient');
      const againstClusterCa = verify(at('split/ca.crt'), crt);
      assert.notEqual(againstClusterCa.status, 0, `must not verify against ca.crt: ${againstClusterCa.stdout}`);
      const clientCaSkid = keyIdOf(extensionsOf(at('split/ca-client.crt')).get('X509v3 Subject Key Identifier')?.value);
      assert.equal(keyIdOf(extensionsOf(crt).get('X509v3 Authority Key Identifier')?.value), clientCaSkid);
    });

    test('with ca-client.crt present, signing a client certificate with the cluster CA key is refused and writes nothing', () => {
      const before = snapshot(tmp);
      const result = runCli(['cert', 'create-client', 'frank', '--certs-dir', 'split', '--ca-key', 'safe/ca.key'], { cwd: tmp });
      assertCliRefused(result, /ca-client\.crt/);
      assert.deepEqual(snapshot(tmp), before);
    });
  });

  describe('a short-lived 4096-bit CA (create-ca --key-size 4096 --lifetime 100h)', () => {
    const small = ['--certs-dir', 'small', '--ca-key', 'safe/small-ca.key'];
    let window: Window;
    before(() => {
      window = timed(() => cli('cert', 'create-ca', ...small, '--key-size', '4096', '--lifetime', '100h')).window;
    });

    test('has a 4096-bit key and is valid for 24h + 100h', () => {
      assert.match(x509Text(at('small/ca.crt')), /Public-Key: \(4096 bit\)/);
      assert.equal(keyModulus(at('safe/small-ca.key')), certModulus(at('small/ca.crt')));
      assertValidity(at('small/ca.crt'), window, 100);
    });

    test('two CAs get different random serials of at most 128 bits', () => {
      const serials = [serialOf(at('certs/ca.crt')), serialOf(at('small/ca.crt'))];
      assert.notEqual(serials[0], serials[1]);
      for (const serial of serials) {
        assert.match(serial, /^[0-9A-F]+$/);
        const significant = serial.replace(/^(00)+/, '');
        assert.ok(significant.length <= 32, `serial ${serial} is longer than 16 bytes`);
        // A random 128-bit number below 2^64 has odds of 2^-64: a short serial means a counter.
        assert.ok(significant.length > 16, `serial ${serial} is too short to be 128 random bits`);
      }
    });

    test('a client certificate within what is left of the CA gets the --lifetime it asked for', () => {
      const issued = timed(() => cli('cert', 'create-client', 'gina', '--lifetime', '50h', ...small));
      assertValidity(at('small/client.gina.crt'), issued.window, 50);
      assertVerifies(at('small/ca.crt'), at('small/client.gina.crt'));
    });

    test('a client certificate that would outlive the CA (--lifetime 200h) is refused, names the CA lifetime, and writes nothing', () => {
      const before = snapshot(tmp);
      const result = runCli(['cert', 'create-client', 'hank', '--lifetime', '200h', ...small], { cwd: tmp });
      assertCliRefused(result, /CA lifetime/);
      assert.deepEqual(snapshot(tmp), before);
      assert.equal(fs.existsSync(at('small/client.hank.crt')), false);
      assert.equal(fs.existsSync(at('small/client.hank.key')), false);
    });
  });
});
