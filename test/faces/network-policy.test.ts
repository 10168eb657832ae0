// The network policy and the password rules as an attacker meets them (issue 14, DESIGN.md §5): a
// prompt-injected assistant over MCP (stdio and HTTP) and a Slack user name targets outside
// CRDB_TLS_NETWORK_ALLOW, and a listening socket on the loopback records whether anything reached
// it. 127.0.0.0/8 is all loopback, so "not allowed" is made by allowing one port and aiming at
// another. A non-TLS banner (a real Node HTTP server's 400, a Redis-like error line) carries a
// marker that must appear in no output: result, text, Slack message, server log. A fake pgwire
// server asks for a clear-text password while PGPASSWORD and a ~/.pgpass entry sit in the server's
// environment: it must receive none.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLI_BUNDLE, cliEnv } from '../support/cli.js';
import { startFakePgwire, startHttpBannerServer, startRecordingListener, startRedisBannerServer, type FakePgwire, type RecordingServer } from '../support/recording-servers.js';
import { startSlackHarness, type SlackHarness } from '../support/slack-app.js';

const MARKER = 'INTERNAL-BANNER-7f3a9c';
const PASSWORD = 'hunter2-env-secret';
const PGPASS_PASSWORD = 'pgpass-file-secret';
const TOKEN = 'n'.repeat(48);

let base: string;
let allowed: RecordingServer;
let target: RecordingServer;
let httpBanner: RecordingServer;
let redisBanner: RecordingServer;
let pgwire: FakePgwire;
let sleeper: ChildProcess;
const children: ChildProcess[] = [];

/** The CLI as a child process without blocking this one: the servers it talks to live in this process. */
function runCliAsync(args: string[], input?: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BUNDLE, ...args], { env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

interface Call { isError: boolean; text: string; structured: unknown }

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Call> {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');
  return { isError: result.isError === true, text, structured: result.structuredContent };
}

function serverEnv(extra: Record<string, string>): Record<string, string> {
  const env = cliEnv({ CRDB_TLS_ROOTS: base, CRDB_TLS_STATE_DIR: path.join(base, 'state'), CRDB_TLS_LOG_LEVEL: 'debug', PGPASSWORD: PASSWORD, ...extra });
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

async function stdioClient(extra: Record<string, string>): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI_BUNDLE, 'mcp'], env: serverEnv(extra), stderr: 'pipe', cwd: base });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'network-policy-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

async function httpClient(extra: Record<string, string>): Promise<{ client: Client; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI_BUNDLE, 'mcp', '--http', '127.0.0.1:0'], { env: serverEnv({ CRDB_TLS_HTTP_TOKEN: TOKEN, ...extra }), stdio: ['ignore', 'ignore', 'pipe'], cwd: base });
  children.push(child);
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL line; stderr: ${stderr}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const found = /MCP over Streamable HTTP at (http:\/\/\S+)/.exec(stderr);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    });
  });
  const client = new Client({ name: 'network-policy-http-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
  return { client, stderr: () => stderr };
}

/** Every call that would reach `port` if the policy let it, one per network tool. */
const outsideCalls = (port: number): Array<[string, Record<string, unknown>]> => [
  ['probe_server', { host: '127.0.0.1', port, timeout_ms: 2_000 }],
  ['test_connection', { host: '127.0.0.1', port, user: 'app', sslmode: 'disable', timeout_ms: 2_000 }],
  ['test_connection', { url: `postgresql://app:urlpass@127.0.0.1:${port}/defaultdb?sslmode=disable`, timeout_ms: 2_000 }],
  ['check_expiry', { hosts: [`127.0.0.1:${port}`], timeout_ms: 2_000 }],
  ['check_expiry', { sql_urls: [`postgresql://root@127.0.0.1:${port}/defaultdb?sslmode=disable`], timeout_ms: 2_000 }],
  ['plan_rotation', { hosts: [`127.0.0.1:${port}`], timeout_ms: 2_000 }],
  ['probe_server', { host: 'localhost', port, timeout_ms: 2_000 }],
  ['probe_server', { host: '::ffff:127.0.0.1', port, timeout_ms: 2_000 }],
];

before(async () => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-netpolicy-')));
  [allowed, target, httpBanner, redisBanner, pgwire] = await Promise.all([startRecordingListener(), startRecordingListener(), startHttpBannerServer(MARKER), startRedisBannerServer(MARKER), startFakePgwire()]);
  // SIGHUP ends `sleep`: alive afterwards means no signal was sent.
  sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  children.push(sleeper);
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all([allowed, target, httpBanner, redisBanner, pgwire].map((s) => s?.close()));
  fs.rmSync(base, { recursive: true, force: true });
});

for (const transport of ['stdio', 'http'] as const) {
  describe(`MCP over ${transport}: a target outside CRDB_TLS_NETWORK_ALLOW`, () => {
    let client: Client;
    let stderr: () => string;
    before(async () => {
      // localhost:PORT is a name rule: a name never reaches loopback without an address rule.
      ({ client, stderr } = await (transport === 'stdio' ? stdioClient : httpClient)({ CRDB_TLS_NETWORK_ALLOW: `127.0.0.1:${allowed.port},localhost:${target.port}`, CRDB_TLS_CONFIRM_THRESHOLD: 'never' }));
    });
    after(async () => client.close());

    test('probe, test_connection, check_expiry (hosts and SQL), plan_rotation: a refusal naming the setting, and not one connection', async () => {
      for (const [name, args] of outsideCalls(target.port)) {
        const result = await call(client, name, args);
        assert.ok(result.isError, `${name} ${JSON.stringify(args)} was not refused: ${result.text}`);
        assert.match(result.text, /Error \(refused\): the network policy does not allow/, `${name}: ${result.text}`);
        assert.match(result.text, /CRDB_TLS_NETWORK_ALLOW/);
        assert.match(result.text, /Nothing was sent/);
      }
      assert.equal(target.connections(), 0, 'a refused target was contacted');
      assert.doesNotMatch(stderr(), /urlpass/, 'the URL password reached the log');
    });

    test('reload_node_certs: refused before the probe and before the signal', async () => {
      const result = await call(client, 'reload_node_certs', { pid: sleeper.pid, host: '127.0.0.1', port: target.port, timeout_ms: 1_000 });
      assert.ok(result.isError, result.text);
      assert.match(result.text, /CRDB_TLS_NETWORK_ALLOW/);
      assert.equal(target.connections(), 0);
      assert.equal(sleeper.exitCode, null, 'the process was signalled');
      assert.equal(sleeper.signalCode, null);
    });

    test('the allowed port is reached (the policy is not simply closed)', async () => {
      const before = allowed.connections();
      const result = await call(client, 'probe_server', { host: '127.0.0.1', port: allowed.port, timeout_ms: 300 });
      assert.ok(!result.isError, result.text);
      assert.equal(allowed.connections(), before + 1);
    });
  });
}

describe('MCP over HTTP without CRDB_TLS_NETWORK_ALLOW: loopback only', () => {
  test('a non-loopback address is refused naming the default; loopback is reached', async () => {
    const { client } = await httpClient({});
    try {
      const refused = await call(client, 'probe_server', { host: '192.0.2.10', port: 26257, timeout_ms: 500 });
      assert.ok(refused.isError);
      assert.match(refused.text, /default of MCP over HTTP .*CRDB_TLS_NETWORK_ALLOW is unset/);
      const before = allowed.connections();
      assert.ok(!(await call(client, 'probe_server', { host: '127.0.0.1', port: allowed.port, timeout_ms: 300 })).isError);
      assert.equal(allowed.connections(), before + 1);
    } finally {
      await client.close();
    }
  });
});

describe('a non-TLS answer is classified, never echoed', () => {
  test('over MCP: an HTTP server and a Redis-like banner are named, their bytes appear in no result, text or log', async () => {
    const { client, stderr } = await stdioClient({ CRDB_TLS_NETWORK_ALLOW: `127.0.0.1:${httpBanner.port},127.0.0.1:${redisBanner.port}` });
    try {
      const http = await call(client, 'probe_server', { host: '127.0.0.1', port: httpBanner.port, timeout_ms: 2_000 });
      const redis = await call(client, 'probe_server', { host: '127.0.0.1', port: redisBanner.port, timeout_ms: 2_000 });
      const check = await call(client, 'check_expiry', { hosts: [`127.0.0.1:${httpBanner.port}`, `127.0.0.1:${redisBanner.port}`], timeout_ms: 2_000 });
      assert.match(http.text, /an HTTP server/);
      assert.match(redis.text, /neither pgwire nor TLS/);
      assert.ok(httpBanner.connections() > 0 && redisBanner.connections() > 0, 'the banner servers were probed');
      for (const [what, text] of [['http', JSON.stringify(http)], ['redis', JSON.stringify(redis)], ['check_expiry', JSON.stringify(check)], ['server log', stderr()]] as const) {
        assert.ok(!text.includes(MARKER), `${what} echoes the banner`);
        assert.doesNotMatch(text, /Bad Request|-ERR|PONG/, `${what} echoes the banner`);
      }
    } finally {
      await client.close();
    }
  });

  test('on the CLI: the probe output shows the kind only', async () => {
    const result = await runCliAsync(['probe', `127.0.0.1:${redisBanner.port}`, '--timeout', '2000', '--json']);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /neither pgwire nor TLS/);
    assert.ok(!(result.stdout + result.stderr).includes(MARKER));
  });
});

describe('passwords: a fake pgwire server that asks for a clear-text password', () => {
  let client: Client;
  let stderr: () => string;
  before(async () => {
    const pgpass = path.join(base, 'pgpass');
    fs.writeFileSync(pgpass, `127.0.0.1:${pgwire.port}:*:*:${PGPASS_PASSWORD}\n`, { mode: 0o600 });
    ({ client, stderr } = await stdioClient({ CRDB_TLS_NETWORK_ALLOW: `127.0.0.1:${pgwire.port}`, PGPASSFILE: pgpass }));
  });
  after(async () => client.close());

  test('over MCP with PGPASSWORD in the server\'s environment: no password is sent, the answer says why', async () => {
    const result = await call(client, 'test_connection', { host: '127.0.0.1', port: pgwire.port, user: 'app', sslmode: 'disable', timeout_ms: 3_000 });
    assert.ok(pgwire.connections() > 0, 'the login reached the fake server');
    assert.deepEqual(pgwire.passwordMessages(), [], 'a password was sent');
    assert.ok(!result.isError, result.text);
    const report = result.structured as { ok: boolean; settings: { has_password: boolean; notes: string[] }; error: { message: string } };
    assert.equal(report.ok, false);
    assert.equal(report.settings.has_password, false);
    assert.match(report.error.message, /no password supplied/);
    assert.ok(report.settings.notes.some((n) => /PGPASSWORD is set .* not sent to 127\.0\.0\.1: it is not in CRDB_TLS_PASSWORD_HOSTS/.test(n)), JSON.stringify(report.settings.notes));
    assert.ok(!(JSON.stringify(result) + stderr()).includes(PASSWORD));
  });

  test('over MCP without PGPASSWORD, ~/.pgpass (PGPASSFILE) is not read for the caller\'s host either', async () => {
    const { client: other } = await stdioClient({ CRDB_TLS_NETWORK_ALLOW: `127.0.0.1:${pgwire.port}`, PGPASSWORD: '', PGPASSFILE: path.join(base, 'pgpass') });
    try {
      const result = await call(other, 'test_connection', { host: '127.0.0.1', port: pgwire.port, user: 'app', sslmode: 'disable', timeout_ms: 3_000 });
      assert.deepEqual(pgwire.passwordMessages(), []);
      assert.ok(!JSON.stringify(result).includes(PGPASS_PASSWORD));
    } finally {
      await other.close();
    }
  });

  test('a password host listed in CRDB_TLS_PASSWORD_HOSTS, or a password in the URL, is still not sent over sslmode=disable or prefer', async () => {
    const { client: listed } = await stdioClient({ CRDB_TLS_NETWORK_ALLOW: `127.0.0.1:${pgwire.port}`, CRDB_TLS_PASSWORD_HOSTS: '127.0.0.1' });
    try {
      for (const args of [
        { host: '127.0.0.1', port: pgwire.port, user: 'app', sslmode: 'disable', timeout_ms: 3_000 },
        { url: `postgresql://app:${PASSWORD}@127.0.0.1:${pgwire.port}/defaultdb?sslmode=disable`, timeout_ms: 3_000 },
      ]) {
        const result = await call(listed, 'test_connection', args);
        assert.ok(result.isError, result.text);
        assert.match(result.text, /Error \(refused\): .*asked for a password, and crdb-tls sends no password over sslmode=disable/);
        assert.ok(!result.text.includes(PASSWORD));
      }
      assert.deepEqual(pgwire.passwordMessages(), []);
    } finally {
      await listed.close();
    }
  });

  test('the CLI reads the URL from stdin (-), and sends no password in clear text either', async () => {
    const result = await runCliAsync(['test-connection', '-', '--json', '--timeout', '3000'], `postgresql://app:${PASSWORD}@127.0.0.1:${pgwire.port}/defaultdb?sslmode=disable\n`);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr + result.stdout, /sends no password over sslmode=disable/);
    assert.ok(!(result.stdout + result.stderr).includes(PASSWORD));
    assert.deepEqual(pgwire.passwordMessages(), []);
  });
});

describe('Slack', () => {
  const ALICE = 'U0ALICE';
  const MALLORY = 'U0MALLORY';
  let h: SlackHarness;
  before(async () => {
    h = await startSlackHarness({ env: { CRDB_TLS_NETWORK_ALLOW: `127.0.0.1:${allowed.port}`, CRDB_TLS_SLACK_NETWORK_USERS: ALICE } });
  });
  after(async () => h.close());

  /** The text of every message the app sent after `since` calls, once one mentions `pattern`. */
  async function answered(since: number, pattern: RegExp): Promise<string> {
    return h.standin.waitFor(() => {
      const text = h.standin.calls.slice(since).map((c) => JSON.stringify(c.params)).join('\n');
      return pattern.test(text) ? text : undefined;
    }, 15_000, `an answer matching ${pattern}`);
  }

  test('a network user aiming outside CRDB_TLS_NETWORK_ALLOW is refused (probe, rotate check, rotate plan) and nothing is sent', async () => {
    for (const command of [`probe 127.0.0.1:${target.port}`, `rotate check --host 127.0.0.1:${target.port}`, `rotate plan --host 127.0.0.1:${target.port}`]) {
      const since = h.standin.calls.length;
      await h.command(command, ALICE);
      const text = await answered(since, /CRDB_TLS_NETWORK_ALLOW/);
      assert.match(text, /network policy does not allow/, command);
    }
    assert.equal(target.connections(), 0);
  });

  test('a user outside CRDB_TLS_SLACK_NETWORK_USERS may not probe even an allowed target', async () => {
    const before = allowed.connections();
    const since = h.standin.calls.length;
    await h.command(`probe 127.0.0.1:${allowed.port}`, MALLORY);
    await answered(since, /CRDB_TLS_SLACK_NETWORK_USERS/);
    assert.equal(allowed.connections(), before);
  });

  test('a pasted error offers "Probe the server" only for a host the policy could allow', async () => {
    const buttonsFor = async (host: string, port: number) => {
      const since = h.standin.calls.length;
      await h.command(`diagnose psql: error: connection to server at "${host}", port ${port} failed: server certificate for "node1.internal" does not match host name "${host}"`, ALICE);
      const done = await h.standin.waitFor(() => h.standin.calls.slice(since).find((c) => c.method === 'chat.update' && /hostname_mismatch/.test(JSON.stringify(c.params.blocks ?? []))), 15_000, 'the diagnosis');
      return JSON.stringify(done.params);
    };
    assert.doesNotMatch(await buttonsFor('10.20.30.40', 26257), /Probe the server/);
    assert.doesNotMatch(await buttonsFor('127.0.0.1', target.port), /Probe the server/);
    assert.match(await buttonsFor('127.0.0.1', allowed.port), /Probe the server/);
  });

  test('a forged "Probe the server" click for a host outside the policy is refused and sends nothing', async () => {
    const since = h.standin.calls.length;
    await h.click({ user: ALICE, actionId: 'crdb_tls_next:0:probe_server', value: JSON.stringify({ tool: 'probe_server', arguments: { host: '127.0.0.1', port: target.port } }), messageTs: '1700000000.000001' });
    await answered(since, /CRDB_TLS_NETWORK_ALLOW/);
    assert.equal(target.connections(), 0);
  });

  test('a banner reached from Slack is classified and never posted', async () => {
    const banner = await startSlackHarness({ env: { CRDB_TLS_NETWORK_ALLOW: `127.0.0.1:${httpBanner.port}`, CRDB_TLS_SLACK_NETWORK_USERS: '*' } });
    try {
      const since = banner.standin.calls.length;
      await banner.command(`probe 127.0.0.1:${httpBanner.port}`, MALLORY);
      const text = await banner.standin.waitFor(() => {
        const all = banner.standin.calls.slice(since).map((c) => JSON.stringify(c.params)).join('\n');
        return /HTTP server/.test(all) ? all : undefined;
      }, 15_000, 'the probe answer');
      assert.ok(!text.includes(MARKER));
      assert.doesNotMatch(text, /Bad Request/);
    } finally {
      await banner.close();
    }
  });
});

describe('config check and start-up', () => {
  test('config check shows each face\'s reach and password hosts; a bad list is INVALID and stops `crdb-tls mcp`', async () => {
    const defaults = await runCliAsync(['config', 'check']);
    assert.match(defaults.stdout, /CRDB_TLS_NETWORK_ALLOW\s+unset\s+— CLI: any host; MCP stdio: localhost,127\.0\.0\.0\/8,::1,\*\.cockroachlabs\.cloud:26257; MCP HTTP and Slack: loopback only/);
    assert.match(defaults.stdout, /network tools may reach: localhost,127\.0\.0\.0\/8,::1,\*\.cockroachlabs\.cloud:26257; environment password to no host/);
    const bad = await new Promise<{ status: number; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI_BUNDLE, 'config', 'check'], { env: cliEnv({ CRDB_TLS_NETWORK_ALLOW: 'db.example.com:99999' }) });
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.on('close', (code) => resolve({ status: code ?? -1, stdout }));
    });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout, /INVALID\s+CRDB_TLS_NETWORK_ALLOW.*port "99999", not 1-65535/);
    const mcp = await new Promise<{ status: number; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI_BUNDLE, 'mcp'], { env: cliEnv({ CRDB_TLS_NETWORK_ALLOW: '10.0.0.0/99' }), stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.on('close', (code) => resolve({ status: code ?? -1, stderr }));
    });
    assert.notEqual(mcp.status, 0);
    assert.match(mcp.stderr, /CRDB_TLS_NETWORK_ALLOW: "10\.0\.0\.0\/99" has prefix length \/99/);
    assert.doesNotMatch(mcp.stderr, /at .*\.m?js:\d+/, 'a stack trace');
  });
});
