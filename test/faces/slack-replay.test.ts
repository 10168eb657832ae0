// Slack replays and clock skew (issue 13): a signed request posted again inside Slack's 5-minute
// window is answered once, and a request dated more than 5 minutes ahead is refused like a stale
// one (Bolt's own check refuses only the past). Real signed HTTP requests into the real app.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CHANNEL, SIGNING_SECRET, startSlackHarness, type SlackHarness } from '../support/slack-app.js';
import { post, signed, slashCommandBody } from '../support/slack-signing.js';

const ALICE = 'U0ALICE';
const PKIX = 'org.postgresql.util.PSQLException: SSL error: sun.security.validator.ValidatorException: PKIX path building failed';

describe('Slack: replayed and future-dated signed requests', () => {
  let h: SlackHarness;
  before(async () => {
    h = await startSlackHarness();
  });
  after(async () => h.close());

  const working = (from: number) => h.standin.calls.slice(from).filter((c) => c.method === 'chat.postMessage' && /working on it/.test(String(c.params.text)));
  const command = (text: string, timestamp?: number) => signed(SIGNING_SECRET, slashCommandBody({ text, user_id: ALICE, channel_id: CHANNEL, response_url: h.standin.responseUrl() }), 'application/x-www-form-urlencoded', timestamp);

  test('the same signed slash command posted twice is answered once', async () => {
    const from = h.standin.calls.length;
    const request = command(`diagnose ${PKIX} replay-1`);
    assert.equal((await post(h.url, request)).status, 200);
    await h.standin.waitFor(() => working(from)[0], 10_000, 'the first answer');
    const replay = await post(h.url, request);
    assert.equal(replay.status, 200, 'acknowledged, so that Slack does not retry');
    assert.equal(replay.body, '');
    // The replay was dropped before its acknowledgement came back; a fresh request after it is answered.
    await post(h.url, command(`diagnose ${PKIX} fresh-2`));
    await h.standin.waitFor(() => working(from)[1], 10_000, 'the fresh answer');
    assert.equal(working(from).length, 2, 'the replay was answered too');
  });

  test('a replayed `help` gets no answer at all, while the same text signed anew does', async () => {
    const request = command('help');
    const first = await post(h.url, request);
    assert.equal(first.status, 200);
    assert.match(first.body, /diagnose/, 'the help is the acknowledgement itself');
    const replay = await post(h.url, request);
    assert.equal(replay.status, 200);
    assert.equal(replay.body, '', 'the replay was answered');
    const fresh = await post(h.url, command('help', Math.floor(Date.now() / 1000) + 1));
    assert.match(fresh.body, /diagnose/);
  });

  test('a command dated 6 minutes ahead is refused 401 and nothing reaches Slack; 1 minute ahead (clock skew) is answered', async () => {
    const now = Math.floor(Date.now() / 1000);
    const from = h.standin.calls.length;
    const ahead = await post(h.url, command(`diagnose ${PKIX} future`, now + 360));
    assert.equal(ahead.status, 401);
    const stale = await post(h.url, command(`diagnose ${PKIX} stale`, now - 360));
    assert.equal(stale.status, 401, 'the past is refused the same way (Bolt)');
    const skewed = await post(h.url, command(`diagnose ${PKIX} skewed`, now + 60));
    assert.equal(skewed.status, 200);
    await h.standin.waitFor(() => working(from)[0], 10_000, 'the skewed request is answered');
    assert.equal(working(from).length, 1, 'the future-dated or stale request was answered');
  });
});
