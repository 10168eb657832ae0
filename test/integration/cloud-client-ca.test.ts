// Client CA get/set/remove against the local stand-in of the Cloud API contract (reference §4.2):
// POST the first time and PATCH after, the asynchronous PENDING → IS_SET / NOT_SET status
// followed to the end, FAILED as an error, severity from the real effect (first upload low, a
// bundle keeping every CA medium, one dropping a CA high and naming it, removal high), PEM checks
// before anything is sent, refusal on Basic/Standard plans, and writes that are never resent
// blindly after a lost answer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CloudApiClient } from '../../src/cloud/api-client.js';
import { validateCaBundle } from '../../src/cloud/ca-bundle.js';
import {
  assessRemoveClientCa,
  assessSetClientCa,
  getClientCa,
  removeClientCa,
  setClientCa,
  type ClientCertToVerify,
  type SetClientCaOptions,
} from '../../src/cloud/client-ca.js';
import { ApiKey } from '../../src/cloud/credentials.js';
import { ToolError } from '../../src/core/errors.js';
import { parseCertificates } from '../../src/pki/certificate.js';
import { CloudApiStandin, type ClusterSetup, type Plan } from '../support/cloud-api-standin.js';
import { bundle, clientCert, clusterId, expiredCa, makeCa, sha256Fingerprint, type TestCa } from '../support/cloud-pki.js';
import { toolErrorRejectedBy } from '../support/tool-errors.js';

const KEY = 'CCDB1_clientCaTestKey_9d3e7f21a0c4b856';
let standin: CloudApiStandin;
let caA: TestCa;
let caB: TestCa;
let caC: TestCa;

before(async () => {
  standin = await CloudApiStandin.start(KEY);
  [caA, caB, caC] = [makeCa('Acme Client CA 2025'), makeCa('Acme Client CA 2026'), makeCa('Contractor Client CA')];
});
after(() => standin?.close());

const api = () => new CloudApiClient({ server: standin.url, apiKey: new ApiKey(KEY), retry: { baseDelayMs: 10 } });

function cluster(setup: Partial<ClusterSetup> & { plan?: Plan | null } = {}): string {
  const id = clusterId();
  standin.addCluster({ id, plan: 'ADVANCED', caPem: makeCa('Cluster CA').pem, pendingPolls: 2, ...setup });
  return id;
}

const requestsFor = (id: string) => standin.requests.filter((r) => r.path.includes(id));
const writesFor = (id: string) => requestsFor(id).filter((r) => r.method !== 'GET');
const clientCaFingerprints = (pem: string) => parseCertificates(pem, 'stand-in state').map((c) => sha256Fingerprint(c.der)).sort();

function setOptions(id: string, pem: string, extra: { verify?: ClientCertToVerify[]; timeoutMs?: number; progress?: (m: string) => void } = {}): SetClientCaOptions {
  return {
    clusterId: id,
    bundle: validateCaBundle(pem, 'test bundle', { expired: 'refuse' }),
    verify: extra.verify ?? [],
    wait: { timeoutMs: extra.timeoutMs ?? 10_000, firstCheckMs: 20, maxIntervalMs: 50, ...(extra.progress ? { progress: extra.progress } : {}) },
  };
}

describe('get', () => {
  test('a cluster with no Client CA reads NOT_SET with no certificates', async () => {
    const id = cluster();
    const view = await getClientCa(api(), id);
    assert.equal(view.status, 'NOT_SET');
    assert.deepEqual(view.certificates, []);
    assert.equal(view.plan, 'ADVANCED');
  });

  test('a cluster with a bundle set lists each CA with its fingerprint', async () => {
    const id = cluster({ clientCa: { status: 'IS_SET', pem: bundle(caA, caB) } });
    const view = await getClientCa(api(), id);
    assert.equal(view.status, 'IS_SET');
    assert.deepEqual(view.certificates.map((c) => c.sha256_fingerprint), [caA.fingerprint, caB.fingerprint]);
  });
});

describe('set: POST the first time, PATCH after, severity from the effect', () => {
  test('the first upload is low severity, sent with POST, and followed through PENDING to IS_SET with progress', async () => {
    const id = cluster({ pendingPolls: 3 });
    const assessment = await assessSetClientCa(api(), setOptions(id, caA.pem));
    assert.equal(assessment.severity, 'low');
    assert.ok(assessment.changes.some((c) => c.startsWith('POST ')), JSON.stringify(assessment.changes));
    assert.deepEqual(writesFor(id), [], 'assessing sent a change');

    const progress: string[] = [];
    const result = await setClientCa(api(), setOptions(id, caA.pem, { progress: (m) => progress.push(m) }));
    assert.equal(result.method, 'POST');
    assert.equal(result.action, 'set');
    assert.equal(result.status, 'IS_SET');
    assert.equal(result.checks, 4, 'three PENDING reads, then IS_SET');
    const writes = writesFor(id);
    assert.deepEqual(writes.map((w) => w.method), ['POST']);
    assert.deepEqual(clientCaFingerprints((writes[0]!.body as { x509_pem_cert: string }).x509_pem_cert), [caA.fingerprint]);
    assert.deepEqual(standin.clientCa(id).status, 'IS_SET');
    assert.equal(progress.filter((m) => /PENDING/.test(m)).length, 3, `progress: ${progress.join(' | ')}`);
    assert.match(progress.at(-1)!, /IS_SET/);
  });

  test('a bundle that keeps the CA now set and adds one is medium, names the added CA, and is sent with PATCH', async () => {
    const id = cluster({ clientCa: { status: 'IS_SET', pem: caA.pem } });
    const assessment = await assessSetClientCa(api(), setOptions(id, bundle(caA, caB)));
    assert.equal(assessment.severity, 'medium');
    assert.ok(assessment.impact.includes(caB.fingerprint), assessment.impact);
    assert.ok(!/DROPS/.test(assessment.impact));
    const result = await setClientCa(api(), setOptions(id, bundle(caA, caB)));
    assert.equal(result.method, 'PATCH');
    assert.equal(result.action, 'updated');
    assert.deepEqual(writesFor(id).map((w) => w.method), ['PATCH']);
    assert.deepEqual(clientCaFingerprints(standin.clientCa(id).pem), [caA.fingerprint, caB.fingerprint].sort());
    assert.equal(result.previous_pem, caA.pem);
  });

  test('a bundle that drops the CA now set is high, and the impact names the dropped CA by subject, fingerprint and expiry', async () => {
    const id = cluster({ clientCa: { status: 'IS_SET', pem: bundle(caA, caC) } });
    const assessment = await assessSetClientCa(api(), setOptions(id, bundle(caA, caB)));
    assert.equal(assessment.severity, 'high');
    const dropped = caC.cert.parsed;
    assert.ok(assessment.impact.includes('CN=Contractor Client CA'), assessment.impact);
    assert.ok(assessment.impact.includes(caC.fingerprint), assessment.impact);
    assert.ok(assessment.impact.includes(dropped.notAfter.toISOString()), assessment.impact);
    assert.ok(!assessment.impact.includes(`DROPS 2`), 'caA is kept, not dropped');
    assert.deepEqual(writesFor(id), [], 'assessing a high-severity change sent something');
  });

  test('the same bundle again changes nothing and sends nothing', async () => {
    const id = cluster({ clientCa: { status: 'IS_SET', pem: bundle(caA, caB) } });
    // Same certificates in another order and PEM layout: compared by fingerprint.
    const assessment = await assessSetClientCa(api(), setOptions(id, `${caB.pem}${caA.pem}`));
    assert.equal(assessment.severity, 'low');
    assert.deepEqual(assessment.changes, []);
    const result = await setClientCa(api(), setOptions(id, `${caB.pem}${caA.pem}`));
    assert.equal(result.action, 'unchanged');
    assert.equal(result.method, null);
    assert.deepEqual(writesFor(id), []);
  });

  test('the uploaded PEM has a blank line between certificates, as the Cloud docs require for bundles', async () => {
    const id = cluster();
    await setClientCa(api(), setOptions(id, `${caA.pem}${caB.pem}`));
    const sent = (writesFor(id)[0]!.body as { x509_pem_cert: string }).x509_pem_cert;
    assert.match(sent, /-----END CERTIFICATE-----\n\n-----BEGIN CERTIFICATE-----/);
  });

  test('a change the Cloud reports FAILED ends in an operation_failed error', async () => {
    const id = cluster({ clientCa: { status: 'IS_SET', pem: caA.pem } });
    standin.failNextChange = true;
    const error = await toolErrorRejectedBy(setClientCa(api(), setOptions(id, bundle(caA, caB))));
    assert.equal(error.code, 'operation_failed');
    assert.match(error.message, /reported FAILED/);
    assert.match(error.hint ?? '', /may still trust its previous Client CA/);
  });

  test('a change that stays PENDING past the timeout fails, saying it may still complete', async () => {
    const id = cluster({ pendingPolls: 10_000 });
    const error = await toolErrorRejectedBy(setClientCa(api(), setOptions(id, caA.pem, { timeoutMs: 300 })));
    assert.equal(error.code, 'unavailable');
    assert.match(error.message, /had not settled at IS_SET after 0 s \(status now: PENDING\)/);
    assert.match(error.hint ?? '', /may still complete/);
  });

  test('while a change is PENDING a new one is refused and nothing is sent', async () => {
    const id = cluster({ clientCa: { status: 'PENDING', pem: '' } });
    const error = await toolErrorRejectedBy(assessSetClientCa(api(), setOptions(id, caA.pem)));
    assert.equal(error.code, 'refused');
    assert.match(error.message, /still in progress \(PENDING\)/);
    assert.deepEqual(writesFor(id), []);
  });
});

describe('the bundle is checked before anything is sent', () => {
  test('a client certificate in the bundle is refused as not a CA', () => {
    const leaf = clientCert(caA, 'alice');
    assert.throws(() => validateCaBundle(bundle(caA) + leaf.pem, 'bundle.pem', { expired: 'refuse' }), (error: ToolError) => error.code === 'invalid_certificate' && /not a CA/.test(error.message) && error.message.includes('CN=alice'));
  });

  test('an expired CA is refused for an upload', () => {
    const old = expiredCa('Retired Client CA');
    assert.throws(() => validateCaBundle(bundle(caA, old), 'bundle.pem', { expired: 'refuse' }), (error: ToolError) => /expired CA certificate/.test(error.message) && error.message.includes(old.fingerprint));
  });

  test('the same CA twice is refused', () => {
    assert.throws(() => validateCaBundle(bundle(caA, caB, caA), 'bundle.pem', { expired: 'refuse' }), (error: ToolError) => /same CA certificate twice/.test(error.message));
  });

  test('a private key in the file is refused without echoing it', () => {
    const keyPem = caA.key.export({ format: 'pem', type: 'pkcs8' }) as string;
    const keyLine = keyPem.split('\n')[1]!;
    assert.throws(() => validateCaBundle(caA.pem + keyPem, 'bundle.pem', { expired: 'refuse' }), (error: ToolError) => /holds a private key; nothing was sent/.test(error.message) && !error.message.includes(keyLine) && !(error.hint ?? '').includes(keyLine));
  });

  test('text that is not a certificate is refused', () => {
    assert.throws(() => validateCaBundle('hello', 'bundle.pem', { expired: 'refuse' }), (error: ToolError) => error.code === 'invalid_certificate');
  });

  test('a client certificate the new bundle would not verify is named in a warning; one it verifies is not', async () => {
    const id = cluster({ clientCa: { status: 'IS_SET', pem: bundle(caA, caB) } });
    const alice = clientCert(caA, 'alice');
    const bob = clientCert(caB, 'bob');
    const verify: ClientCertToVerify[] = [
      { source: 'client.alice.crt', certificates: [alice.parsed] },
      { source: 'client.bob.crt', certificates: [bob.parsed] },
    ];
    const assessment = await assessSetClientCa(api(), setOptions(id, caB.pem, { verify }));
    assert.equal(assessment.severity, 'high');
    assert.match(assessment.impact, /client certificate O=Cockroach, CN=alice \(client\.alice\.crt\) would not verify against the new bundle/);
    assert.ok(!assessment.impact.includes('client.bob.crt'), 'bob is signed by the CA that stays');
  });
});

describe('remove', () => {
  test('removal is high severity, names the CA it stops trusting, sends DELETE and waits for NOT_SET', async () => {
    const id = cluster({ clientCa: { status: 'IS_SET', pem: caA.pem } });
    const assessment = await assessRemoveClientCa(api(), { clusterId: id, wait: { timeoutMs: 10_000 } });
    assert.equal(assessment.severity, 'high');
    assert.ok(assessment.impact.includes(caA.fingerprint));
    assert.deepEqual(writesFor(id), []);
    const result = await removeClientCa(api(), { clusterId: id, wait: { timeoutMs: 10_000, firstCheckMs: 20, maxIntervalMs: 50 } });
    assert.equal(result.action, 'removed');
    assert.equal(result.status, 'NOT_SET');
    assert.equal(result.previous_pem, caA.pem);
    assert.deepEqual(writesFor(id).map((w) => w.method), ['DELETE']);
    assert.equal(standin.clientCa(id).status, 'NOT_SET');
  });

  test('removing when nothing is set is a low-severity no-op that sends nothing', async () => {
    const id = cluster();
    const assessment = await assessRemoveClientCa(api(), { clusterId: id, wait: { timeoutMs: 1_000 } });
    assert.equal(assessment.severity, 'low');
    const result = await removeClientCa(api(), { clusterId: id, wait: { timeoutMs: 1_000 } });
    assert.equal(result.action, 'unchanged');
    assert.deepEqual(writesFor(id), []);
  });

  test('the state fingerprint changes when the Client CA changes, and only then', async () => {
    const id = cluster({ clientCa: { status: 'IS_SET', pem: caA.pem } });
    const wait = { timeoutMs: 1_000 };
    const first = await assessRemoveClientCa(api(), { clusterId: id, wait });
    const again = await assessRemoveClientCa(api(), { clusterId: id, wait });
    assert.equal(first.state_fingerprint, again.state_fingerprint);
    standin.setClientCa(id, { status: 'IS_SET', pem: caB.pem });
    const moved = await assessRemoveClientCa(api(), { clusterId: id, wait });
    assert.notEqual(moved.state_fingerprint, first.state_fingerprint);
  });
});

describe('Basic and Standard clusters have no Client CA', () => {
  for (const plan of ['STANDARD', 'BASIC', 'SERVERLESS'] as const) {
    test(`on a ${plan} cluster get, set and remove are refused before any Client CA request`, async () => {
      const id = cluster({ plan });
      for (const attempt of [getClientCa(api(), id), assessSetClientCa(api(), setOptions(id, caA.pem)), assessRemoveClientCa(api(), { clusterId: id, wait: { timeoutMs: 1_000 } })]) {
        const error = await toolErrorRejectedBy(attempt);
        assert.equal(error.code, 'refused');
        assert.match(error.message, new RegExp(`is a ${plan} cluster: a Client CA .* is only available on CockroachDB Cloud Advanced`));
      }
      assert.deepEqual(requestsFor(id).filter((r) => r.path.endsWith('/client-ca-cert')), []);
    });
  }

  test('with no plan field, config.serverless marks a cluster without Client CA and config.dedicated one with it (Terraform\'s check)', async () => {
    const serverless = cluster({ plan: null, config: 'serverless' });
    const error = await toolErrorRejectedBy(getClientCa(api(), serverless));
    assert.equal(error.code, 'refused');
    assert.deepEqual(requestsFor(serverless).filter((r) => r.path.endsWith('/client-ca-cert')), []);
    const dedicated = cluster({ plan: null, config: 'dedicated' });
    assert.equal((await getClientCa(api(), dedicated)).status, 'NOT_SET');
  });

  test('when the API itself refuses a Client CA write for the plan, the refusal says so', async () => {
    const id = cluster({ plan: null, refuseClientCa: 'client CA certificates are only supported on dedicated clusters' });
    const error = await toolErrorRejectedBy(setClientCa(api(), setOptions(id, caA.pem)));
    assert.equal(error.code, 'refused');
    assert.match(error.message, /only available on CockroachDB Cloud Advanced/);
    assert.match(error.message, /the Cloud API said: client CA certificates are only supported on dedicated clusters/);
  });
});

describe('writes are never resent blindly', () => {
  test('a PATCH whose answer is lost after it was applied is confirmed by reading the state and not sent again', async () => {
    const id = cluster({ clientCa: { status: 'IS_SET', pem: caA.pem } });
    standin.fault({ method: 'PATCH', path: id, status: 503, times: 1, afterApply: true });
    const result = await setClientCa(api(), setOptions(id, bundle(caA, caB)));
    assert.equal(result.status, 'IS_SET');
    assert.equal(result.requests_sent, 1);
    assert.deepEqual(writesFor(id).map((w) => `${w.method} ${w.status}`), ['PATCH 503']);
  });

  test('a PATCH refused with 503 before it was applied is checked with a GET, then sent once more', async () => {
    const id = cluster({ clientCa: { status: 'IS_SET', pem: caA.pem } });
    standin.fault({ method: 'PATCH', path: id, status: 503, times: 1 });
    const result = await setClientCa(api(), setOptions(id, bundle(caA, caB)));
    assert.equal(result.requests_sent, 2);
    const sequence = requestsFor(id).map((r) => `${r.method} ${r.status}`);
    const firstPatch = sequence.indexOf('PATCH 503');
    assert.equal(sequence[firstPatch + 1], 'GET 200', `no state read between the two PATCHes: ${sequence.join(', ')}`);
    assert.deepEqual(writesFor(id).map((w) => `${w.method} ${w.status}`), ['PATCH 503', 'PATCH 200']);
    assert.deepEqual(clientCaFingerprints(standin.clientCa(id).pem), [caA.fingerprint, caB.fingerprint].sort());
  });

  test('a DELETE whose answer times out after it was applied is not sent again', async () => {
    const id = cluster({ clientCa: { status: 'IS_SET', pem: caA.pem } });
    standin.fault({ method: 'DELETE', path: id, status: 200, times: 1, afterApply: true, delayMs: 800 });
    const fast = new CloudApiClient({ server: standin.url, apiKey: new ApiKey(KEY), retry: { baseDelayMs: 10 }, timeoutMs: 200 });
    const result = await removeClientCa(fast, { clusterId: id, wait: { timeoutMs: 10_000, firstCheckMs: 20, maxIntervalMs: 50 } });
    assert.equal(result.status, 'NOT_SET');
    assert.deepEqual(writesFor(id).map((w) => w.method), ['DELETE']);
  });

  test('a write refused with 400 is not retried', async () => {
    const id = cluster({ clientCa: { status: 'IS_SET', pem: caA.pem } });
    standin.fault({ method: 'PATCH', path: id, status: 400, times: 1, body: { code: 3, message: 'x509_pem_cert: certificate 2 is malformed', details: [] } });
    const error = await toolErrorRejectedBy(setClientCa(api(), setOptions(id, bundle(caA, caB))));
    assert.equal(error.code, 'invalid_input');
    assert.match(error.message, /certificate 2 is malformed/);
    assert.deepEqual(writesFor(id).map((w) => w.method), ['PATCH']);
  });
});
