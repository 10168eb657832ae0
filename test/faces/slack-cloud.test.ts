// CockroachDB Cloud's Client CA from Slack: a change that drops a CA (or removes the Client CA) is
// high severity and waits for someone else's Confirm; a change that keeps every CA is medium, which
// four-eyes does not cover. While the Cloud settles the change (PENDING), the confirmation message
// shows progress. The Cloud API is the local stand-in of its published contract (reference §4);
// the API key must appear in no Slack message.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CloudApiStandin } from '../support/cloud-api-standin.js';
import { bundle, clusterId, makeCa, type TestCa } from '../support/cloud-pki.js';
import { startSlackHarness, type SlackHarness } from '../support/slack-app.js';
import type { RecordedCall } from '../support/slack-standin.js';

const API_KEY = 'CCDB1_slackFaceSecret_3Jf8Kd1Lq6Wz9Xc2Vb5Nm4';
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';

describe('the Cloud Client CA from Slack', () => {
  let cloud: CloudApiStandin;
  let h: SlackHarness;
  let oldCa: TestCa;
  let newCa: TestCa;

  before(async () => {
    cloud = await CloudApiStandin.start(API_KEY);
    oldCa = makeCa('Old Client CA');
    newCa = makeCa('New Client CA');
    h = await startSlackHarness({ env: { COCKROACH_SERVER: cloud.url, COCKROACH_API_KEY: API_KEY, CRDB_TLS_SLACK_CONFIRMERS: `${ALICE},${BOB}` } });
  });

  after(async () => {
    for (const sent of h.standin.everythingSent()) assert.ok(!sent.includes(API_KEY), 'the Cloud API key reached Slack');
    assert.deepEqual(h.standin.secretsSent(), []);
    assert.deepEqual(h.standin.refusedCalls(), []);
    await h.close();
    await cloud.close();
  });

  async function ask(text: string): Promise<{ message: RecordedCall; id: string; ts: string }> {
    const since = h.standin.calls.length;
    await h.command(text, ALICE);
    const message = await h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => c.method === 'chat.update' && JSON.stringify(c.params).includes('crdb_tls_confirm')), 15_000, 'the confirmation');
    return { message, id: /"value":"(cf_[^"]+)"/.exec(JSON.stringify(message.params))![1]!, ts: String(message.params.ts) };
  }

  const updatesOf = (ts: string, since: number) => h.standin.calls.slice(since).filter((c) => c.method === 'chat.update' && c.params.ts === ts);

  test('removing the Client CA waits for someone else; while the Cloud settles it the message shows progress; one DELETE is sent', async () => {
    const id = clusterId();
    cloud.addCluster({ id, plan: 'ADVANCED', caPem: oldCa.pem, clientCa: { status: 'IS_SET', pem: bundle(oldCa) }, pendingPolls: 5 });
    const asked = await ask(`cloud client-ca remove ${id}`);
    assert.match(JSON.stringify(asked.message.params.blocks), /high/);
    assert.equal(cloud.writes().length, 0, 'nothing sent to the Cloud before the confirmation');
    let since = h.standin.calls.length;
    await h.click({ user: ALICE, actionId: 'crdb_tls_confirm', value: asked.id, messageTs: asked.ts });
    await h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => c.method === 'chat.postEphemeral' && /Four-eyes/.test(String(c.params.text))), 10_000, 'four-eyes refusal');
    assert.equal(cloud.writes().length, 0);
    since = h.standin.calls.length;
    await h.click({ user: BOB, actionId: 'crdb_tls_confirm', value: asked.id, messageTs: asked.ts });
    const done = await h.standin.waitFor(() => updatesOf(asked.ts, since).find((c) => /Done/.test(JSON.stringify(c.params))), 30_000, 'done');
    const progress = updatesOf(asked.ts, since).filter((c) => c.at < done.at && /⏳/.test(JSON.stringify(c.params)));
    assert.ok(progress.length >= 1, 'at least one progress update before the end');
    assert.match(JSON.stringify(progress[0]!.params), /Client CA of cluster/);
    assert.match(JSON.stringify(done.params.blocks), /confirmed by <@U0BOB>/);
    assert.deepEqual(cloud.writes().map((r) => r.method), ['DELETE']);
    assert.equal(cloud.clientCa(id).status, 'NOT_SET');
    const events = (await h.runtime.runner.store.recentAudit(1000)).filter((e) => e.confirmation_id === asked.id && e.event === 'done');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.requester, `slack:${ALICE}`);
    assert.equal(events[0]!.confirmer, `slack:${BOB}`);
  });

  test('a bundle that keeps every CA is medium: four-eyes does not apply, the requester (a confirmer) may confirm it', async () => {
    const id = clusterId();
    cloud.addCluster({ id, plan: 'ADVANCED', caPem: oldCa.pem, clientCa: { status: 'IS_SET', pem: bundle(oldCa) }, pendingPolls: 1 });
    const before = cloud.writes().length;
    const pasted = bundle(oldCa, newCa).replace(/\n/g, ' ');
    const asked = await ask(`cloud client-ca set ${id} ${pasted}`);
    assert.match(JSON.stringify(asked.message.params.blocks), /severity \*medium\*/);
    assert.ok(!JSON.stringify(asked.message.params.blocks).includes('Four-eyes'));
    const since = h.standin.calls.length;
    await h.click({ user: ALICE, actionId: 'crdb_tls_confirm', value: asked.id, messageTs: asked.ts });
    await h.standin.waitFor(() => updatesOf(asked.ts, since).find((c) => /confirmed by <@U0ALICE>/.test(JSON.stringify(c.params))), 30_000, 'done');
    assert.deepEqual(cloud.writes().slice(before).map((r) => r.method), ['PATCH']);
    assert.ok(cloud.clientCa(id).pem.includes(newCa.pem.split('\n')[1]!));
  });

  test('a dry run from Slack shows the impact and sends nothing', async () => {
    const id = clusterId();
    cloud.addCluster({ id, plan: 'ADVANCED', caPem: oldCa.pem, clientCa: { status: 'IS_SET', pem: bundle(oldCa) } });
    const before = cloud.writes().length;
    const since = h.standin.calls.length;
    await h.command(`cloud client-ca remove ${id} --dry-run`, ALICE);
    const answer = await h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => c.method === 'chat.update' && /Dry run/.test(JSON.stringify(c.params))), 15_000, 'the dry run');
    assert.match(JSON.stringify(answer.params.blocks), /nothing was changed/);
    assert.equal(cloud.writes().length, before);
  });
});
