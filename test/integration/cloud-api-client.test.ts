// The Cloud API client against the local stand-in of the published contract
// (test/support/cloud-api-standin.ts): authentication headers, the retry policy for reads,
// timeouts, error messages for 400/401/403/404/5xx, and the key staying out of everything.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { pino } from 'pino';
import { CloudApiClient, clusterPath } from '../../src/cloud/api-client.js';
import { fetchClusterCa } from '../../src/cloud/cluster-ca.js';
import { readClusterPlan } from '../../src/cloud/cluster-plan.js';
import { ApiKey, cloudSettings, requireApiKey } from '../../src/cloud/credentials.js';
import { loadConfig } from '../../src/core/config.js';
import { ToolError } from '../../src/core/errors.js';
import { CloudApiStandin } from '../support/cloud-api-standin.js';
import { clusterId, makeCa } from '../support/cloud-pki.js';
import { toolErrorRejectedBy } from '../support/tool-errors.js';

const KEY = 'CCDB1_standinSecretKey_4f7a9c2e1b8d6035';
const CC_VERSION = '2024-09-16'; // info.version of the spec (reference §4.2)

let standin: CloudApiStandin;
let tmp = '';

before(async () => {
  standin = await CloudApiStandin.start(KEY);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-cloud-client-'));
});
after(async () => {
  await standin?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function advancedCluster(): string {
  const id = clusterId();
  standin.addCluster({ id, plan: 'ADVANCED', caPem: makeCa(`Cluster CA ${id.slice(0, 8)}`).pem });
  return id;
}

const client = (options: Partial<ConstructorParameters<typeof CloudApiClient>[0]> = {}) =>
  new CloudApiClient({ server: standin.url, apiKey: new ApiKey(KEY), retry: { baseDelayMs: 10 }, ...options });

const requestsFor = (id: string) => standin.requests.filter((r) => r.path.includes(id));

describe('requests as the Cloud API expects them', () => {
  test('an /api/v1 request carries the service-account key as a Bearer token and Cc-Version 2024-09-16', async () => {
    const id = advancedCluster();
    const plan = await readClusterPlan(client(), id);
    assert.equal(plan.plan, 'ADVANCED');
    const [request] = requestsFor(id);
    assert.equal(request?.path, `/api/v1/clusters/${id}`);
    assert.equal(request?.auth, 'valid');
    assert.equal(request?.headers['cc-version'], CC_VERSION);
  });

  test('the public CA endpoint /clusters/{id}/cert is fetched without the API key', async () => {
    const id = advancedCluster();
    const bundle = await fetchClusterCa(client(), id);
    assert.equal(bundle.certificates.length, 1);
    const [request] = requestsFor(id);
    assert.equal(request?.path, `/clusters/${id}/cert`);
    assert.equal(request?.auth, 'none', 'the key was sent to an endpoint that needs none');
  });

  test('a cluster id is escaped into one path segment', () => {
    assert.equal(clusterPath('a/../b'), '/api/v1/clusters/a%2F..%2Fb');
  });
});

describe('reads are retried on transient failures', () => {
  test('a read answered 503 twice is retried and then succeeds', async () => {
    const id = advancedCluster();
    standin.fault({ path: `/api/v1/clusters/${id}`, status: 503, times: 2 });
    const plan = await readClusterPlan(client(), id);
    assert.equal(plan.plan, 'ADVANCED');
    assert.deepEqual(requestsFor(id).map((r) => r.status), [503, 503, 200]);
  });

  test('a 429 with Retry-After: 1 is retried no sooner than one second later', async () => {
    const id = advancedCluster();
    standin.fault({ path: `/api/v1/clusters/${id}`, status: 429, times: 1, retryAfter: '1' });
    const started = Date.now();
    await readClusterPlan(client(), id);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 950, `retried after ${elapsed} ms, before the 1 s the server asked for`);
    assert.deepEqual(requestsFor(id).map((r) => r.status), [429, 200]);
  });

  test('a read that keeps failing with 500 gives up after 4 tries and says the Cloud API failed', async () => {
    const id = advancedCluster();
    standin.fault({ path: `/api/v1/clusters/${id}`, status: 500, times: 10, body: { code: 13, message: 'internal error', details: [] } });
    const error = await toolErrorRejectedBy(readClusterPlan(client(), id));
    assert.equal(error.code, 'unavailable');
    assert.match(error.message, /failed GET \/api\/v1\/clusters\/\S+ with 500/);
    assert.match(error.message, /internal error/);
    assert.equal(requestsFor(id).length, 4);
  });

  test('a read with no answer within the timeout is sent again, and succeeds when the next one answers', async () => {
    const id = advancedCluster();
    standin.fault({ path: `/api/v1/clusters/${id}`, status: 200, times: 1, delayMs: 1_000, afterApply: true });
    const plan = await readClusterPlan(client({ timeoutMs: 200 }), id);
    assert.equal(plan.plan, 'ADVANCED');
    assert.equal(requestsFor(id).length, 2);
  });

  test('a read that never answers in time fails saying the Cloud API did not answer in time', async () => {
    const id = advancedCluster();
    standin.fault({ path: `/api/v1/clusters/${id}`, status: 200, times: 10, delayMs: 600, afterApply: true });
    const error = await toolErrorRejectedBy(readClusterPlan(client({ timeoutMs: 100, retry: { attempts: 2, baseDelayMs: 10 } }), id));
    assert.equal(error.code, 'unavailable');
    assert.match(error.message, /did not answer GET .* in time/);
  });

  test('an unreachable server is reported as such, with COCKROACH_SERVER in the hint', async () => {
    const error = await toolErrorRejectedBy(readClusterPlan(client({ server: 'http://127.0.0.1:9', retry: { attempts: 2, baseDelayMs: 1 } }), clusterId()));
    assert.equal(error.code, 'unavailable');
    assert.match(error.message, /cannot reach the Cloud API at http:\/\/127\.0\.0\.1:9/);
    assert.match(error.hint ?? '', /COCKROACH_SERVER/);
  });
});

describe('refusals become messages a person can act on', () => {
  test('401: the key is wrong or expired, and the hint says how to get a new one', async () => {
    const id = advancedCluster();
    const error = await toolErrorRejectedBy(readClusterPlan(client({ apiKey: new ApiKey('not-the-key') }), id));
    assert.equal(error.code, 'permission_denied');
    assert.match(error.message, /\(401\): the key is wrong, expired or revoked/);
    assert.match(error.hint ?? '', /COCKROACH_API_KEY/);
    assert.equal(requestsFor(id).length, 1, 'a 401 is not retried');
  });

  test('403: the service account lacks Cluster Admin or Cluster Operator on the cluster', async () => {
    const id = advancedCluster();
    standin.fault({ path: id, status: 403, times: 1, body: { code: 7, message: 'permission denied', details: [] } });
    const error = await toolErrorRejectedBy(readClusterPlan(client(), id));
    assert.equal(error.code, 'permission_denied');
    assert.match(error.message, /\(403\)/);
    assert.match(error.message, /Cluster Admin or Cluster Operator role on cluster/);
    assert.ok(error.message.includes(id));
  });

  test('404: no such cluster, and a routing ID is recognised as not being a cluster ID', async () => {
    const error = await toolErrorRejectedBy(readClusterPlan(client(), 'funky-skunk-123'));
    assert.equal(error.code, 'not_found');
    assert.match(error.message, /no cluster funky-skunk-123 is visible to this API key \(404\)/);
    assert.match(error.hint ?? '', /routing ID/);
  });

  test('400: the API\'s own message is shown', async () => {
    const id = advancedCluster();
    standin.fault({ path: id, status: 400, times: 1, body: { code: 3, message: 'invalid Cc-Version', details: [] } });
    const error = await toolErrorRejectedBy(readClusterPlan(client(), id));
    assert.equal(error.code, 'invalid_input');
    assert.match(error.message, /\(400\): invalid Cc-Version$/);
  });

  test('an error body that echoes the API key is shown with the key redacted', async () => {
    const id = advancedCluster();
    standin.fault({ path: id, status: 400, times: 1, body: { code: 3, message: `bad token ${KEY} for this org`, details: [] } });
    const error = await toolErrorRejectedBy(readClusterPlan(client(), id));
    assert.ok(!error.message.includes(KEY), 'the key is in the error message');
    assert.match(error.message, /bad token \[redacted API key\] for this org/);
  });
});

describe('the API key and where it comes from', () => {
  const settingsFrom = (env: NodeJS.ProcessEnv) => cloudSettings(loadConfig('cli', env));

  test('COCKROACH_API_KEY is used as is, and COCKROACH_SERVER overrides https://cockroachlabs.cloud', () => {
    const defaults = settingsFrom({ COCKROACH_API_KEY: KEY });
    assert.equal(defaults.server, 'https://cockroachlabs.cloud');
    assert.equal(defaults.apiKey?.authorization(), `Bearer ${KEY}`);
    assert.equal(settingsFrom({ COCKROACH_SERVER: 'http://127.0.0.1:1234/' }).server, 'http://127.0.0.1:1234');
  });

  test('COCKROACH_API_KEY_FILE is read and its trailing newline dropped; COCKROACH_API_KEY wins over it', () => {
    const file = path.join(tmp, 'api-key');
    fs.writeFileSync(file, `${KEY}-from-file\n`, { mode: 0o600 });
    assert.equal(settingsFrom({ COCKROACH_API_KEY_FILE: file }).apiKey?.authorization(), `Bearer ${KEY}-from-file`);
    assert.equal(settingsFrom({ COCKROACH_API_KEY_FILE: file, COCKROACH_API_KEY: KEY }).apiKey?.authorization(), `Bearer ${KEY}`);
  });

  test('a missing key is refused with a message naming both variables; an empty key file likewise', () => {
    assert.throws(() => requireApiKey(settingsFrom({})), (error: ToolError) => /COCKROACH_API_KEY and COCKROACH_API_KEY_FILE are both unset/.test(error.message));
    const empty = path.join(tmp, 'empty-key');
    fs.writeFileSync(empty, '\n');
    assert.throws(() => settingsFrom({ COCKROACH_API_KEY_FILE: empty }), (error: ToolError) => /is empty/.test(error.message));
  });

  test('COCKROACH_SERVER that is not an http(s) URL is refused', () => {
    assert.throws(() => settingsFrom({ COCKROACH_SERVER: 'cockroachlabs.cloud' }), (error: ToolError) => /not a URL/.test(error.message));
    assert.throws(() => settingsFrom({ COCKROACH_SERVER: 'ftp://x' }), (error: ToolError) => /not an http\(s\) URL/.test(error.message));
  });

  test('the key never shows when printed, serialised, inspected, or logged with pino', () => {
    const key = new ApiKey(KEY);
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
    log.info({ key, settings: { apiKey: key }, config: loadConfig('cli', { COCKROACH_API_KEY: KEY }) }, `using ${key}`);
    const shown = [String(key), `${key}`, JSON.stringify({ key }), inspect({ key }), inspect(loadConfig('cli', { COCKROACH_API_KEY: KEY }), { depth: 5 }), ...lines].join('\n');
    assert.ok(lines.length === 1, 'pino wrote no line, so this check proves nothing');
    assert.ok(!shown.includes(KEY), `the key showed in: ${shown}`);
  });
});
