// download_ca's domain against the local stand-in of the Cloud API: the cluster CA comes from the
// public endpoint (reference §4.1), is checked to be a CA, and lands in libpq's default trust file
// (~/.postgresql/root.crt) without ever dropping what that shared file holds: a new file is low,
// appending is medium, an already present CA writes nothing, replacing needs `replace` (high).
// openssl checks that the merged file still verifies certificates of every CA it trusts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloudApiClient } from '../../src/cloud/api-client.js';
import { assessDownloadCa, defaultTrustFile, downloadCa, type DownloadCaOptions } from '../../src/cloud/cluster-ca.js';
import { ApiKey } from '../../src/cloud/credentials.js';
import { CloudApiStandin, type Plan } from '../support/cloud-api-standin.js';
import { clientCert, clusterId, expiredCa, makeCa, sha256Fingerprint, type TestCa } from '../support/cloud-pki.js';
import { opensslResult } from '../support/openssl.js';
import { requireSystemTool } from '../support/system-tools.js';
import { toolErrorRejectedBy } from '../support/tool-errors.js';

const KEY = 'CCDB1_downloadTestKey_1a2b3c4d5e6f7081';
let standin: CloudApiStandin;
let tmp = '';
let home = '';
let otherCa: TestCa;

before(async () => {
  standin = await CloudApiStandin.start(KEY);
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-download-')));
  otherCa = makeCa('Corporate Postgres CA');
});
after(async () => {
  await standin?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

let homes = 0;
/** A fresh home directory per test: root.crt is `<home>/.postgresql/root.crt`. */
function newHome(): string {
  home = path.join(tmp, `home-${++homes}`);
  fs.mkdirSync(home);
  return home;
}
const rootCrt = () => defaultTrustFile('linux', {}, home);

function cluster(plan: Plan = 'ADVANCED', ca = makeCa('Cluster CA')): { id: string; ca: TestCa } {
  const id = clusterId();
  standin.addCluster({ id, plan, caPem: ca.pem });
  return { id, ca };
}

const publicApi = () => new CloudApiClient({ server: standin.url, retry: { baseDelayMs: 10 } });
const keyedApi = (key = KEY) => new CloudApiClient({ server: standin.url, apiKey: new ApiKey(key), retry: { baseDelayMs: 10 } });
const options = (id: string, extra: Partial<DownloadCaOptions> = {}): DownloadCaOptions => ({ clusterId: id, file: rootCrt(), replace: false, isDefaultFile: true, ...extra });

describe('where libpq looks', () => {
  test('the default trust file is ~/.postgresql/root.crt on Linux and macOS and %APPDATA%\\postgresql\\root.crt on Windows', () => {
    assert.equal(defaultTrustFile('linux', {}, '/home/ann'), '/home/ann/.postgresql/root.crt');
    assert.equal(defaultTrustFile('darwin', {}, '/Users/ann'), '/Users/ann/.postgresql/root.crt');
    assert.equal(defaultTrustFile('win32', { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'C:\\Users\\ann'), 'C:\\Users\\ann\\AppData\\Roaming\\postgresql\\root.crt');
  });
});

describe('saving the cluster CA', () => {
  test('with no root.crt yet, the CA is saved in a new file (low) and the result gives its fingerprint and expiry', async () => {
    newHome();
    const { id, ca } = cluster();
    const assessment = await assessDownloadCa(publicApi(), options(id));
    assert.equal(assessment.severity, 'low');
    assert.ok(!fs.existsSync(rootCrt()), 'assessing wrote the file');
    const result = await downloadCa(publicApi(), keyedApi(), options(id));
    assert.equal(result.action, 'created');
    assert.equal(result.certificates[0]?.sha256_fingerprint, ca.fingerprint);
    assert.equal(result.certificates[0]?.not_after, ca.cert.parsed.notAfter.toISOString());
    const written = fs.readFileSync(rootCrt(), 'utf8');
    assert.deepEqual([...written.matchAll(/-----BEGIN CERTIFICATE-----/g)].length, 1);
    assert.equal(fs.statSync(rootCrt()).mode & 0o777, 0o644);
    assert.equal(result.download_needed, true);
    assert.equal(result.plan, 'ADVANCED');
  });

  test('an existing root.crt keeps every byte it had and gets the cluster CA appended (medium); openssl verifies clients of both CAs with it', async (t) => {
    newHome();
    const { id, ca } = cluster();
    fs.mkdirSync(path.dirname(rootCrt()), { mode: 0o700 });
    const before = `# corporate database CA\n${otherCa.pem}`;
    fs.writeFileSync(rootCrt(), before, { mode: 0o600 });
    const assessment = await assessDownloadCa(publicApi(), options(id));
    assert.equal(assessment.severity, 'medium');
    assert.ok(assessment.impact.includes(ca.fingerprint));
    assert.equal(fs.readFileSync(rootCrt(), 'utf8'), before, 'assessing changed the file');

    const result = await downloadCa(publicApi(), undefined, options(id));
    assert.equal(result.action, 'appended');
    assert.equal(result.certificates_in_file, 2);
    const after = fs.readFileSync(rootCrt(), 'utf8');
    assert.ok(after.startsWith(before), 'the bytes the file held were not kept as they were');
    assert.equal(fs.statSync(rootCrt()).mode & 0o777, 0o600, 'the file lost its mode');

    const openssl = requireSystemTool(t, 'openssl');
    if (!openssl) return;
    for (const [who, signer] of [['cluster client', ca], ['corporate client', otherCa]] as const) {
      const leafFile = path.join(home, `${who.replace(' ', '-')}.crt`);
      fs.writeFileSync(leafFile, clientCert(signer, 'app').pem);
      const verdict = opensslResult(['verify', '-CAfile', rootCrt(), leafFile]);
      assert.equal(verdict.status, 0, `openssl does not verify the ${who} with the merged root.crt: ${verdict.stderr}${verdict.stdout}`);
    }
  });

  test('when root.crt already holds the cluster CA nothing is written', async () => {
    newHome();
    const { id, ca } = cluster();
    fs.mkdirSync(path.dirname(rootCrt()));
    fs.writeFileSync(rootCrt(), `${otherCa.pem}${ca.pem}`);
    const mtime = fs.statSync(rootCrt()).mtimeMs;
    const assessment = await assessDownloadCa(publicApi(), options(id));
    assert.equal(assessment.severity, 'low');
    assert.deepEqual(assessment.changes, []);
    const result = await downloadCa(publicApi(), undefined, options(id));
    assert.equal(result.action, 'unchanged');
    assert.equal(fs.readFileSync(rootCrt(), 'utf8'), `${otherCa.pem}${ca.pem}`);
    assert.equal(fs.statSync(rootCrt()).mtimeMs, mtime);
  });

  test('replace is high, names the CA it drops, and leaves only the cluster CA', async () => {
    newHome();
    const { id, ca } = cluster();
    fs.mkdirSync(path.dirname(rootCrt()));
    fs.writeFileSync(rootCrt(), otherCa.pem);
    const assessment = await assessDownloadCa(publicApi(), options(id, { replace: true }));
    assert.equal(assessment.severity, 'high');
    assert.ok(assessment.impact.includes(otherCa.fingerprint), assessment.impact);
    assert.ok(assessment.impact.includes('CN=Corporate Postgres CA'), assessment.impact);
    const result = await downloadCa(publicApi(), undefined, options(id, { replace: true }));
    assert.equal(result.action, 'replaced');
    assert.deepEqual(result.dropped.map((c) => c.sha256_fingerprint), [otherCa.fingerprint]);
    const left = fs.readFileSync(rootCrt(), 'utf8');
    assert.equal([...left.matchAll(/-----BEGIN CERTIFICATE-----/g)].length, 1);
    const der = Buffer.from(left.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    assert.equal(sha256Fingerprint(der), ca.fingerprint);
  });

  test('--out saves elsewhere and the note says to point sslrootcert at it', async () => {
    newHome();
    const { id } = cluster();
    const out = path.join(home, 'certs', 'cluster-ca.crt');
    fs.mkdirSync(path.dirname(out));
    const result = await downloadCa(publicApi(), undefined, options(id, { file: out, isDefaultFile: false }));
    assert.equal(result.file, out);
    assert.ok(fs.existsSync(out));
    assert.ok(!fs.existsSync(rootCrt()));
    assert.ok(result.notes.some((n) => n.includes(`sslrootcert at ${out}`)), JSON.stringify(result.notes));
  });

  test('the state fingerprint of the assessment changes when root.crt changes', async () => {
    newHome();
    const { id } = cluster();
    fs.mkdirSync(path.dirname(rootCrt()));
    fs.writeFileSync(rootCrt(), otherCa.pem);
    const first = await assessDownloadCa(publicApi(), options(id));
    fs.appendFileSync(rootCrt(), makeCa('Late Addition CA').pem);
    const second = await assessDownloadCa(publicApi(), options(id));
    assert.notEqual(first.state_fingerprint, second.state_fingerprint);
  });
});

describe('what is refused', () => {
  test('a served certificate that is not a CA is refused and nothing is written', async () => {
    newHome();
    const id = clusterId();
    standin.addCluster({ id, plan: 'ADVANCED', caPem: clientCert(otherCa, 'node').pem });
    const error = await toolErrorRejectedBy(downloadCa(publicApi(), undefined, options(id)));
    assert.equal(error.code, 'invalid_certificate');
    assert.match(error.message, /not a CA/);
    assert.ok(!fs.existsSync(rootCrt()));
  });

  test('an existing root.crt that is not PEM is left alone', async () => {
    newHome();
    const { id } = cluster();
    fs.mkdirSync(path.dirname(rootCrt()));
    fs.writeFileSync(rootCrt(), otherCa.cert.der);
    const error = await toolErrorRejectedBy(downloadCa(publicApi(), undefined, options(id)));
    assert.match(error.message, /holds no PEM certificates/);
    assert.deepEqual(fs.readFileSync(rootCrt()), otherCa.cert.der);
  });

  test('an unknown cluster is a 404 with the cluster id in the message', async () => {
    newHome();
    const id = clusterId();
    const error = await toolErrorRejectedBy(downloadCa(publicApi(), undefined, options(id)));
    assert.equal(error.code, 'not_found');
    assert.ok(error.message.includes(id));
  });

  test('an expired cluster CA is saved with a warning, not refused', async () => {
    newHome();
    const old = expiredCa('Old Cluster CA');
    const { id } = cluster('ADVANCED', old);
    const result = await downloadCa(publicApi(), undefined, options(id));
    assert.equal(result.action, 'created');
    assert.ok(result.notes.some((n) => /expired CA certificate/.test(n) && n.includes(old.fingerprint)), JSON.stringify(result.notes));
  });
});

describe('whether the download is needed', () => {
  for (const plan of ['BASIC', 'STANDARD'] as const) {
    test(`a ${plan} cluster's download says it is not needed for most clients (publicly trusted certificates)`, async () => {
      newHome();
      const { id } = cluster(plan);
      const result = await downloadCa(publicApi(), keyedApi(), options(id));
      assert.equal(result.download_needed, false);
      assert.equal(result.plan, plan);
      assert.ok(result.notes.some((n) => /Download not needed for most clients/.test(n) && /Let's Encrypt/.test(n)), JSON.stringify(result.notes));
    });
  }

  test('without an API key the download still works and says the plan was not read', async () => {
    newHome();
    const { id } = cluster('STANDARD');
    const result = await downloadCa(publicApi(), undefined, options(id));
    assert.equal(result.action, 'created');
    assert.equal(result.download_needed, null);
    assert.ok(result.notes.some((n) => /plan was not read/.test(n)));
  });

  test('with a wrong API key the download still works and the note says the plan could not be read (401)', async () => {
    newHome();
    const { id } = cluster('ADVANCED');
    const result = await downloadCa(publicApi(), keyedApi('wrong-key-0000'), options(id));
    assert.equal(result.action, 'created');
    assert.ok(result.notes.some((n) => /could not be read .*401/.test(n)), JSON.stringify(result.notes));
  });
});
