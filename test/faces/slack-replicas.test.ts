// Several Slack replicas sharing one PostgreSQL store (DESIGN.md §4): Socket Mode, or a load
// balancer in front of the HTTP receiver, delivers a click to any replica, so the exact call waiting
// behind a confirmation must be readable on every one, and a confirmation clicked on several at
// once must run its action once. Two real app instances, one real TLS PostgreSQL (reached with a
// client certificate), one Slack stand-in. A replica on another host would not have the CSR file
// the first one wrote: the tests delete it before the click to be sure the store alone suffices.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openssl } from '../support/openssl.js';
import { startPostgresForStore, type TlsPostgres } from '../support/postgres.js';
import { BOT_TOKEN, startSlackHarness, type SlackHarness } from '../support/slack-app.js';
import { SlackStandin, type RecordedCall } from '../support/slack-standin.js';
import { describeSkip } from '../support/system-tools.js';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const CAROL = 'U0CAROL';

describe('Slack replicas sharing the PostgreSQL store', { skip: describeSkip('openssl') }, () => {
  let work: string;
  let issueDir: string;
  let server: TlsPostgres;
  let standin: SlackStandin;
  let a: SlackHarness;
  let b: SlackHarness;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-slack-replicas-'));
    const store = await startPostgresForStore(work);
    server = store.server;
    const certs = path.join(work, 'certs');
    issueDir = path.join(work, 'slack-issue');
    standin = await SlackStandin.start({ botToken: BOT_TOKEN });
    const env = {
      CRDB_TLS_DATABASE_URL: store.url,
      CRDB_TLS_SLACK_CONFIRMERS: `${ALICE},${BOB},${CAROL}`,
      CRDB_TLS_SLACK_ISSUERS: `${ALICE}:root`,
      CRDB_TLS_SLACK_CA_KEY: path.join(work, 'safe', 'ca.key'),
      CRDB_TLS_SLACK_CERTS_DIR: certs,
      // The same path on every replica (slack/README.md); each host has its own disk there.
      CRDB_TLS_SLACK_ISSUE_DIR: issueDir,
    };
    // Started at once: both create (or find) the schema.
    [a, b] = await Promise.all([startSlackHarness({ work, shared: standin, env }), startSlackHarness({ work, shared: standin, env })]);
  });

  after(async () => {
    if (standin) {
      assert.deepEqual(standin.secretsSent(), []);
      assert.deepEqual(standin.refusedCalls(), []);
    }
    await Promise.all([a?.close(), b?.close()]);
    await standin?.close();
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  async function askOnA(): Promise<{ id: string; ts: string; key: string }> {
    const key = path.join(work, `root.${Math.random().toString(36).slice(2)}.key`);
    const csr = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-subj', '/O=Cockroach/CN=root']);
    const since = standin.calls.length;
    await a.command(`cert create-client\n${csr}`, ALICE);
    const message = await standin.waitFor(() => standin.calls.slice(since).find((c) => c.method === 'chat.update' && JSON.stringify(c.params).includes('crdb_tls_confirm')), 15_000, 'the confirmation message');
    const id = /"value":"(cf_[^"]+)"/.exec(JSON.stringify(message.params))![1]!;
    // Replica B runs on another host: none of A's files are there.
    for (const file of fs.readdirSync(issueDir)) fs.rmSync(path.join(issueDir, file));
    return { id, ts: String(message.params.ts), key };
  }

  const audit = async (id: string) => (await b.runtime.runner.store.recentAudit(1000)).filter((e) => e.confirmation_id === id);
  const doneUpdates = (ts: string, since: number): RecordedCall[] => standin.calls.slice(since).filter((c) => c.method === 'chat.update' && c.params.ts === ts && /Done/.test(JSON.stringify(c.params)));

  test('a Confirm that reaches the other replica runs the exact call there', async () => {
    const asked = await askOnA();
    const since = standin.calls.length;
    await b.click({ user: BOB, actionId: 'crdb_tls_confirm', value: asked.id, messageTs: asked.ts });
    const done = await standin.waitFor(() => doneUpdates(asked.ts, since)[0], 20_000, 'done on replica B');
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(JSON.stringify(done.params.blocks).replace(/\\n/g, '\n'))![0];
    const file = path.join(work, 'issued-on-b.crt');
    fs.writeFileSync(file, `${pem}\n`);
    assert.match(openssl(['verify', '-CAfile', path.join(work, 'certs', 'ca.crt'), file]), /: OK/);
    assert.equal(openssl(['x509', '-noout', '-pubkey', '-in', file]), openssl(['pkey', '-pubout', '-in', asked.key]));
    const events = await audit(asked.id);
    const finished = events.filter((e) => e.event === 'done');
    assert.equal(finished.length, 1);
    assert.equal(finished[0]!.requester, `slack:${ALICE}`);
    assert.equal(finished[0]!.confirmer, `slack:${BOB}`);
  });

  test('clicks on both replicas at once run the action once', async () => {
    const asked = await askOnA();
    const since = standin.calls.length;
    const clicks = [BOB, CAROL, BOB, CAROL, BOB, CAROL].map((user, i) => (i % 2 === 0 ? a : b).click({ user, actionId: 'crdb_tls_confirm', value: asked.id, messageTs: asked.ts }));
    assert.ok((await Promise.all(clicks)).every((answer) => answer.status === 200));
    await standin.waitFor(() => doneUpdates(asked.ts, since)[0], 20_000, 'one done');
    const notes = await standin.waitFor(() => {
      const found = standin.calls.slice(since).filter((c) => c.method === 'chat.postEphemeral');
      return found.length === 5 ? found : undefined;
    }, 20_000, 'five "already used" notes');
    for (const note of notes) assert.match(String(note.params.text), /already used/);
    assert.equal(doneUpdates(asked.ts, since).length, 1);
    assert.equal((await audit(asked.id)).filter((e) => e.event === 'done').length, 1);
  });

  test('a four-eyes refusal on one replica is in the shared audit trail and leaves the request usable on the other', async () => {
    const asked = await askOnA();
    const since = standin.calls.length;
    await b.click({ user: ALICE, actionId: 'crdb_tls_confirm', value: asked.id, messageTs: asked.ts });
    await standin.waitFor(() => standin.calls.slice(since).find((c) => c.method === 'chat.postEphemeral' && /Four-eyes/.test(String(c.params.text))), 10_000, 'the refusal');
    const refusal = (await a.runtime.runner.store.recentAudit(1000)).find((e) => e.confirmation_id === asked.id && e.event === 'refused');
    assert.equal(refusal?.confirmer, `slack:${ALICE}`);
    await a.click({ user: CAROL, actionId: 'crdb_tls_confirm', value: asked.id, messageTs: asked.ts });
    await standin.waitFor(() => doneUpdates(asked.ts, since)[0], 20_000, 'done by Carol on replica A');
  });

  test('Cancel on one replica holds on the other: a later Confirm there does nothing', async () => {
    const asked = await askOnA();
    const since = standin.calls.length;
    await a.click({ user: BOB, actionId: 'crdb_tls_cancel', value: asked.id, messageTs: asked.ts });
    await standin.waitFor(() => standin.calls.slice(since).find((c) => c.method === 'chat.update' && c.params.ts === asked.ts && /cancelled by <@U0BOB>/.test(JSON.stringify(c.params))), 10_000, 'cancelled');
    const later = standin.calls.length;
    await b.click({ user: CAROL, actionId: 'crdb_tls_confirm', value: asked.id, messageTs: asked.ts });
    await standin.waitFor(() => standin.calls.slice(later).find((c) => c.method === 'chat.postEphemeral' && /declined/.test(String(c.params.text))), 10_000, 'declined');
    assert.equal(doneUpdates(asked.ts, since).length, 0);
    const events = await audit(asked.id);
    assert.ok(events.some((e) => e.event === 'declined' && e.confirmer === `slack:${BOB}`));
    assert.ok(!events.some((e) => e.event === 'done'));
    // A second Cancel finds nothing to cancel (the store says the confirmation is no longer pending).
    const again = standin.calls.length;
    await b.click({ user: BOB, actionId: 'crdb_tls_cancel', value: asked.id, messageTs: asked.ts });
    await standin.waitFor(() => standin.calls.slice(again).find((c) => c.method === 'chat.postEphemeral' && /Nothing to cancel/.test(String(c.params.text))), 10_000, 'nothing to cancel');
  });
});
