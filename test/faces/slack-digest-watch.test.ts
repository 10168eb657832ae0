// The Slack face's unprompted parts: the opt-in expiry digest (what expires within the window, to
// one channel, with a button to make the rotation plan) and the quiet suggestion in watched
// channels (an ephemeral note to whoever pasted something that looks like a TLS error). Expiry
// is judged from certificates issued here with known lifetimes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCliOk } from '../support/cli.js';
import { startSlackHarness, type SlackHarness } from '../support/slack-app.js';

const OPS = 'C0OPS';

describe('the expiry digest', () => {
  let work: string;
  let certs: string;

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-slack-digest-'));
    fs.mkdirSync(path.join(work, 'safe'), { mode: 0o700 });
    certs = path.join(work, 'certs');
    const cli = (...args: string[]) => runCliOk(['cert', ...args, '--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--yes'], { cwd: work });
    cli('create-ca');
    cli('create-client', 'bob', '--lifetime', '240h'); // 10 days
    cli('create-client', 'carol'); // 5 years
  });

  after(() => fs.rmSync(work, { recursive: true, force: true }));

  async function withDigest(env: NodeJS.ProcessEnv, check: (h: SlackHarness) => Promise<void>): Promise<void> {
    const h = await startSlackHarness({ work, env: { CRDB_TLS_SLACK_DIGEST_CHANNEL: OPS, CRDB_TLS_SLACK_DIGEST_CERTS_DIRS: certs, ...env } });
    try {
      await check(h);
      assert.deepEqual(h.standin.secretsSent(), []);
      assert.deepEqual(h.standin.refusedCalls(), []);
    } finally {
      await h.close();
    }
  }

  test('posts what expires within the window as a checklist, soonest first, with a button for the rotation plan', async () => {
    await withDigest({ CRDB_TLS_SLACK_DIGEST_WINDOW: '30d' }, async (h) => {
      const result = await h.app.digestNow();
      assert.deepEqual(result, { posted: true, expiring: 1, errors: 0 });
      const post = h.standin.callsOf('chat.postMessage').find((c) => c.params.channel === OPS)!;
      const text = JSON.stringify(post.params.blocks);
      assert.match(text, /expiring within 30d/);
      assert.match(text, /☐ 1\. client\.bob\.crt \(Client\) — (9|10) days left/);
      assert.ok(!text.includes('client.carol.crt') && !text.includes('ca.crt ('), 'certificates with years left are not listed');
      const button = (post.params.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string; text: { text: string } }> }>)
        .filter((b) => b.type === 'actions').flatMap((b) => b.elements!).find((e) => e.text.text === 'Make the rotation plan');
      assert.ok(button);
      // The button makes the plan from the same sources, in the digest's thread, as a checklist.
      const since = h.standin.calls.length;
      await h.click({ user: 'U0ALICE', actionId: button!.action_id, value: button!.value, messageTs: String(post.result!.ts), channel: OPS });
      const started = await h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => c.method === 'chat.postMessage'), 10_000, 'the plan message');
      assert.equal(started.params.thread_ts, post.result!.ts);
      const plan = await h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => c.method === 'chat.update' && c.params.ts === started.result!.ts), 20_000, 'the plan');
      const planText = JSON.stringify(plan.params.blocks);
      assert.match(planText, /Rotation plan/);
      assert.match(planText, /☐ \*1\.\*/, 'steps are a checklist');
      assert.match(planText, /bob/, 'the plan is about the certificate that is due');
    });
  });

  test('stays quiet when nothing expires within the window', async () => {
    await withDigest({ CRDB_TLS_SLACK_DIGEST_WINDOW: '1d' }, async (h) => {
      assert.deepEqual(await h.app.digestNow(), { posted: false, expiring: 0, errors: 0 });
      assert.equal(h.standin.callsOf('chat.postMessage').length, 0);
    });
  });

  test('says which source it could not read instead of staying quiet', async () => {
    const missing = path.join(work, 'no-such-certs');
    await withDigest({ CRDB_TLS_SLACK_DIGEST_WINDOW: '1d', CRDB_TLS_SLACK_DIGEST_CERTS_DIRS: `${certs}${path.delimiter}${missing}` }, async (h) => {
      const result = await h.app.digestNow();
      assert.equal(result?.posted, true);
      assert.equal(result?.errors, 1);
      assert.match(JSON.stringify(h.standin.callsOf('chat.postMessage')[0]!.params.blocks), new RegExp(`Could not read.*no-such-certs`));
    });
  });

  test('a schedule that does not parse stops the start', async () => {
    await assert.rejects(startSlackHarness({ work, env: { CRDB_TLS_SLACK_DIGEST_CHANNEL: OPS, CRDB_TLS_SLACK_DIGEST_SCHEDULE: 'at noon' } }), /CRDB_TLS_SLACK_DIGEST_SCHEDULE="at noon" is not a schedule/);
  });
});

describe('quiet suggestions in watched channels', () => {
  let h: SlackHarness;

  before(async () => {
    h = await startSlackHarness({ env: { CRDB_TLS_SLACK_WATCH_CHANNELS: 'C0HELP' } });
  });

  after(async () => {
    assert.deepEqual(h.standin.secretsSent(), []);
    assert.deepEqual(h.standin.refusedCalls(), []);
    await h.close();
  });

  const message = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'message', channel: 'C0HELP', user: 'U0CAROL', text, ts: `17000003${Math.floor(Math.random() * 1e6)}.000100`, ...extra });

  test('a TLS error pasted in a watched channel gets a note only its author sees, and its button diagnoses it in the thread', async () => {
    const since = h.standin.calls.length;
    const event = message('deploy failed: x509: certificate signed by unknown authority (possibly because of "crypto/rsa: verification error" while trying to verify candidate authority certificate "Cockroach CA")');
    await h.event(event);
    const note = await h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => c.method === 'chat.postEphemeral'), 10_000, 'the suggestion');
    assert.equal(note.params.user, 'U0CAROL');
    assert.equal(note.params.channel, 'C0HELP');
    assert.match(String(note.params.text), /untrusted_server_ca/);
    assert.ok(!h.standin.calls.slice(since).some((c) => c.method === 'chat.postMessage'), 'nothing in the channel for everyone');
    const button = (note.params.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions')!.elements![0]!;
    const clicked = h.standin.calls.length;
    await h.click({ user: 'U0CAROL', actionId: button.action_id, value: button.value, messageTs: String(event.ts) });
    const posted = await h.standin.waitFor(() => h.standin.calls.slice(clicked).find((c) => c.method === 'chat.postMessage'), 10_000, 'the diagnosis');
    assert.equal(posted.params.thread_ts, event.ts);
    await h.standin.waitFor(() => h.standin.calls.slice(clicked).find((c) => c.method === 'response_url' && c.params.delete_original === true), 10_000, 'the note removed');
    const diagnosis = await h.standin.waitFor(() => h.standin.calls.slice(clicked).find((c) => c.method === 'chat.update' && c.params.ts === posted.result!.ts), 10_000, 'the diagnosis');
    assert.match(JSON.stringify(diagnosis.params.blocks), /untrusted_server_ca/);
  });

  test('ordinary chat, bots and unwatched channels get nothing', async () => {
    const since = h.standin.calls.length;
    await h.event(message('lunch at noon? the ssl talk is at 2'));
    await h.event(message('x509: certificate signed by unknown authority', { channel: 'C0OTHER' }));
    await h.event(message('x509: certificate signed by unknown authority', { bot_id: 'B0OTHER' }));
    await h.event(message('x509: certificate signed by unknown authority', { subtype: 'message_changed' }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(h.standin.calls.slice(since).map((c) => `${c.method} ${JSON.stringify(c.params).slice(0, 300)}`), []);
  });
});
