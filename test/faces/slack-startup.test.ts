// `crdb-tls slack` start-up as an operator meets it: the bundled CLI spawned with an environment,
// configuration checked before anything connects (one line on stderr, exit 2), the bot token
// checked with Slack (auth.test), the HTTP receiver serving signed requests until SIGTERM, and
// Socket Mode chosen by SLACK_APP_TOKEN — started against a Socket Mode stand-in and sent a slash
// command through the same handlers as HTTP.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI_BUNDLE, cliEnv, copyBuiltCommand, runCli } from '../support/cli.js';
import { BOT_TOKEN, SIGNING_SECRET } from '../support/slack-app.js';
import { post, signed, slashCommandBody } from '../support/slack-signing.js';
import { SocketModeStandin } from '../support/slack-socket.js';
import { SlackStandin } from '../support/slack-standin.js';

const APP_TOKEN = 'xapp-1-A0TEST-0000-app-level-token';

/** The CLI in a child process without blocking this one: the Slack stand-in here must keep answering it. */
function runCliAsync(args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return runCliAsyncWith(CLI_BUNDLE, args, options);
}

function runCliAsyncWith(bundle: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`crdb-tls ${args.join(' ')} still running after ${options.timeoutMs} ms: ${stderr}`));
    }, options.timeoutMs);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('crdb-tls slack start-up', () => {
  let standin: SlackStandin;
  let work: string;
  let env: (extra: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;

  before(async () => {
    standin = await SlackStandin.start({ botToken: BOT_TOKEN, appToken: APP_TOKEN, socket: { error: 'invalid_auth' } });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-slack-start-'));
    env = (extra) => {
      const base = cliEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: standin.apiUrl, CRDB_TLS_ROOTS: work, ...extra });
      for (const [k, v] of Object.entries(extra)) if (v === undefined) delete base[k];
      return base;
    };
  });

  after(async () => {
    await standin.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** One line on stderr starting "crdb-tls: ", exit 2, and Slack never called. */
  function refusedAtStart(extra: NodeJS.ProcessEnv, message: RegExp): void {
    const calls = standin.calls.length;
    const result = runCli(['slack', '--port', '0'], { env: env(extra), cwd: work, timeoutMs: 20_000 });
    assert.equal(result.status, 2, `exit 2, got ${result.status}: ${result.stderr}`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${result.stderr}`);
    assert.match(lines[0]!, /^crdb-tls: /);
    assert.match(lines[0]!, message);
    assert.equal(result.stdout, '');
    assert.equal(standin.calls.length, calls, 'nothing was sent to Slack');
  }

  test('without SLACK_BOT_TOKEN it says which token is missing and where to find it', () => {
    refusedAtStart({ SLACK_BOT_TOKEN: undefined }, /SLACK_BOT_TOKEN is not set.*xoxb-.*OAuth & Permissions/);
  });

  test('without a signing secret (and no app token) the HTTP receiver cannot start', () => {
    refusedAtStart({ SLACK_SIGNING_SECRET: undefined }, /SLACK_SIGNING_SECRET is not set.*SLACK_APP_TOKEN/);
  });

  test('a user token where the bot token belongs is refused', () => {
    refusedAtStart({ SLACK_BOT_TOKEN: 'xoxp-user-token' }, /SLACK_BOT_TOKEN does not start with xoxb-/);
  });

  test('a confirmer given by name instead of id is a bad policy', () => {
    refusedAtStart({ CRDB_TLS_SLACK_CONFIRMERS: 'U0ALICE,@bob' }, /CRDB_TLS_SLACK_CONFIRMERS: "@bob" is not a Slack user id/);
  });

  test('an issuer rule without SQL users is a bad policy', () => {
    refusedAtStart({ CRDB_TLS_SLACK_ISSUERS: 'U0ALICE:' }, /CRDB_TLS_SLACK_ISSUERS: rule "U0ALICE:" names no SQL user/);
  });

  test('CRDB_TLS_FOUR_EYES must be a boolean', () => {
    refusedAtStart({ CRDB_TLS_FOUR_EYES: 'maybe' }, /CRDB_TLS_FOUR_EYES=maybe is not a boolean/);
  });

  test('a CA key for issuance outside the allowed roots is refused', () => {
    refusedAtStart({ CRDB_TLS_SLACK_CA_KEY: path.join(os.tmpdir(), 'elsewhere', 'ca.key') }, /CRDB_TLS_SLACK_CA_KEY=.*outside the allowed directories/);
  });

  test('a bot token Slack rejects stops the start with what Slack answered', async () => {
    const result = await runCliAsync(['slack', '--port', '0'], { env: env({ SLACK_BOT_TOKEN: 'xoxb-revoked' }), cwd: work, timeoutMs: 20_000 });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr.trim(), /^crdb-tls: Slack refused SLACK_BOT_TOKEN \(auth\.test answered invalid_auth\)/);
    assert.ok(standin.callsOf('auth.test').some((c) => c.token === 'xoxb-revoked'));
  });

  test('an unreachable Web API fails the start within seconds, not after Bolt\'s half-hour of retries', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    // The hang guard: runCli kills the start after 60 s, far short of Bolt's half-hour of retries.
    const result = runCli(['slack', '--port', '0'], { env: env({ SLACK_API_URL: `http://127.0.0.1:${port}/api/` }), cwd: work, timeoutMs: 60_000 });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr.trim().split('\n').pop()!, /^crdb-tls: cannot reach Slack's Web API at http:\/\/127\.0\.0\.1:\d+\/api\//);
  });

  test('Socket Mode is chosen by SLACK_APP_TOKEN; an app token Slack rejects stops the start', async () => {
    const result = await runCliAsync(['slack'], { env: env({ SLACK_APP_TOKEN: APP_TOKEN, SLACK_SIGNING_SECRET: undefined }), cwd: work, timeoutMs: 30_000 });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr.trim().split('\n').pop()!, /Slack refused SLACK_APP_TOKEN \(apps\.connections\.open answered invalid_auth\)/);
    const open = standin.callsOf('apps.connections.open');
    assert.ok(open.length >= 1);
    assert.equal(open[open.length - 1]!.token, APP_TOKEN, 'the app-level token, not the bot token');
  });

  test('the bundle alone (its entry and chunks) runs every other verb without Bolt; `slack` then says which package is missing', async () => {
    // The bundle alone, with no node_modules beside it (how an MCP client may ship it).
    const lone = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-lone-'));
    try {
      const bundle = copyBuiltCommand(lone);
      const diagnose = await runCliAsyncWith(bundle, ['diagnose', 'x509: certificate signed by unknown authority'], { env: env({}), cwd: lone, timeoutMs: 20_000 });
      assert.equal(diagnose.status, 0, diagnose.stderr);
      assert.match(diagnose.stdout, /untrusted_server_ca/);
      const slack = await runCliAsyncWith(bundle, ['slack', '--port', '0'], { env: env({}), cwd: lone, timeoutMs: 20_000 });
      assert.equal(slack.status, 1, slack.stderr);
      assert.match(slack.stderr.trim(), /^crdb-tls: the Slack face needs the @slack\/bolt package, which is not installed next to crdb-tls — Install crdb-tls with its dependencies/);
    } finally {
      fs.rmSync(lone, { recursive: true, force: true });
    }
  });

  test('the HTTP receiver listens on --port, serves signed requests on /slack/events, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI_BUNDLE, 'slack', '--port', '0'], { env: env({}), cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 20_000);
        child.stderr.on('data', () => {
          const match = /Slack app listening on (http:\/\/127\.0\.0\.1:\d+\/slack\/events)/.exec(stderr);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
      });
      const body = slashCommandBody({ text: 'help', user_id: 'U0ALICE', channel_id: 'C0HELP', response_url: standin.responseUrl() });
      const answer = await post(url, signed(SIGNING_SECRET, body, 'application/x-www-form-urlencoded'));
      assert.equal(answer.status, 200);
      assert.match(answer.body, /diagnose/);
      assert.equal((await post(url.replace('/slack/events', '/other'), signed(SIGNING_SECRET, body, 'application/x-www-form-urlencoded'))).status, 404);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
  });

  test('in Socket Mode a slash command arrives over the WebSocket, is acknowledged at once, answered by the same handlers, and SIGTERM stops it', { timeout: 60_000 }, async () => {
    // The CLI as people run it (a child process): in-process, Bolt's Socket Mode client leaves a
    // 30 s close-handshake timer behind after stop(), which kept this test file alive for 30 s.
    const socket = await SocketModeStandin.start();
    const socketApi = await SlackStandin.start({ botToken: BOT_TOKEN, appToken: APP_TOKEN, socket: { url: socket.url } });
    const child = spawn(process.execPath, [CLI_BUNDLE, 'slack'], { env: env({ SLACK_APP_TOKEN: APP_TOKEN, SLACK_SIGNING_SECRET: undefined, SLACK_API_URL: socketApi.apiUrl }), cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await socket.connected;
      const ack = await socket.send('slash_commands', {
        command: '/crdb-tls', text: 'diagnose tlsv1 alert unknown ca', user_id: 'U0ALICE', channel_id: 'C0HELP', team_id: 'T0TEST',
        response_url: socketApi.responseUrl(), trigger_id: 't', api_app_id: 'A0TEST',
      });
      // Acknowledged before the work: the ack carries no answer (that comes as chat.update). How fast
      // it comes is bench/slack-ack.ts's row, not a threshold here.
      assert.deepEqual(ack.payload ?? {}, {}, 'the ack carries no answer');
      const update = await socketApi.waitFor(() => socketApi.callsOf('chat.update')[0], 15_000, 'the diagnosis');
      // diagnosis-codes.md: "tlsv1 alert unknown ca" → client_cert_untrusted.
      assert.match(JSON.stringify(update.params.blocks), /client_cert_untrusted/);
      const help = await socket.send('slash_commands', { command: '/crdb-tls', text: 'help', user_id: 'U0ALICE', channel_id: 'C0HELP', team_id: 'T0TEST', response_url: socketApi.responseUrl(), trigger_id: 't', api_app_id: 'A0TEST' });
      assert.match(JSON.stringify(help.payload), /rotate plan/, 'help rides on the acknowledgement, as over HTTP');
      assert.match(stderr, /Slack app connected in Socket Mode/);
      assert.doesNotMatch(stderr, /listening on/, 'no HTTP port is opened');
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill('SIGKILL');
      await socketApi.close();
      await socket.close();
    }
  });
});
