// The expiry inventory read from files: every certificate of every bundle (not only the first,
// which is all `cockroach cert list` shows, reference §1.6), a status from days left with
// configurable thresholds, and certificates that cannot be parsed reported as errors — never
// skipped — while their neighbours are still read. The check's verdict and exit codes too.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { issueCertificate, type IssuedCertificate } from '../../src/pki/issue.js';
import { spkiDer } from '../../src/pki/keys.js';
import { CHECK_EXIT, judge } from '../../src/rotation/check.js';
import { statusFor, takeInventory, type InventoryRequest } from '../../src/rotation/inventory.js';

const DAY_MS = 86_400_000;
const NOW = new Date('2030-06-01T12:00:00Z');
const ecKey = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

function ca(name: string, days: number, now = NOW): { cert: IssuedCertificate; key: crypto.KeyObject } {
  const key = ecKey();
  return { key, cert: issueCertificate({ profile: 'ca', commonName: name, subjectPublicKey: spkiDer(key), lifetimeMs: days * DAY_MS, now }, { key }) };
}
function leaf(signer: ReturnType<typeof ca>, profile: 'node' | 'client', cn: string, days: number, now = NOW): IssuedCertificate {
  return issueCertificate({ profile, commonName: cn, subjectPublicKey: spkiDer(ecKey()), lifetimeMs: days * DAY_MS, ...(profile === 'node' ? { dnsNames: ['localhost'] } : {}), now }, { certificate: signer.cert.parsed, key: signer.key });
}

const request = (over: Partial<InventoryRequest>): InventoryRequest => ({ certsDirs: [], files: [], hosts: [], probeTimeoutMs: 1000, sqlUrls: [], thresholds: { warn_days: 90, fail_days: 30 }, now: NOW, ...over });

describe('inventory of certs dirs', () => {
  let tmp = '';
  const at = (...p: string[]) => path.join(tmp, ...p);
  const caNew = ca('CA 2030', 3650);
  const caOld = ca('CA 2020', 400);
  const caExpired = ca('CA 2010', 30, new Date(NOW.getTime() - 60 * DAY_MS));

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-inventory-'));
    fs.mkdirSync(at('certs'));
    fs.writeFileSync(at('certs/ca.crt'), caNew.cert.pem + caOld.cert.pem + caExpired.cert.pem);
    fs.writeFileSync(at('certs/node.crt'), leaf(caNew, 'node', 'node', 20).pem);
    fs.writeFileSync(at('certs/client.alice.crt'), leaf(caNew, 'client', 'alice', 60).pem);
    fs.writeFileSync(at('certs/client.bob.crt'), leaf(caNew, 'client', 'bob', 200).pem);
    // A good certificate, then a block whose base64 decodes to something that is no certificate.
    const broken = leaf(caNew, 'client', 'carol', 100).pem + '-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGUgYXQgYWxs\n-----END CERTIFICATE-----\n';
    fs.writeFileSync(at('certs/client.carol.crt'), broken);
    fs.writeFileSync(at('certs/client.empty.crt'), '');
    fs.writeFileSync(at('certs/ui.key'), 'not read: not a .crt');
    fs.mkdirSync(at('pgdata'));
    fs.writeFileSync(at('pgdata/server.crt'), leaf(caNew, 'node', 'node', 5).pem);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('every certificate of a bundle is an item, with its position; the first is the one that signs', async () => {
    const { inventory } = await takeInventory(request({ certsDirs: [at('certs')] }));
    const bundle = inventory.items.filter((i) => i.path === at('certs/ca.crt'));
    assert.deepEqual(bundle.map((i) => i.position), [0, 1, 2]);
    assert.deepEqual(bundle.map((i) => i.subject), ['O=Cockroach, CN=CA 2030', 'O=Cockroach, CN=CA 2020', 'O=Cockroach, CN=CA 2010']);
    assert.match(bundle[0]!.what, /certificate 1 of 3 \(signs new certificates\)/);
    assert.deepEqual(bundle.map((i) => i.status), ['ok', 'ok', 'expired']);
    assert.equal(bundle[2]!.days_left, -30, 'expired 30 days ago');
  });

  test('days left and status follow the thresholds: fail under 30, warn under 90, ok beyond; configurable', async () => {
    const { inventory } = await takeInventory(request({ certsDirs: [at('certs')] }));
    const of = (name: string) => inventory.items.find((i) => i.path === at('certs', name) && i.position === 0)!;
    assert.deepEqual([of('node.crt').days_left, of('client.alice.crt').days_left, of('client.bob.crt').days_left], [20, 60, 200]);
    assert.deepEqual([of('node.crt').status, of('client.alice.crt').status, of('client.bob.crt').status], ['fail', 'warn', 'ok']);
    const strict = await takeInventory(request({ certsDirs: [at('certs')], thresholds: { warn_days: 365, fail_days: 100 } }));
    const strictOf = (name: string) => strict.inventory.items.find((i) => i.path === at('certs', name) && i.position === 0)!;
    assert.deepEqual([strictOf('node.crt').status, strictOf('client.alice.crt').status, strictOf('client.bob.crt').status], ['fail', 'fail', 'warn']);
    assert.equal(statusFor(30 * 86_400, { warn_days: 90, fail_days: 30 }), 'warn', 'exactly 30 days left is no longer under 30');
    assert.equal(statusFor(30 * 86_400 - 1, { warn_days: 90, fail_days: 30 }), 'fail');
    assert.equal(statusFor(0, { warn_days: 90, fail_days: 30 }), 'expired');
  });

  test('a block that cannot be parsed is reported as an error item, and the good certificate beside it is still read', async () => {
    const { inventory } = await takeInventory(request({ certsDirs: [at('certs')] }));
    const carol = inventory.items.filter((i) => i.path === at('certs/client.carol.crt'));
    assert.equal(carol.length, 2);
    assert.equal(carol[0]!.days_left, 100);
    assert.equal(carol[0]!.subject, 'O=Cockroach, CN=carol');
    assert.equal(carol[1]!.status, 'error');
    assert.equal(carol[1]!.position, 1);
    assert.match(carol[1]!.error!, /not a valid X\.509 certificate/);
    const empty = inventory.items.find((i) => i.path === at('certs/client.empty.crt'))!;
    assert.equal(empty.status, 'error');
    assert.match(empty.error!, /empty certificate file/);
    assert.equal(inventory.counts.error, 2);
    assert.ok(!inventory.items.some((i) => i.path?.endsWith('ui.key')), 'only *.crt files are read, as CockroachDB does');
  });

  test('a file named outside CockroachDB\'s names is read too, its use told by its contents', async () => {
    const { inventory } = await takeInventory(request({ files: [at('pgdata/server.crt')] }));
    assert.equal(inventory.items.length, 1);
    const [item] = inventory.items;
    assert.equal(item!.source, 'file');
    assert.equal(item!.usage, 'Server');
    assert.match(item!.what, /not a CockroachDB file name/);
    assert.equal(item!.days_left, 5);
  });

  test('a certs dir that does not exist is an error of that source; the others are still read', async () => {
    const { inventory } = await takeInventory(request({ certsDirs: [at('missing'), at('certs')] }));
    const missing = inventory.sources.find((s) => s.location === at('missing'))!;
    assert.match(missing.error!, /does not exist/);
    assert.ok(inventory.items.length >= 8);
  });

  test('the check: error wins over due, due over nothing; exit codes 2, 1, 0', async () => {
    const all = judge((await takeInventory(request({ certsDirs: [at('certs')] }))).inventory, 30);
    assert.equal(all.result, 'error');
    assert.equal(all.exit_code, 2);
    assert.deepEqual(all.due.map((i) => i.days_left), [-30, 20], 'due within 30 days (expired included), soonest first');
    const dueOnly = judge((await takeInventory(request({ files: [at('pgdata/server.crt')] }))).inventory, 30);
    assert.deepEqual([dueOnly.result, dueOnly.exit_code], ['due', 1]);
    const clean = judge((await takeInventory(request({ files: [at('pgdata/server.crt')] }))).inventory, 3);
    assert.deepEqual([clean.result, clean.exit_code], ['nothing_due', 0]);
    assert.deepEqual(CHECK_EXIT, { nothing_due: 0, due: 1, error: 2 });
  });
});
