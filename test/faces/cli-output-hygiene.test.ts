// What the CLI prints to a person's terminal (issue 14): text that came from outside carries no
// escape sequence, control character or bidi override (an MCP client that names itself
// "\x1b]0;…\x07\x1b[2J…" must not retitle the window, clear the screen or forge audit lines);
// a reader that stops early (`| head -1`) ends the CLI quietly; a port in use is one line
// naming the port, not "internal error … this is a bug".
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import forge from 'node-forge';
import { BOT_TOKEN, SIGNING_SECRET } from '../support/slack-app.js';
import { SlackStandin } from '../support/slack-standin.js';
import { CLI_BUNDLE, cliEnv, runCli, runCliAsync } from '../support/cli.js';

/** C0 but tab and line feed, DEL, C1, bidi formatting, line and paragraph separators. */
const CONTROL_OR_BIDI = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

/** An MCP client name that retitles the window (OSC 0), clears the screen, colours, forges a line, reverses text and uses 8-bit CSI. */
const HOSTILE_NAME = 'ide\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m\nFORGED 2026-01-01T00:00:00.000Z  done  create_ca  by root\u202etxt.exe\x9b31m\r\x00!';

let base = '';
let work = '';
let env: NodeJS.ProcessEnv;

const firstControl = (text: string) => {
  const match = CONTROL_OR_BIDI.exec(text);
  return match ? `U+${match[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${match.index}: ${JSON.stringify(text.slice(Math.max(0, match.index - 20), match.index + 20))}` : undefined;
};

before(async () => {
  assert.ok(fs.existsSync(CLI_BUNDLE), `${CLI_BUNDLE} is missing: run \`npm run build\` first`);
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-hygiene-')));
  work = path.join(base, 'work');
  fs.mkdirSync(path.join(work, 'safe'), { recursive: true, mode: 0o700 });
  env = cliEnv({ CRDB_TLS_STATE_DIR: path.join(base, 'state'), CRDB_TLS_ROOTS: work });

  // The hostile client makes one audited call (a dry run: nothing is written, the request is audited).
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI_BUNDLE, 'mcp'], cwd: work, env: env as Record<string, string>, stderr: 'pipe' });
  transport.stderr?.on('data', () => {});
  const client = new Client({ name: HOSTILE_NAME, version: '1.0.0' });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: 'create_ca', arguments: { certs_dir: 'certs', ca_key: 'safe/ca.key', dry_run: true } });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
  } finally {
    await client.close();
  }
});

after(() => fs.rmSync(base, { recursive: true, force: true }));

describe('outside text printed by the CLI', () => {
  test('`crdb-tls audit` shows the hostile client by name on its own line, with no control character and no forged line', () => {
    const run = runCli(['audit'], { env, cwd: work });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(firstControl(run.stdout), undefined, `control character in the audit listing: ${firstControl(run.stdout)}`);
    assert.match(run.stdout, /dry_run\s+create_ca {2}by \S+ via ide/);
    assert.match(run.stdout, /red/, 'the printable part of the name is kept');
    for (const line of run.stdout.split('\n')) assert.doesNotMatch(line, /^FORGED/, 'a line feed in the name started a line of its own');
  });

  test('`crdb-tls audit --json` keeps the name exactly, as \\u escapes that print nothing raw', () => {
    const run = runCli(['audit', '--json'], { env, cwd: work });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(firstControl(run.stdout), undefined, `raw control character in the JSON: ${firstControl(run.stdout)}`);
    const { events } = JSON.parse(run.stdout) as { events: Array<{ requester: string }> };
    assert.ok(events.some((e) => e.requester.endsWith(` via ${HOSTILE_NAME}`)), 'the audit trail holds the name as the client sent it');
  });

  test('`crdb-tls cert inspect` of a certificate whose subject holds escape sequences and a bidi override prints none of them', () => {
    const keys = forge.pki.rsa.generateKeyPair(1024);
    const cert = forge.pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = '01';
    cert.validity.notBefore = new Date(Date.now() - 3_600_000);
    cert.validity.notAfter = new Date(Date.now() + 86_400_000);
    const subject = [{ shortName: 'CN', value: forge.util.encodeUtf8('alice\x1b[2J\x1b]0;pwned\x07\u202egnp.exe'), valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class }];
    cert.setSubject(subject);
    cert.setIssuer(subject);
    cert.sign(keys.privateKey, forge.md.sha256.create());
    const file = path.join(work, 'hostile.crt');
    fs.writeFileSync(file, forge.pki.certificateToPem(cert));
    const run = runCli(['cert', 'inspect', file], { env, cwd: work });
    assert.equal(firstControl(run.stdout + run.stderr), undefined, `control character printed: ${firstControl(run.stdout + run.stderr)}`);
    assert.match(run.stdout, /alice/);
    const json = runCli(['cert', 'inspect', file, '--json'], { env, cwd: work });
    assert.equal(firstControl(json.stdout), undefined, `raw control character in the JSON: ${firstControl(json.stdout)}`);
    // The data itself still holds them (JSON escapes): the text above was cleaned, not the certificate misread.
    assert.match(json.stdout, /\\u001b\[2J/);
  });
});

describe('a reader that stops early', () => {
  test('`crdb-tls rotate check --help | head -1` prints the usage line and nothing on stderr (no EPIPE stack trace)', async () => {
    const run = await runCliAsync(['rotate', 'check', '--help'], { env, cwd: work, shellPipe: '| head -1' });
    assert.equal(run.stdout, 'Usage: crdb-tls rotate check [options]\n');
    assert.equal(run.stderr, '');
    // 0 when the help was written before head exited, 141 when a write met the closed pipe.
    assert.ok(run.status === 0 || run.status === 141, `exit ${run.status}`);
  });

  // The full CLI (through the ESM entry), the installed command's diagnose lane and its --version.
  for (const args of [['rotate', 'check', '--help'], ['diagnose', 'x509: certificate signed by unknown authority'], ['--version']]) {
    test(`with the reader gone before the first write, \`crdb-tls ${args[0]}\` ends with 141 (128 + SIGPIPE, as \`set -o pipefail\` expects) and says nothing`, async () => {
      const child = spawn(process.execPath, [CLI_BUNDLE, ...args], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // our end of its stdout closes long before node has started in the child
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(stderr, '');
      assert.equal(status, 141);
    });
  }
});

describe('a port already in use', () => {
  let blocker: net.Server;
  let port = 0;
  before(async () => {
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    port = (blocker.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  const assertOneLineNamingThePort = (stderr: string, flag: string) => {
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line on stderr, got: ${stderr}`);
    assert.equal(lines[0], `crdb-tls: port ${port} is already in use (127.0.0.1:${port}): another program is listening there — Stop that program, or pass ${flag} with another port (0 picks a free one).`);
  };

  test('`crdb-tls mcp --http` on it exits 1 with one line naming the port', async () => {
    const run = await runCliAsync(['mcp', '--http', `127.0.0.1:${port}`], { env: { ...env, CRDB_TLS_HTTP_TOKEN: 't'.repeat(40) }, cwd: work, timeoutMs: 30_000 });
    assert.equal(run.status, 1);
    assertOneLineNamingThePort(run.stderr, '--http HOST:PORT');
  });

  test('`crdb-tls slack --port` on it exits 1 with one line naming the port', async () => {
    const standin = await SlackStandin.start({ botToken: BOT_TOKEN });
    try {
      const run = await runCliAsync(['slack', '--port', String(port)], { env: { ...env, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: standin.apiUrl }, cwd: work, timeoutMs: 30_000 });
      assert.equal(run.status, 1);
      assertOneLineNamingThePort(run.stderr, '--port');
    } finally {
      await standin.close();
    }
  });
});
