// The original attack of issue 13, end to end: the Slack face and an MCP server (the real bundle
// over stdio) share one PostgreSQL store (a real server, TLS with client certificates). The Cloud
// API is its local stand-in, so "nothing changed" is: no write reached it and the Client CA is
// still set.
// - A Slack-issued confirmation (Alice asks to remove the Client CA; her own click is refused by
//   four-eyes) cannot be redeemed over MCP, neither by its id (taken from the Slack button, where
//   a client could see it) nor by what audit_log shows (which never holds a pending id). It stays
//   usable for Bob, an allowed confirmer, in Slack.
// - An MCP-issued confirmation (CRDB_TLS_MCP_CONFIRM=slack) is not run by the id passed back, not
//   approved by a Slack user the policy does not allow, not run by a Slack Confirm button forged
//   with its id; Bob approves it with `/crdb-tls approve <ref>`, a replay of his signed click is
//   dropped, and the assistant's retry then runs it exactly once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloudApiStandin } from '../support/cloud-api-standin.js';
import { bundle, clusterId, makeCa, type TestCa } from '../support/cloud-pki.js';
import { mcpEnv, startMcpSession, type McpSession } from '../support/mcp-session.js';
import { startPostgresForStore, type TlsPostgres } from '../support/postgres.js';
import { CHANNEL, SIGNING_SECRET, startSlackHarness, type SlackHarness } from '../support/slack-app.js';
import { blockActionPayload, interactionBody, post, signed } from '../support/slack-signing.js';
import type { RecordedCall } from '../support/slack-standin.js';

const API_KEY = 'CCDB1_crossFaceSecret_7Hq2Lm9Pz4Rt1Ws8Vx3Ky6';
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const MALLORY = 'U0MALLORY';

let work: string;
let server: TlsPostgres;
let url: string;
let cloud: CloudApiStandin;
let slack: SlackHarness;
let mcp: McpSession;
let ca: TestCa;

before(async () => {
  work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-cross-face-')));
  ({ server, url } = await startPostgresForStore(work));
  cloud = await CloudApiStandin.start(API_KEY);
  ca = makeCa('Client CA');
  slack = await startSlackHarness({ env: { COCKROACH_SERVER: cloud.url, COCKROACH_API_KEY: API_KEY, CRDB_TLS_SLACK_CONFIRMERS: `${ALICE},${BOB}`, CRDB_TLS_DATABASE_URL: url } });
  fs.mkdirSync(path.join(work, 'mcp'), { recursive: true });
  mcp = await startMcpSession(mcpEnv({ COCKROACH_SERVER: cloud.url, COCKROACH_API_KEY: API_KEY, CRDB_TLS_DATABASE_URL: url, CRDB_TLS_STATE_DIR: path.join(work, 'mcp-state'), CRDB_TLS_MCP_CONFIRM: 'slack' }), path.join(work, 'mcp'));
});

after(async () => {
  await mcp?.close();
  await slack?.close();
  await cloud?.close();
  await server?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const newCluster = () => {
  const id = clusterId();
  cloud.addCluster({ id, plan: 'ADVANCED', caPem: ca.pem, clientCa: { status: 'IS_SET', pem: bundle(ca) } });
  return id;
};

const since = () => slack.standin.calls.length;
const after_ = (n: number) => slack.standin.calls.slice(n);

/** What a person in Slack sees privately after `n`: ephemeral messages and response_url answers. */
async function privately(n: number, pattern: RegExp, what: string): Promise<RecordedCall> {
  return slack.standin.waitFor(() => after_(n).find((c) => (c.method === 'chat.postEphemeral' || c.method === 'response_url') && pattern.test(JSON.stringify(c.params))), 10_000, what);
}

describe('Slack and MCP on one PostgreSQL store', () => {
  test('a Slack-issued confirmation cannot be redeemed over MCP; audit_log never shows a pending id; nothing changes', async () => {
    const cluster = newCluster();
    let n = since();
    await slack.command(`cloud client-ca remove ${cluster}`, ALICE);
    const message = await slack.standin.waitFor(() => after_(n).find((c) => c.method === 'chat.update' && JSON.stringify(c.params).includes('crdb_tls_confirm')), 15_000, 'the confirmation');
    const id = /"value":"(cf_[^"]+)"/.exec(JSON.stringify(message.params))![1]!;
    n = since();
    await slack.click({ user: ALICE, actionId: 'crdb_tls_confirm', value: id, messageTs: String(message.params.ts) });
    await privately(n, /Four-eyes/, 'the four-eyes refusal');

    const audit = await mcp.call('audit_log', { limit: 50 });
    assert.ok(!audit.text.includes(id) && !JSON.stringify(audit.structured).includes(id), 'audit_log showed the pending id');
    assert.doesNotMatch(JSON.stringify(audit.structured), /cf_[A-Za-z0-9_-]{16,}/);
    const ref = (audit.structured!.events as Array<{ tool: string; confirmation_ref: string | null }>).find((e) => e.tool === 'remove_client_ca' && e.confirmation_ref)!.confirmation_ref!;

    for (const confirmationId of [id, ref]) {
      const tried = await mcp.call('remove_client_ca', { cluster_id: cluster, confirmation_id: confirmationId });
      assert.notEqual(tried.structured?.status, 'done', tried.text);
    }
    const byId = await mcp.call('remove_client_ca', { cluster_id: cluster, confirmation_id: id });
    assert.equal(byId.structured?.status, 'refused');
    assert.match(byId.text, /asked for in Slack/);
    assert.equal(cloud.writes().length, 0, 'a write reached the Cloud');
    assert.equal(cloud.clientCa(cluster).status, 'IS_SET');

    // Still Bob's to confirm in Slack: the refused attempts used nothing up.
    n = since();
    await slack.click({ user: BOB, actionId: 'crdb_tls_confirm', value: id, messageTs: String(message.params.ts) });
    await slack.standin.waitFor(() => after_(n).find((c) => c.method === 'chat.update' && /confirmed by <@U0BOB>/.test(JSON.stringify(c.params))), 30_000, 'done');
    assert.deepEqual(cloud.writes().map((w) => w.method), ['DELETE']);
  });

  test('an MCP-issued confirmation: not by the id alone, not by a Slack user the policy does not allow, not by a forged Confirm; approved by Bob, replay dropped, runs once', async () => {
    const cluster = newCluster();
    const writes = () => cloud.writes().filter((w) => w.path.includes(cluster));
    const pending = await mcp.call('remove_client_ca', { cluster_id: cluster });
    assert.equal(pending.structured?.status, 'confirmation_required', pending.text);
    const id = (pending.structured!.confirmation as { id: string }).id;
    const ref = /\/crdb-tls approve (ref_[0-9a-f]{16})/.exec(pending.text)![1]!;

    const alone = await mcp.call('remove_client_ca', { cluster_id: cluster, confirmation_id: id });
    assert.equal(alone.structured?.status, 'refused');
    assert.match(alone.text, /no person has approved/);

    // Mallory is no confirmer: neither the command nor a hand-made Approve click approves it.
    let n = since();
    await slack.command(`approve ${ref}`, MALLORY);
    await privately(n, /may not approve changes from Slack/, 'the refusal of the command');
    n = since();
    await post(slack.url, signed(SIGNING_SECRET, interactionBody(blockActionPayload({ user: MALLORY, channel: CHANNEL, messageTs: '1700000000.000100', actionId: 'crdb_tls_approve_mcp', value: ref, responseUrl: slack.standin.responseUrl() })), 'application/x-www-form-urlencoded'));
    await privately(n, /may not approve changes from Slack/, 'the refusal of the click');
    // A Slack Confirm button forged with the MCP id (Bob may confirm Slack requests): no Slack call waits under it.
    n = since();
    await slack.click({ user: BOB, actionId: 'crdb_tls_confirm', value: id, messageTs: '1700000000.000101' });
    await privately(n, /unknown here or expired/, 'the forged Confirm answer');
    const still = await mcp.call('remove_client_ca', { cluster_id: cluster, confirmation_id: id });
    assert.equal(still.structured?.status, 'refused');
    assert.deepEqual(writes(), []);

    // Bob: the command shows what will run, with an Approve button that carries the ref, not the id.
    n = since();
    await slack.command(`approve ${ref}`, BOB);
    const shown = await privately(n, /crdb_tls_approve_mcp/, 'the approval request');
    const shownText = JSON.stringify(shown.params);
    assert.match(shownText, /remove_client_ca/);
    assert.match(shownText, new RegExp(cluster));
    assert.ok(!shownText.includes(id), 'the id reached Slack');
    const click = signed(SIGNING_SECRET, interactionBody(blockActionPayload({ user: BOB, channel: CHANNEL, messageTs: '1700000000.000102', actionId: 'crdb_tls_approve_mcp', value: ref, responseUrl: slack.standin.responseUrl() })), 'application/x-www-form-urlencoded');
    n = since();
    assert.equal((await post(slack.url, click)).status, 200);
    await privately(n, /Approved: remove_client_ca/, 'the approval');
    // The same signed click again, inside Slack's window: dropped.
    const replay = await post(slack.url, click);
    assert.equal(replay.status, 200);
    assert.equal(replay.body, '');
    const approvals = (await slack.runtime.runner.store.recentAudit(500)).filter((e) => e.confirmation_id === id && e.event === 'approved');
    assert.equal(approvals.length, 1);
    assert.equal(approvals[0]!.confirmer, `slack:${BOB}`);
    assert.deepEqual(writes(), [], 'approving ran nothing by itself');

    const done = await mcp.call('remove_client_ca', { cluster_id: cluster, confirmation_id: id });
    assert.equal(done.structured?.status, 'done', done.text);
    const again = await mcp.call('remove_client_ca', { cluster_id: cluster, confirmation_id: id });
    assert.equal(again.structured?.status, 'refused');
    assert.deepEqual(writes().map((w) => w.method), ['DELETE']);
    const confirmed = (await slack.runtime.runner.store.recentAudit(500)).find((e) => e.confirmation_id === id && e.event === 'confirmed')!;
    assert.equal(confirmed.detail.channel, 'slack');
    assert.equal(confirmed.confirmer, `slack:${BOB}`);
    assert.equal(confirmed.detail.self_confirmed, false);
  });
});
