// The node_exporter textfile written by `rotate check --prometheus-textfile`: checked with a strict
// parser of the Prometheus text exposition format 0.0.4 written here from the format's rules
// (metric and label name syntax, label value escapes, HELP/TYPE before the samples, one group per
// metric, no duplicate series, float values; no timestamps, which the textfile collector refuses),
// not with the code under test.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ToolError } from '../../src/core/errors.js';
import { issueCertificate } from '../../src/pki/issue.js';
import { spkiDer } from '../../src/pki/keys.js';
import { judge } from '../../src/rotation/check.js';
import { takeInventory } from '../../src/rotation/inventory.js';
import { renderFailedCheck, renderPrometheus, writeTextfileAtomically } from '../../src/rotation/prometheus.js';
import { parseExposition } from '../support/prometheus-exposition.js';

const DAY_MS = 86_400_000;
const NOW = new Date('2031-01-15T00:00:00Z');
const ecKey = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

describe('the Prometheus textfile of rotate check', () => {
  let tmp = '';
  const at = (...p: string[]) => path.join(tmp, ...p);
  const WEIRD = 'weird "name" \\ with\nnewline';

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-prom-'));
    fs.mkdirSync(at('certs'));
    const key = ecKey();
    const ca = issueCertificate({ profile: 'ca', commonName: 'Cockroach CA', subjectPublicKey: spkiDer(key), lifetimeMs: 400 * DAY_MS, now: NOW }, { key });
    const odd = issueCertificate({ profile: 'ca', commonName: WEIRD, subjectPublicKey: spkiDer(key), lifetimeMs: 40 * DAY_MS, now: NOW }, { key });
    fs.writeFileSync(at('certs/ca.crt'), ca.pem + odd.pem + ca.pem); // the same CA twice: one series, not two
    const expired = issueCertificate({ profile: 'client', commonName: 'alice', subjectPublicKey: spkiDer(ecKey()), lifetimeMs: 10 * DAY_MS, now: new Date(NOW.getTime() - 12 * DAY_MS) }, { certificate: ca.parsed, key });
    fs.writeFileSync(at('certs/client.alice.crt'), expired.pem);
    fs.writeFileSync(at('certs/client.bad.crt'), 'garbage');
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  async function render(): Promise<string> {
    const { inventory } = await takeInventory({ certsDirs: [at('certs')], files: [], hosts: [], probeTimeoutMs: 1000, sqlUrls: [], thresholds: { warn_days: 90, fail_days: 30 }, now: NOW });
    return renderPrometheus(judge(inventory, 30), NOW);
  }

  test('one gauge of seconds left per certificate, labelled source, path, subject and serial, valid exposition text', async () => {
    const families = parseExposition(await render());
    const expiry = families.get('crdb_tls_certificate_expiry_seconds')!;
    assert.equal(expiry.type, 'gauge');
    assert.ok(expiry.help && expiry.help.length > 10);
    for (const sample of expiry.samples) assert.deepEqual(Object.keys(sample.labels).sort(), ['path', 'serial', 'source', 'subject']);
    const bySubject = new Map(expiry.samples.map((s) => [s.labels.subject, s]));
    assert.equal(expiry.samples.length, 3, 'the CA twice in one file is one series; the unparseable file has none');
    assert.equal(bySubject.get('O=Cockroach, CN=Cockroach CA')!.value, 400 * 86_400);
    assert.equal(bySubject.get('O=Cockroach, CN=alice')!.value, -2 * 86_400, 'negative once expired');
    assert.equal(bySubject.get('O=Cockroach, CN=Cockroach CA')!.labels.path, at('certs/ca.crt'));
    assert.equal(bySubject.get('O=Cockroach, CN=Cockroach CA')!.labels.source, 'certs_dir');
    // The serial as Node's own X.509 parser reads it (a random 128-bit serial loses leading zero bytes in DER).
    const serial = new crypto.X509Certificate(fs.readFileSync(at('certs/client.alice.crt'))).serialNumber.toLowerCase().replace(/^(00)+/, '');
    assert.equal(bySubject.get('O=Cockroach, CN=alice')!.labels.serial!.replace(/^(00)+/, ''), serial);
    assert.match(serial, /^[0-9a-f]{2,32}$/);
  });

  test('quotes, backslashes and line feeds in a subject are escaped, and read back unchanged', async () => {
    const text = await render();
    assert.ok(text.includes('CN=weird \\"name\\" \\\\ with\\nnewline"'), 'escaped as the format requires');
    const families = parseExposition(text);
    const odd = families.get('crdb_tls_certificate_expiry_seconds')!.samples.find((s) => s.labels.subject!.includes('weird'))!;
    assert.equal(odd.labels.subject, `O=Cockroach, CN=${WEIRD}`);
    assert.equal(odd.value, 40 * 86_400);
  });

  test('the check counts what it could not read, what is due, and when it ran', async () => {
    const families = parseExposition(await render());
    assert.equal(families.get('crdb_tls_certificate_check_errors')!.samples[0]!.value, 1);
    assert.equal(families.get('crdb_tls_certificate_check_due')!.samples[0]!.value, 1, 'alice, expired');
    assert.equal(families.get('crdb_tls_certificate_check_timestamp_seconds')!.samples[0]!.value, NOW.getTime() / 1000);
    const failed = parseExposition(renderFailedCheck(NOW));
    assert.equal(failed.get('crdb_tls_certificate_check_errors')!.samples[0]!.value, 1);
    assert.equal(failed.has('crdb_tls_certificate_expiry_seconds'), false);
  });

  test('the parser used here refuses what the format forbids (so that passing it means something)', () => {
    for (const bad of ['1metric 1\n', 'm{a="x\\q"} 1\n', 'm{a="x"} 1 1700000000000\n', 'm{a="x"} 1\nm{a="x"} 2\n', 'm 1\nn 1\nm 2\n', 'm 1\n# TYPE m gauge\n', 'm{__a="x"} 1\n', 'm one\n', 'm 1']) {
      assert.throws(() => parseExposition(bad), `accepted ${JSON.stringify(bad)}`);
    }
    assert.equal(parseExposition('# HELP m x\n# TYPE m gauge\nm{a="q\\"\\\\\\n"} -1.5e3\n').get('m')!.samples[0]!.labels.a, 'q"\\\n');
  });

  test('the file is replaced atomically: a new inode by rename, mode 0644, no temp file left; a missing dir is an error', async () => {
    const file = at('crdb_tls.prom');
    fs.writeFileSync(file, 'old\n');
    const before = fs.statSync(file).ino;
    await writeTextfileAtomically(file, await render());
    const stat = fs.statSync(file);
    assert.notEqual(stat.ino, before, 'renamed into place, not rewritten');
    assert.equal(stat.mode & 0o777, 0o644);
    assert.deepEqual(fs.readdirSync(tmp).filter((n) => n.includes('.tmp')), []);
    parseExposition(fs.readFileSync(file, 'utf8'));
    await assert.rejects(writeTextfileAtomically(at('nope', 'x.prom'), 'x 1\n'), (error: unknown) => error instanceof ToolError && error.code === 'not_found');
  });
});
