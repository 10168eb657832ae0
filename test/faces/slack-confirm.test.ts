// The confirmation gate in Slack (DESIGN.md §3, §5), driven over HTTP like Slack drives it: client
// certificates are signed from a CSR made by the real openssl (the key never leaves the test), a
// certificate for root is high severity and waits for Confirm, only allowed users may confirm,
// four-eyes keeps the requester from confirming their own, every click is audited, a confirmation
// runs its action once, and Cancel changes nothing. Issued certificates are judged by openssl.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AuditEvent } from '../../src/store/types.js';
import { runCliOk } from '../support/cli.js';
import { openssl } from '../support/openssl.js';
import { startSlackHarness, type SlackHarness } from '../support/slack-app.js';
import type { RecordedCall } from '../support/slack-standin.js';
import { describeSkip } from '../support/system-tools.js';

const ALICE = 'U0ALICE'; // confirmer, may ask for root and app
const BOB = 'U0BOB'; // confirmer
const DAVE = 'U0DAVE'; // confirms through the S0ONCALL user group
const MALLORY = 'U0MALLORY'; // may ask for app only, may not confirm

interface Button { action_id: string; value: string; style?: string; confirm?: { style?: string; title: { text: string }; text: { text: string } } }

const skip = describeSkip('openssl');

describe('the confirmation gate in Slack', { skip }, () => {
  let h: SlackHarness;
  let work: string;
  let keys: string;

  /** A CSR for `user` made by openssl; its key stays in the test's own dir. */
  function csrFor(user: string): { csr: string; key: string } {
    const key = path.join(keys, `client.${user}.${Math.random().toString(36).slice(2)}.key`);
    const csr = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-subj', `/O=Cockroach/CN=${user}`]);
    return { csr, key };
  }

  function issuedFiles(): string[] {
    const dir = path.join(h.state, 'slack-issue');
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.crt')) : [];
  }

  async function audit(): Promise<AuditEvent[]> {
    return (await h.runtime.runner.store.recentAudit(1000)).reverse();
  }

  /** Asks for a certificate; returns the confirmation message and its buttons once it is shown. */
  async function askForCertificate(user: string, sqlUser: string): Promise<{ ts: string; confirm: Button; cancel: Button; message: RecordedCall; key: string; csr: string }> {
    const { csr, key } = csrFor(sqlUser);
    const since = h.standin.calls.length;
    const { answer } = await h.command(`cert create-client\n${csr}`, user);
    assert.equal(answer.status, 200);
    const message = await h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => c.method === 'chat.update' && JSON.stringify(c.params).includes('crdb_tls_confirm')), 15_000, 'the confirmation message');
    const buttons = (message.params.blocks as Array<{ type: string; elements?: Button[] }>).filter((b) => b.type === 'actions').flatMap((b) => b.elements!);
    return { ts: String(message.params.ts), confirm: buttons.find((b) => b.action_id === 'crdb_tls_confirm')!, cancel: buttons.find((b) => b.action_id === 'crdb_tls_cancel')!, message, key, csr };
  }

  /** The ephemeral note the app sends `user` after `since`. */
  function whisperTo(user: string, since: number): Promise<RecordedCall> {
    return h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => c.method === 'chat.postEphemeral' && c.params.user === user), 10_000, `a note to ${user}`);
  }

  function updatesOf(ts: string, since = 0): RecordedCall[] {
    return h.standin.calls.slice(since).filter((c) => c.method === 'chat.update' && c.params.ts === ts);
  }

  /** The certificate PEM in a message, checked by openssl against the cluster CA and the CSR's key. */
  function checkIssued(message: RecordedCall, sqlUser: string, key: string): void {
    const text = (message.params.blocks as Array<{ text?: { text: string } }>).map((b) => b.text?.text ?? '').join('\n');
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'))?.[0];
    assert.ok(pem, 'the certificate is in the message');
    const file = path.join(keys, `issued.${sqlUser}.crt`);
    fs.writeFileSync(file, `${pem}\n`);
    assert.match(openssl(['verify', '-CAfile', path.join(work, 'certs', 'ca.crt'), file]), /: OK/);
    assert.match(openssl(['x509', '-noout', '-subject', '-nameopt', 'RFC2253', '-in', file]), new RegExp(`CN=${sqlUser}(,|$)`, 'm'));
    const certKey = openssl(['x509', '-noout', '-pubkey', '-in', file]);
    const ownKey = openssl(['pkey', '-pubout', '-in', key]);
    assert.equal(certKey, ownKey, 'the certificate holds the public key of the CSR: the private key never left its owner');
  }

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-slack-gate-'));
    keys = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-slack-keys-'));
    fs.mkdirSync(path.join(work, 'safe'), { mode: 0o700 });
    runCliOk(['cert', 'create-ca', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--yes'], { cwd: work });
    h = await startSlackHarness({
      work,
      standin: { groups: { S0ONCALL: [DAVE, 'U0ERIN'] } },
      env: {
        CRDB_TLS_SLACK_CONFIRMERS: `${ALICE},${BOB},S0ONCALL`,
        CRDB_TLS_SLACK_ISSUERS: `${ALICE}:root|app;${MALLORY}:app`,
        CRDB_TLS_SLACK_CA_KEY: path.join(work, 'safe', 'ca.key'),
        CRDB_TLS_SLACK_CERTS_DIR: path.join(work, 'certs'),
      },
    });
  });

  after(async () => {
    assert.deepEqual(h.standin.secretsSent(), [], 'a private key or key parameter was sent to Slack');
    assert.deepEqual(h.standin.refusedCalls(), [], 'Slack would have refused these calls');
    await h.close();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(keys, { recursive: true, force: true });
  });

  test('a certificate for an ordinary SQL user is signed from the CSR at once, and only the certificate is posted', async () => {
    const { csr, key } = csrFor('app');
    const since = h.standin.calls.length;
    await h.command(`cert create-client\n${csr}`, MALLORY);
    const done = await h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => c.method === 'chat.update' && JSON.stringify(c.params).includes('BEGIN CERTIFICATE')), 15_000, 'the certificate');
    checkIssued(done, 'app', key);
    assert.ok(!JSON.stringify(done.params).includes('crdb_tls_confirm'), 'low severity: no confirmation');
    assert.deepEqual(issuedFiles(), [], 'the app keeps no copy of the request or the certificate');
  });

  test('a Slack user may not ask for a SQL user the policy does not give them; the refusal is audited', async () => {
    const { csr } = csrFor('root');
    const since = h.standin.calls.length;
    await h.command(`cert create-client\n${csr}`, MALLORY);
    const note = await h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => c.method === 'response_url' && JSON.stringify(c.params).includes('Not allowed')), 10_000, 'the refusal');
    assert.equal(note.params.response_type, 'ephemeral');
    assert.ok(!h.standin.calls.slice(since).some((c) => c.method === 'chat.postMessage'), 'nothing in the channel');
    const events = await audit();
    const refusal = events.find((e) => e.event === 'refused' && e.detail.stage === 'slack_issuers');
    assert.ok(refusal);
    assert.equal(refusal!.requester, `slack:${MALLORY}`);
    assert.equal(refusal!.detail.sql_user, 'root');
  });

  describe('a certificate for root (high severity)', () => {
    let asked: Awaited<ReturnType<typeof askForCertificate>>;

    before(async () => {
      asked = await askForCertificate(ALICE, 'root');
    });

    test('shows its impact with Confirm (a danger-styled confirm dialog) and Cancel, and names who may confirm', () => {
      const text = JSON.stringify(asked.message.params.blocks);
      assert.match(text, /Confirmation needed/);
      assert.match(text, /root/);
      assert.match(text, /high/);
      assert.equal(asked.confirm.style, 'danger');
      assert.equal(asked.confirm.confirm?.style, 'danger');
      assert.match(asked.confirm.confirm!.text.text, /high severity/);
      assert.ok(asked.confirm.value.startsWith('cf_'), 'the button carries the confirmation id only');
      assert.ok(!asked.confirm.value.includes('BEGIN') && asked.confirm.value.length < 60);
      assert.match(text, /Four-eyes: <@U0ALICE> asked/);
      assert.deepEqual(issuedFiles(), [], 'nothing signed yet');
    });

    test('the requester\'s own Confirm is refused in four-eyes mode, told to them alone, and audited', async () => {
      const since = h.standin.calls.length;
      const click = await h.click({ user: ALICE, actionId: 'crdb_tls_confirm', value: asked.confirm.value, messageTs: asked.ts });
      assert.equal(click.status, 200);
      const note = await whisperTo(ALICE, since);
      assert.match(String(note.params.text), /Four-eyes/);
      assert.deepEqual(updatesOf(asked.ts, since), [], 'the message is unchanged: the request still waits');
      assert.deepEqual(issuedFiles(), []);
      const refusal = (await audit()).find((e) => e.event === 'refused' && e.confirmation_id === asked.confirm.value && e.confirmer === `slack:${ALICE}`);
      assert.ok(refusal, 'audited');
      assert.equal(refusal!.requester, `slack:${ALICE}`);
      assert.equal(refusal!.detail.stage, 'slack_policy');
      const asked_ = (await audit()).find((e) => e.event === 'confirmation_required' && e.confirmation_id === asked.confirm.value);
      assert.equal(refusal!.input_hash, asked_?.input_hash, 'the refusal names the same call as the confirmation');
    });

    test('a Confirm by someone not allowed to confirm is refused and audited', async () => {
      const since = h.standin.calls.length;
      await h.click({ user: MALLORY, actionId: 'crdb_tls_confirm', value: asked.confirm.value, messageTs: asked.ts });
      const note = await whisperTo(MALLORY, since);
      assert.match(String(note.params.text), /may not confirm/);
      assert.deepEqual(updatesOf(asked.ts, since), []);
      const refusal = (await audit()).find((e) => e.event === 'refused' && e.confirmer === `slack:${MALLORY}`);
      assert.ok(refusal);
      assert.equal(refusal!.requester, `slack:${ALICE}`, 'the original requester is kept');
    });

    test('a Confirm by an allowed user runs it once: the certificate is posted and the message says who confirmed', async () => {
      const since = h.standin.calls.length;
      await h.click({ user: BOB, actionId: 'crdb_tls_confirm', value: asked.confirm.value, messageTs: asked.ts });
      const done = await h.standin.waitFor(() => updatesOf(asked.ts, since).find((c) => JSON.stringify(c.params).includes('BEGIN CERTIFICATE')), 15_000, 'the done message');
      const text = JSON.stringify(done.params.blocks);
      assert.match(text, /Done/);
      assert.match(text, /confirmed by <@U0BOB>/);
      assert.match(text, /requested by <@U0ALICE>/);
      assert.ok(!text.includes('crdb_tls_confirm'), 'the buttons are gone');
      checkIssued(done, 'root', asked.key);
      const events = (await audit()).filter((e) => e.confirmation_id === asked.confirm.value);
      const confirmed = events.find((e) => e.event === 'confirmed');
      const finished = events.filter((e) => e.event === 'done');
      assert.equal(finished.length, 1);
      assert.equal(confirmed?.requester, `slack:${ALICE}`);
      assert.equal(confirmed?.confirmer, `slack:${BOB}`);
      assert.equal(finished[0]!.requester, `slack:${ALICE}`);
      assert.equal(finished[0]!.confirmer, `slack:${BOB}`);
    });

    test('a second click does nothing: no second certificate, the message stays as it is', async () => {
      const since = h.standin.calls.length;
      await Promise.all([
        h.click({ user: BOB, actionId: 'crdb_tls_confirm', value: asked.confirm.value, messageTs: asked.ts }),
        h.click({ user: DAVE, actionId: 'crdb_tls_confirm', value: asked.confirm.value, messageTs: asked.ts }),
      ]);
      const notes = await h.standin.waitFor(() => {
        const found = h.standin.calls.slice(since).filter((c) => c.method === 'chat.postEphemeral');
        return found.length === 2 ? found : undefined;
      }, 10_000, 'two notes');
      for (const note of notes) assert.match(String(note.params.text), /already used/);
      assert.deepEqual(updatesOf(asked.ts, since), []);
      const done = (await audit()).filter((e) => e.confirmation_id === asked.confirm.value && e.event === 'done');
      assert.equal(done.length, 1);
    });
  });

  test('Cancel changes nothing: the message says who cancelled, and a later Confirm cannot revive it', async () => {
    const asked = await askForCertificate(ALICE, 'root');
    const since = h.standin.calls.length;
    await h.click({ user: BOB, actionId: 'crdb_tls_cancel', value: asked.cancel.value, messageTs: asked.ts });
    const cancelled = await h.standin.waitFor(() => updatesOf(asked.ts, since).find((c) => /Cancelled/.test(JSON.stringify(c.params))), 10_000, 'the cancelled message');
    assert.match(JSON.stringify(cancelled.params.blocks), /cancelled by <@U0BOB>/);
    assert.match(JSON.stringify(cancelled.params.blocks), /nothing was changed/);
    const later = h.standin.calls.length;
    await h.click({ user: DAVE, actionId: 'crdb_tls_confirm', value: asked.confirm.value, messageTs: asked.ts });
    assert.match(String((await whisperTo(DAVE, later)).params.text), /declined/);
    assert.deepEqual(issuedFiles(), []);
    const issueDir = path.join(h.state, 'slack-issue');
    const compact = (pem: string) => pem.replace(/\s/g, '');
    const kept = fs.readdirSync(issueDir).filter((f) => compact(fs.readFileSync(path.join(issueDir, f), 'utf8')) === compact(asked.csr));
    assert.deepEqual(kept, [], 'the CSR of the cancelled request is gone too');
    const events = (await audit()).filter((e) => e.confirmation_id === asked.confirm.value);
    assert.ok(events.some((e) => e.event === 'declined' && e.confirmer === `slack:${BOB}` && e.requester === `slack:${ALICE}`));
    assert.ok(!events.some((e) => e.event === 'done'));
  });

  test('only the requester or a confirmer may cancel', async () => {
    const asked = await askForCertificate(ALICE, 'root');
    const since = h.standin.calls.length;
    await h.click({ user: MALLORY, actionId: 'crdb_tls_cancel', value: asked.cancel.value, messageTs: asked.ts });
    assert.match(String((await whisperTo(MALLORY, since)).params.text), /may not cancel/);
    assert.deepEqual(updatesOf(asked.ts, since), []);
    // The requester may withdraw their own request.
    await h.click({ user: ALICE, actionId: 'crdb_tls_cancel', value: asked.cancel.value, messageTs: asked.ts });
    await h.standin.waitFor(() => updatesOf(asked.ts, since).find((c) => /cancelled by <@U0ALICE>/.test(JSON.stringify(c.params))), 10_000, 'cancelled by the requester');
  });

  test('a member of a confirming user group may confirm; the group is read from Slack', async () => {
    const asked = await askForCertificate(ALICE, 'root');
    const since = h.standin.calls.length;
    await h.click({ user: DAVE, actionId: 'crdb_tls_confirm', value: asked.confirm.value, messageTs: asked.ts });
    const done = await h.standin.waitFor(() => updatesOf(asked.ts, since).find((c) => /confirmed by <@U0DAVE>/.test(JSON.stringify(c.params))), 15_000, 'done by Dave');
    checkIssued(done, 'root', asked.key);
    assert.ok(h.standin.callsOf('usergroups.users.list').some((c) => c.params.usergroup === 'S0ONCALL'));
  });

  test('an unknown confirmation id changes nothing', async () => {
    const since = h.standin.calls.length;
    await h.click({ user: BOB, actionId: 'crdb_tls_confirm', value: 'cf_forged-or-from-another-store', messageTs: '1700009999.000001' });
    assert.match(String((await whisperTo(BOB, since)).params.text), /unknown here or expired/);
    assert.deepEqual(h.standin.calls.slice(since).filter((c) => c.method === 'chat.update'), []);
  });
});

describe('four-eyes off (CRDB_TLS_FOUR_EYES=false)', { skip }, () => {
  test('the requester may confirm their own high-severity request', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-slack-2eyes-'));
    fs.mkdirSync(path.join(work, 'safe'), { mode: 0o700 });
    runCliOk(['cert', 'create-ca', '--certs-dir', 'certs', '--ca-key', 'safe/ca.key', '--yes'], { cwd: work });
    const h = await startSlackHarness({
      work,
      env: { CRDB_TLS_FOUR_EYES: 'false', CRDB_TLS_SLACK_CONFIRMERS: ALICE, CRDB_TLS_SLACK_ISSUERS: `${ALICE}:root`, CRDB_TLS_SLACK_CA_KEY: path.join(work, 'safe', 'ca.key'), CRDB_TLS_SLACK_CERTS_DIR: path.join(work, 'certs') },
    });
    try {
      const csr = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(work, 'root.key'), '-subj', '/O=Cockroach/CN=root']);
      await h.command(`cert create-client ${csr}`, ALICE);
      const message = await h.standin.waitFor(() => h.standin.calls.find((c) => c.method === 'chat.update' && JSON.stringify(c.params).includes('crdb_tls_confirm')), 15_000, 'the confirmation');
      assert.ok(!JSON.stringify(message.params).includes('Four-eyes'));
      const value = /"value":"(cf_[^"]+)"/.exec(JSON.stringify(message.params))![1]!;
      await h.click({ user: ALICE, actionId: 'crdb_tls_confirm', value, messageTs: String(message.params.ts) });
      await h.standin.waitFor(() => h.standin.calls.find((c) => c.method === 'chat.update' && /confirmed by <@U0ALICE>/.test(JSON.stringify(c.params))), 15_000, 'done');
    } finally {
      await h.close();
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
