// The Slack face end to end over HTTP (DESIGN.md §7): the real Bolt app, started by the same
// function `crdb-tls slack` uses, receives requests signed exactly as Slack signs them, and talks to
// a local stand-in for Slack's Web API that records every call. Expected diagnosis codes come from
// shared/diagnosis-codes.md for error texts quoted in reference §6; Block Kit limits are checked by
// the stand-in against Slack's documented numbers, not the app's own constants.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { catalog } from '../../tools/catalog.js';
import { runCliOk } from '../support/cli.js';
import { CHANNEL, SIGNING_SECRET, startSlackHarness, type SlackHarness } from '../support/slack-app.js';
import { post, signed, slashCommandBody } from '../support/slack-signing.js';
import type { RecordedCall } from '../support/slack-standin.js';
import { closedPort } from '../support/tls-faults.js';

const ALICE = 'U0ALICE';
const PKIX = 'org.postgresql.util.PSQLException: SSL error: sun.security.validator.ValidatorException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target';
/** A libpq host name error for a server on this machine: a probe it leads to stays on the loopback. */
const hostnameError = (port: number) => `psql: error: connection to server at "127.0.0.1", port ${port} failed: server certificate for "node1.internal" does not match host name "localhost"`;

type Block = { type: string; text?: { text: string }; elements?: Array<{ text?: string | { text: string }; action_id?: string; value?: string }> };

const blocksOf = (call: RecordedCall) => (call.params.blocks ?? []) as Block[];
const allText = (call: RecordedCall) => JSON.stringify(call.params);

/** The final version of the answer that began with the "working on it" message `ts`. */
function finalVersion(h: SlackHarness, ts: string): RecordedCall {
  const versions = h.versionsOf(ts);
  return versions[versions.length - 1]!;
}

/** Waits for the first message the app posts after `since` calls, and its last update. */
async function answerAfter(h: SlackHarness, since: number, predicate: (call: RecordedCall) => boolean = () => true): Promise<{ first: RecordedCall; last: RecordedCall }> {
  const first = await h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => c.method === 'chat.postMessage' && c.result?.ok === true), 10_000, 'the first message');
  const ts = String(first.result!.ts);
  const last = await h.standin.waitFor(() => {
    const v = finalVersion(h, ts);
    return v.method === 'chat.update' && predicate(v) ? v : undefined;
  }, 15_000, 'the answer replacing the first message');
  return { first, last };
}

describe('Slack face over HTTP', () => {
  let h: SlackHarness;
  let work: string;

  before(async () => {
    h = await startSlackHarness({ standin: { notInChannel: ['C0PRIVATE'] }, env: { CRDB_TLS_SLACK_NETWORK_USERS: ALICE } });
    work = h.work;
  });

  after(async () => {
    // Nothing any test sent may break Slack's limits or carry a key (DESIGN.md §5).
    assert.deepEqual(h.standin.refusedCalls(['not_in_channel']), [], 'Slack would have refused these calls');
    assert.deepEqual(h.standin.secretsSent(), [], 'a private key or key parameter was sent to Slack');
    await h.close();
  });

  test('a slash command is acknowledged at once, and the diagnosis replaces the "working" message', async () => {
    const since = h.standin.calls.length;
    const { answer } = await h.command(`diagnose ${PKIX}`, ALICE);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, '', 'the acknowledgement is empty: the answer comes as a message');
    // "At once" is the empty body: the ack does not wait for the diagnosis. Its speed against Slack's
    // 3 s is bench/slack-ack.ts's row, not a threshold here.
    const { first, last } = await answerAfter(h, since);
    assert.equal(first.params.channel, CHANNEL);
    assert.match(String(first.params.text), /working on it/);
    assert.ok(first.at >= h.standin.calls[since]!.at);
    const blocks = blocksOf(last);
    const head = blocks[0]!;
    assert.equal(head.type, 'header');
    // diagnosis-codes.md: "PKIX path building failed" → untrusted_server_ca.
    assert.match(head.text!.text, /untrusted_server_ca/);
    assert.match(allText(last), /confidence \*0\.\d\d\*/);
    assert.match(allText(last), /java/i, 'the detected client is named');
    const steps = blocks.filter((b) => b.type === 'section' && /^\*\d+\.\*/.test(b.text!.text));
    assert.ok(steps.length >= 2, 'numbered fix steps');
    assert.deepEqual(steps.map((b) => Number(/^\*(\d+)\.\*/.exec(b.text!.text)![1])), steps.map((_, i) => i + 1));
    assert.ok(steps.some((b) => b.text!.text.includes('```')), 'a step carries a code block');
  });

  test('next-tool buttons carry only what can run from Slack, and "Probe the server" runs probe_server in the thread', async () => {
    const port = await closedPort();
    const since = h.standin.calls.length;
    await h.command(`diagnose ${hostnameError(port)}`, ALICE);
    const { last } = await answerAfter(h, since);
    // diagnosis-codes.md: "server certificate for X does not match host name Y" → hostname_mismatch.
    assert.match(blocksOf(last)[0]!.text!.text, /hostname_mismatch/);
    const buttons = blocksOf(last).filter((b) => b.type === 'actions').flatMap((b) => b.elements!);
    const probe = buttons.find((b) => (b.text as { text: string }).text === 'Probe the server');
    assert.ok(probe, `a Probe the server button (buttons: ${buttons.map((b) => JSON.stringify(b.text)).join(', ')})`);
    const value = JSON.parse(probe!.value!) as { tool: string; arguments: Record<string, unknown> };
    assert.equal(value.tool, 'probe_server');
    assert.ok(['127.0.0.1', 'localhost'].includes(String(value.arguments.host)), `probes the server of the error, got ${JSON.stringify(value.arguments)}`);
    assert.equal(value.arguments.port, port);
    assert.ok(!('ca' in value.arguments), 'a path on the asker\'s machine is not carried to the app\'s host');
    // The probe itself: nothing listens on that loopback port, so the tool reports the refusal, in the thread.
    const clickAt = h.standin.calls.length;
    const click = await h.click({ user: ALICE, actionId: probe!.action_id!, value: probe!.value!, messageTs: String(last.params.ts) });
    assert.equal(click.status, 200);
    const inThread = await h.standin.waitFor(() => h.standin.calls.slice(clickAt).find((c) => c.method === 'chat.postMessage' && c.params.thread_ts === last.params.ts), 10_000, 'the probe answer in the thread');
    const final = await h.standin.waitFor(() => {
      const v = finalVersion(h, String(inThread.result!.ts));
      return v.method === 'chat.update' ? v : undefined;
    }, 20_000, 'the probe result');
    assert.match(allText(final), new RegExp(`${port}`));
  });

  test('a button cannot make the app run a tool that changes things', async () => {
    const since = h.standin.calls.length;
    const value = JSON.stringify({ tool: 'create_ca', arguments: { certs_dir: 'certs', ca_key: 'safe/ca.key' } });
    await h.click({ user: ALICE, actionId: 'crdb_tls_next:0:create_ca', value, messageTs: '1700000000.000001' });
    const refused = await h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => c.method === 'chat.postEphemeral' || c.method === 'response_url'), 10_000, 'the refusal');
    assert.match(allText(refused), /cannot run from a button/);
    assert.ok(!fs.existsSync(path.join(work, 'certs')), 'no certs dir was created');
  });

  test('a request with a bad signature is refused with 401 and nothing reaches Slack', async () => {
    const since = h.standin.calls.length;
    const body = slashCommandBody({ text: 'diagnose x509: certificate signed by unknown authority', user_id: ALICE, channel_id: CHANNEL, response_url: h.standin.responseUrl() });
    const forged = signed('not-the-signing-secret-0123456789', body, 'application/x-www-form-urlencoded');
    assert.equal((await post(h.url, forged)).status, 401);
    const tampered = signed(SIGNING_SECRET, body, 'application/x-www-form-urlencoded');
    assert.equal((await post(h.url, { ...tampered, body: body.replace('diagnose', 'audit') })).status, 401, 'a body changed after signing');
    const unsigned = { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    assert.equal((await post(h.url, unsigned)).status, 401);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // An answer to a new request starts with a post (or the response_url); a chat.update can only
    // be an earlier test's message still settling (the probe's last progress), not these requests.
    assert.deepEqual(h.standin.calls.slice(since).filter((c) => c.method !== 'chat.update').map((c) => c.method), []);
    assert.ok(!h.standin.calls.slice(since).some((c) => JSON.stringify(c.params).includes('certificate signed by unknown authority')), 'nothing about the forged request reached Slack');
  });

  test('a request signed more than five minutes ago is refused (replay)', async () => {
    const since = h.standin.calls.length;
    const body = slashCommandBody({ text: 'help', user_id: ALICE, channel_id: CHANNEL, response_url: h.standin.responseUrl() });
    const old = signed(SIGNING_SECRET, body, 'application/x-www-form-urlencoded', Math.floor(Date.now() / 1000) - 6 * 60);
    const answer = await post(h.url, old);
    assert.equal(answer.status, 401);
    assert.ok(!answer.body.includes('crdb-tls'), 'no help was given');
    const fresh = signed(SIGNING_SECRET, body, 'application/x-www-form-urlencoded');
    assert.equal((await post(h.url, fresh)).status, 200, 'the same request signed now is accepted');
    assert.deepEqual(h.standin.calls.slice(since).map((c) => c.method), []);
  });

  test('help is answered in the acknowledgement itself, to the asker alone', async () => {
    const since = h.standin.calls.length;
    const { answer } = await h.command('help', ALICE);
    assert.equal(answer.status, 200);
    const body = JSON.parse(answer.body) as { response_type: string; blocks: Block[] };
    assert.equal(body.response_type, 'ephemeral');
    const text = JSON.stringify(body.blocks);
    for (const verb of ['diagnose', 'probe', 'rotate plan', 'rotate check', 'changefeed-uri decode', 'cloud ca download', 'cloud client-ca', 'audit']) assert.ok(text.includes(verb), verb);
    assert.ok(!text.includes('not available yet'), 'every tool is in this build');
    assert.deepEqual(h.standin.calls.slice(since).map((c) => c.method), [], 'nothing posted in the channel');
  });

  test('a usage mistake is answered at once with the usage line', async () => {
    const { answer } = await h.command('probe', ALICE);
    const body = JSON.parse(answer.body) as { text: string };
    assert.match(body.text, /host:port/);
    assert.match(body.text, /probe <host\[:port\]>/);
  });

  test('a mention with pasted text is diagnosed in the thread of that message', async () => {
    const since = h.standin.calls.length;
    const ts = '1700000100.000200';
    const answer = await h.event({ type: 'app_mention', user: ALICE, text: `<@U0BOT> our Node app says: Error: self-signed certificate in certificate chain`, ts, channel: CHANNEL, event_ts: ts });
    assert.equal(answer.status, 200);
    const { first, last } = await answerAfter(h, since);
    assert.equal(first.params.thread_ts, ts);
    // diagnosis-codes.md: "self-signed certificate in chain" → untrusted_server_ca.
    assert.match(blocksOf(last)[0]!.text!.text, /untrusted_server_ca/);
  });

  test('a mention that Slack retries is answered once', async () => {
    const since = h.standin.calls.length;
    const ts = '1700000100.000300';
    const event = { type: 'app_mention', user: ALICE, text: '<@U0BOT> tls: bad certificate', ts, channel: CHANNEL, event_ts: ts };
    await h.event(event, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(h.standin.calls.slice(since).filter((c) => c.method === 'chat.postMessage').length, 0);
  });

  test('the message shortcut diagnoses the message it was used on, in its thread', async () => {
    const since = h.standin.calls.length;
    const message = { ts: '1700000200.000100', user: 'U0CAROL', text: 'prod is down: pq: SSL is not enabled on the server' };
    const { answer } = await h.shortcut({ user: ALICE, message });
    assert.equal(answer.status, 200);
    const { first, last } = await answerAfter(h, since);
    assert.equal(first.params.thread_ts, message.ts);
    // reference §6.1: lib/pq "SSL is not enabled on the server" → an insecure node: server_tls_disabled.
    assert.match(blocksOf(last)[0]!.text!.text, /server_tls_disabled/);
  });

  test('where the app may not post, the answer goes to the asker alone through response_url', async () => {
    const before = h.standin.callsOf('response_url').length;
    await h.command('diagnose x509: certificate has expired or is not yet valid', ALICE, 'C0PRIVATE');
    const whispered = await h.standin.waitFor(() => h.standin.callsOf('response_url').slice(before).find((c) => c.params.response_type === 'ephemeral' && /server_cert_expired|cert_not_yet_valid/.test(allText(c))), 10_000, 'the ephemeral answer');
    assert.ok(blocksOf(whispered).length > 0);
  });

  test('a sink URI with a private key is explained with the key redacted, and the asker is told the key is compromised', async () => {
    const key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const uri = `kafka://broker.example.com:9093?tls_enabled=true&client_key=${encodeURIComponent(Buffer.from(key).toString('base64'))}&sasl_password=hunter2-secret&topic_name=orders`;
    const since = h.standin.calls.length;
    await h.command(`changefeed-uri decode ${uri}`, ALICE);
    const { last } = await answerAfter(h, since);
    const text = allText(last);
    assert.match(text, /broker\.example\.com/);
    assert.match(text, /client_key/);
    assert.ok(!text.includes('hunter2-secret'));
    assert.ok(!text.includes(Buffer.from(key).toString('base64').slice(0, 40)));
    const warning = await h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => /posted a private key/.test(allText(c))), 10_000, 'the warning');
    assert.ok(['response_url', 'chat.postEphemeral'].includes(warning.method), 'the warning goes to the asker alone');
  });

  test('an answer too long for one message is attached as a file in the thread, and the message stays within limits', async () => {
    // 150 client certificates (copies of one): a listing far longer than a message can hold.
    const certs = path.join(work, 'big-certs');
    runCliOk(['cert', 'create-ca', '--certs-dir', certs, '--ca-key', path.join(work, 'big-ca.key'), '--yes'], { cwd: work });
    runCliOk(['cert', 'create-client', 'template', '--certs-dir', certs, '--ca-key', path.join(work, 'big-ca.key'), '--yes'], { cwd: work });
    for (let i = 0; i < 150; i++) {
      fs.copyFileSync(path.join(certs, 'client.template.crt'), path.join(certs, `client.user${i}.crt`));
      fs.copyFileSync(path.join(certs, 'client.template.key'), path.join(certs, `client.user${i}.key`));
    }
    const since = h.standin.calls.length;
    await h.command(`cert list --certs-dir ${certs}`, ALICE);
    const complete = await h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => c.method === 'files.completeUploadExternal'), 20_000, 'the file upload');
    const requested = h.standin.calls.slice(since).find((c) => c.method === 'files.getUploadURLExternal')!;
    assert.ok(requested, 'files.getUploadURLExternal first');
    const fileId = (complete.params.files as Array<{ id: string }>)[0]!.id;
    const content = h.standin.uploads.get(fileId)!;
    for (const i of [0, 75, 149]) assert.ok(content.includes(`client.user${i}.crt`), `user${i} is in the file`);
    const first = h.standin.calls.slice(since).find((c) => c.method === 'chat.postMessage')!;
    assert.equal(complete.params.thread_ts, first.result!.ts, 'the file is in the answer\'s thread');
    const last = finalVersion(h, String(first.result!.ts));
    assert.match(allText(last), /attached in the thread/);
    assert.ok(allText(last).length < 13_000);
  });
});

describe('Slack face with parts of the catalog missing or switched off', () => {
  test('a subcommand whose tool is not in this build says so by name, in help too, and runs nothing', async () => {
    const h = await startSlackHarness({ catalog: catalog.filter((t) => t.name !== 'plan_rotation') });
    try {
      const help = JSON.parse((await h.command('help', ALICE)).answer.body) as { blocks: unknown[] };
      assert.match(JSON.stringify(help.blocks), /rotate plan[^•]*not available yet/);
      await h.command('rotate plan --certs-dir certs', ALICE);
      const whispered = await h.standin.waitFor(() => h.standin.callsOf('response_url').find((c) => JSON.stringify(c.params).includes('not available yet')), 10_000, 'the answer');
      assert.equal(whispered.params.response_type, 'ephemeral');
      assert.match(allText(whispered), /plan_rotation/);
      assert.equal(h.standin.callsOf('chat.postMessage').length, 0);
    } finally {
      await h.close();
    }
  });

  test('in read-only mode a subcommand that changes things is off, and says why', async () => {
    const h = await startSlackHarness({ env: { CRDB_TLS_READ_ONLY: 'true' } });
    try {
      await h.command('cloud client-ca remove 5e6b1f0a-6f2c-4c35-9d0e-2f3c8a7b9d10', ALICE);
      const whispered = await h.standin.waitFor(() => h.standin.callsOf('response_url')[0], 10_000, 'the answer');
      assert.match(allText(whispered), /Read-only mode is on \(CRDB_TLS_READ_ONLY\)/);
      assert.equal(h.standin.callsOf('chat.postMessage').length, 0);
    } finally {
      await h.close();
    }
  });
});
