// A Cloud cluster's Client CA in the inventory and its rotation plan, against the local stand-in
// of the Cloud API contract (reference §4.2). The plan uploads a bundle that keeps the old CA
// (medium: nothing is dropped), reissues the client certificate from the new CA, and only at the
// end uploads the bundle without the old CA — the high-severity step, which names the CA it drops.
// The Cloud steps are carried out by set_client_ca itself, with the exact input the plan gives;
// marking them done checks what the cluster now trusts. Everything runs through the Runner with
// the catalog's tools, as the MCP and CLI faces do.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/log.js';
import { AllowedPaths } from '../../src/core/paths.js';
import { Runner } from '../../src/core/runner.js';
import type { ToolContext } from '../../src/core/tool.js';
import { createCa } from '../../src/pki/create-ca.js';
import { createClientCert } from '../../src/pki/create-leaf.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { findTool } from '../../tools/catalog.js';
import { CloudApiStandin } from '../support/cloud-api-standin.js';
import { clusterId } from '../support/cloud-pki.js';
import { fingerprintOf, opensslResult, pemBlocks } from '../support/openssl.js';
import { describeSkip } from '../support/system-tools.js';

const KEY = 'CCDB1_rotationCloudKey_4f8a2c9e1b7d3065';
const HOUR_MS = 3_600_000;

interface Step { number: number; kind: string; mode: string; severity: string; tool: { name: string; input: Record<string, unknown> } | null; blast_radius: { stops_trusted: string[] } }
type Output = Record<string, unknown>;

describe('rotating the Client CA of a Cloud cluster', { skip: describeSkip('openssl') }, () => {
  let tmp = '';
  let standin: CloudApiStandin;
  let cluster = '';
  let runner: Runner;
  let ctx: ToolContext;
  let planId = '';
  let steps: Step[] = [];
  let oldCa = '';
  const at = (...parts: string[]) => path.join(tmp, ...parts);

  async function call(name: string, input: Record<string, unknown>): Promise<Output> {
    const outcome = await runner.run(findTool(name)!, input, ctx);
    if (!outcome.ok) throw new Error(`${name}: ${outcome.error.code}: ${outcome.error.message}`);
    return outcome.output;
  }
  async function failure(name: string, input: Record<string, unknown>): Promise<string> {
    const outcome = await runner.run(findTool(name)!, input, ctx);
    assert.equal(outcome.ok, false, `${name} should have failed`);
    return outcome.ok ? '' : outcome.error.message;
  }
  const trusted = () => pemBlocks(standin.clientCa(cluster).pem).map((pem) => fingerprintOf({ pem })).sort();

  before(async () => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-rotation-cloud-')));
    fs.mkdirSync(at('safe'), { mode: 0o700 });
    fs.mkdirSync(at('certs'), { mode: 0o700 });
    // Our own client CA, trusted by the cluster, expiring in 45 days; a client certificate it signed.
    await createCa({ kind: 'client-ca', certsDir: at('certs'), caKeyPath: at('safe/ca-client.key'), keySize: 2048, lifetimeMs: 45 * 24 * HOUR_MS, overwrite: false, allowKeyReuse: false });
    await createClientCert({ certsDir: at('certs'), caKeyPath: at('safe/ca-client.key'), user: 'app', keySize: 2048, lifetimeMs: 40 * 24 * HOUR_MS, overwrite: false, pkcs8: false, tenantScopes: [] });
    fs.copyFileSync(at('certs/client.app.crt'), at('app-old.crt'));
    oldCa = fingerprintOf(at('certs/ca-client.crt'));
    standin = await CloudApiStandin.start(KEY);
    cluster = clusterId();
    standin.addCluster({ id: cluster, plan: 'ADVANCED', caPem: fs.readFileSync(at('certs/ca-client.crt'), 'utf8'), clientCa: { status: 'IS_SET', pem: fs.readFileSync(at('certs/ca-client.crt'), 'utf8') }, pendingPolls: 1 });
    const env = { COCKROACH_SERVER: standin.url, COCKROACH_API_KEY: KEY, CRDB_TLS_STATE_DIR: at('state') };
    runner = new Runner({ threshold: 'medium', readOnly: false, confirmationTtlMs: 600_000 }, new EmbeddedStore(at('state')));
    ctx = { config: loadConfig('mcp', env), paths: new AllowedPaths([tmp]), log: createLogger('silent'), store: runner.store, requester: 'tester', askPerson: async () => 'accept' };
  });

  after(async () => {
    await standin?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the inventory lists the Client CA the cluster trusts, with its days left', async () => {
    const report = await call('check_expiry', { cloud_cluster: cluster, within: '60d' }) as { result: string; due: Array<{ source: string; location: string; sha256_fingerprint: string; days_left: number; status: string }> };
    assert.equal(report.result, 'due');
    assert.equal(report.due.length, 1);
    assert.equal(report.due[0]!.source, 'cloud_client_ca');
    assert.equal(report.due[0]!.sha256_fingerprint, oldCa);
    assert.equal(report.due[0]!.days_left, 44, '45 days of life, a few seconds gone');
    assert.equal(report.due[0]!.status, 'warn');
  });

  test('the plan: new CA first, upload keeping the old (medium), reissue, move clients, remove, upload dropping the old (high)', async () => {
    const out = await call('plan_rotation', { certs_dirs: [at('certs')], cloud_cluster: cluster, client_ca_key: at('safe/ca-client.key'), scope: 'client-ca', within: '60d' }) as { plan: { id: string; steps: Step[] } };
    planId = out.plan.id;
    steps = out.plan.steps;
    assert.deepEqual(steps.map((s) => `${s.kind}/${s.mode}`), ['new_ca/local', 'upload_client_ca/tool', 'reissue_client/local', 'move_clients/manual', 'remove_ca/local', 'upload_client_ca/tool', 'verify/manual']);
    assert.deepEqual([steps[1]!.severity, steps[5]!.severity], ['medium', 'high']);
    assert.deepEqual(steps[1]!.tool, { name: 'set_client_ca', input: { cluster_id: cluster, cert_file: at('certs/ca-client.crt'), verify_client_certs: [at('certs/client.app.crt')] } });
    assert.equal(steps[5]!.blast_radius.stops_trusted.length > 0, true, 'the last upload says what stops being trusted');
    assert.equal(steps[1]!.blast_radius.stops_trusted.length, 0);
  });

  test('the combined bundle is uploaded by set_client_ca at medium severity; marking it done checks what the cluster trusts', async () => {
    await call('apply_rotation_step', { plan_id: planId, step: 1 });
    const bundle = pemBlocks(fs.readFileSync(at('certs/ca-client.crt'), 'utf8'));
    assert.equal(bundle.length, 2);
    assert.equal(fingerprintOf({ pem: bundle[1]! }), oldCa, 'the old Client CA is kept, after the new one');
    assert.match(await failure('apply_rotation_step', { plan_id: planId, step: 2, mark_done: true }), /trusts 1 CA\(s\).*not exactly the 2/);
    assert.match(await failure('apply_rotation_step', { plan_id: planId, step: 2 }), /tool step/);

    const dry = await call('set_client_ca', { ...steps[1]!.tool!.input, dry_run: true }) as { assessment: { severity: string } };
    assert.equal(dry.assessment.severity, 'medium', 'a bundle that keeps every CA now set');
    await call('set_client_ca', steps[1]!.tool!.input);
    assert.deepEqual(trusted(), bundle.map((pem) => fingerprintOf({ pem })).sort());
    const marked = await call('apply_rotation_step', { plan_id: planId, step: 2, mark_done: true }) as { result: { verification: string } };
    assert.match(marked.result.verification, /trusts exactly the 2 CA\(s\)/);
  });

  test('after the client certificate is reissued and the old CA removed, the last upload drops the old CA at high severity', async () => {
    await call('apply_rotation_step', { plan_id: planId, step: 3 });
    await call('apply_rotation_step', { plan_id: planId, step: 4, mark_done: true });
    await call('apply_rotation_step', { plan_id: planId, step: 5 });
    const bundle = pemBlocks(fs.readFileSync(at('certs/ca-client.crt'), 'utf8'));
    assert.equal(bundle.length, 1);
    assert.notEqual(fingerprintOf({ pem: bundle[0]! }), oldCa);

    const dry = await call('set_client_ca', { ...steps[5]!.tool!.input, dry_run: true }) as { assessment: { severity: string; impact: string } };
    assert.equal(dry.assessment.severity, 'high', 'a bundle that drops a CA now set');
    await call('set_client_ca', steps[5]!.tool!.input);
    await call('apply_rotation_step', { plan_id: planId, step: 6, mark_done: true });
    assert.deepEqual(trusted(), [fingerprintOf({ pem: bundle[0]! })]);

    // What the cluster trusts now accepts the new client certificate and refuses the old one (openssl, not crdb-tls).
    fs.writeFileSync(at('cloud-trusts.pem'), standin.clientCa(cluster).pem);
    assert.equal(opensslResult(['verify', '-CAfile', at('cloud-trusts.pem'), at('certs/client.app.crt')]).status, 0);
    assert.notEqual(opensslResult(['verify', '-CAfile', at('cloud-trusts.pem'), at('app-old.crt')]).status, 0);
  });
});
