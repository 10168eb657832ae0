// A person, not the assistant, confirms over MCP (issue 13). A real MCP client without elicitation
// talks to the bundled `crdb-tls mcp` over stdio; a second process — `crdb-tls confirm <id>`, run
// exactly as the confirmation_required text prints it, under `script` (util-linux) so that it has
// a pseudo-terminal, fed "yes" — is the person. Every "nothing changed" compares the SHA-256 of
// every file under the server's working dir before and after.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { AuditEntry } from '../support/audit.js';
import { CLI_BUNDLE, cliEnv, runCli } from '../support/cli.js';

const CLIENT_NAME = 'confirm-test-client';
const REQUESTER = `${os.userInfo().username} via ${CLIENT_NAME}`;
const ANY_ID = /cf_[A-Za-z0-9_-]{16,64}/;

interface Envelope {
  status: string;
  result?: { certificate?: { common_name: string } };
  confirmation?: { id: string; severity: string; impact: string };
  reason?: string;
}

interface Server {
  work: string;
  state: string;
  call(name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string; structured: Envelope & { events?: AuditEntry[] } }>;
  close(): Promise<void>;
}

let base = '';
const servers: Server[] = [];

/**
 * `wrapped`: the server runs under a shell of its own (`sh -c 'node … mcp; exit $?'`), as an IDE's
 * launcher would, so that a terminal the test opens is not a child of the server's parent. Without
 * it the test process is the server's parent, like an agent that also runs shell commands.
 */
async function startServer({ env = {}, wrapped = true }: { env?: Record<string, string>; wrapped?: boolean } = {}): Promise<Server> {
  const root = fs.mkdtempSync(path.join(base, 'server-'));
  const work = path.join(root, 'work');
  const state = path.join(root, 'state');
  fs.mkdirSync(path.join(work, 'certs'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(work, 'safe'), { recursive: true, mode: 0o700 });
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(cliEnv())) if (value !== undefined && !key.startsWith('CRDB_TLS_')) childEnv[key] = value;
  Object.assign(childEnv, { CRDB_TLS_ROOTS: work, CRDB_TLS_STATE_DIR: state, ...env });
  const command = wrapped ? { command: '/bin/sh', args: ['-c', `"$0" "$1" mcp; exit $?`, process.execPath, CLI_BUNDLE] } : { command: process.execPath, args: [CLI_BUNDLE, 'mcp'] };
  const transport = new StdioClientTransport({ ...command, cwd: work, env: childEnv, stderr: 'pipe' });
  transport.stderr?.on('data', () => {});
  const client = new Client({ name: CLIENT_NAME, version: '1.0.0' });
  await client.connect(transport);
  await client.listTools();
  const server: Server = {
    work,
    state,
    async call(name, args) {
      const result = await client.callTool({ name, arguments: args });
      const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
      return { isError: result.isError === true, text: content.map((c) => c.text ?? '').join('\n'), structured: result.structuredContent as Envelope };
    },
    close: () => client.close(),
  };
  servers.push(server);
  const ca = await server.call('create_ca', { certs_dir: 'certs', ca_key: 'safe/ca.key' });
  assert.equal(ca.structured.status, 'done', ca.text);
  return server;
}

function snapshot(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
    .map((rel) => {
      const full = path.join(dir, rel);
      return fs.statSync(full).isFile() ? `${rel} ${crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex')}` : `${rel}/`;
    })
    .sort();
}

/** The command the confirmation_required text tells the person to run, as printed. */
function printedCommand(text: string): string {
  const line = text.split('\n').find((l) => / confirm cf_/.test(l) && !l.includes('/crdb-tls confirm'));
  assert.ok(line, `the text names no confirm command: ${text}`);
  return line.trim();
}

/** A person's terminal: the command under `script`, with "yes" typed into its pseudo-terminal. Env without CRDB_TLS_*: the printed command must carry what it needs. */
function inTerminal(command: string, typed = 'yes\n'): { status: number; output: string } {
  const env = cliEnv();
  for (const name of Object.keys(env)) if (name.startsWith('CRDB_TLS_')) delete env[name];
  const result = spawnSync('script', ['-qec', command, '/dev/null'], { input: typed, encoding: 'utf8', env: { ...env, SHELL: '/bin/sh' }, timeout: 60_000 });
  return { status: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

const rootCert = { user: 'root', certs_dir: 'certs', ca_key: 'safe/ca.key' };

before(() => {
  assert.ok(fs.existsSync(CLI_BUNDLE), `${CLI_BUNDLE} is missing: run \`npm run build\` first`);
  assert.equal(spawnSync('script', ['--version']).status, 0, 'script (util-linux) is needed: .ci/run installs it');
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-mcp-confirm-')));
});

after(async () => {
  for (const server of servers) await server.close().catch(() => undefined);
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

describe('without elicitation, by default (CRDB_TLS_MCP_CONFIRM unset): a person approves in a terminal', () => {
  let server: Server;
  let id = '';
  let text = '';

  before(async () => {
    server = await startServer();
  });

  test('a high-severity call returns confirmation_required with what the person must do, and changes nothing', async () => {
    const before = snapshot(server.work);
    const answer = await server.call('create_client_cert', rootCert);
    assert.equal(answer.structured.status, 'confirmation_required', answer.text);
    id = answer.structured.confirmation!.id;
    text = answer.text;
    assert.match(text, /You cannot confirm it yourself/);
    assert.ok(text.includes(answer.structured.confirmation!.impact), 'the impact is there to show the person');
    assert.match(printedCommand(text), new RegExp(` confirm ${id}$`));
    assert.deepEqual(snapshot(server.work), before);
  });

  test('calling again with the id alone is refused, changes nothing, and does not use the id up', async () => {
    const before = snapshot(server.work);
    for (let i = 0; i < 2; i++) {
      const again = await server.call('create_client_cert', { ...rootCert, confirmation_id: id });
      assert.equal(again.structured.status, 'refused', again.text);
      assert.match(again.structured.reason ?? '', /no person has approved/);
    }
    assert.deepEqual(snapshot(server.work), before);
    assert.ok(!fs.existsSync(path.join(server.work, 'certs', 'client.root.key')));
  });

  test('crdb-tls confirm without a terminal (an assistant piping "yes" into it) approves nothing', async () => {
    const piped = runCli(['confirm', id], { env: cliEnv({ CRDB_TLS_STATE_DIR: server.state }), input: 'yes\n' });
    assert.notEqual(piped.status, 0);
    assert.match(piped.stderr, /not a? ?one|not approved: crdb-tls confirm asks a person on a terminal/);
    const again = await server.call('create_client_cert', { ...rootCert, confirmation_id: id });
    assert.equal(again.structured.status, 'refused');
    assert.match(again.structured.reason ?? '', /no person has approved/);
  });

  test('a terminal answer other than yes approves nothing', () => {
    const maybe = inTerminal(printedCommand(text), 'y\n');
    assert.notEqual(maybe.status, 0, maybe.output);
    assert.match(maybe.output, /still waits/);
    assert.match(maybe.output, /Impact: +Creates the client certificate for SQL user root/, 'the person saw the impact');
  });

  test('crdb-tls confirm --list shows the waiting request with its impact', () => {
    const listed = runCli(['confirm', '--list'], { env: cliEnv({ CRDB_TLS_STATE_DIR: server.state }) });
    assert.equal(listed.status, 0, listed.stderr);
    assert.ok(listed.stdout.includes(id));
    assert.match(listed.stdout, /create_client_cert \(severity high\), asked by .* via confirm-test-client over mcp/);
  });

  test('`crdb-tls confirm <id>` as printed, answered yes on a pseudo-terminal, lets the next call with the id run exactly once', async () => {
    const person = inTerminal(printedCommand(text));
    assert.equal(person.status, 0, person.output);
    assert.match(person.output, /Approved/);
    const done = await server.call('create_client_cert', { ...rootCert, confirmation_id: id });
    assert.equal(done.structured.status, 'done', done.text);
    assert.equal(done.structured.result?.certificate?.common_name, 'root');
    const after = snapshot(server.work);
    const replay = await server.call('create_client_cert', { ...rootCert, overwrite: true, confirmation_id: id });
    assert.equal(replay.structured.status, 'refused');
    assert.match(replay.structured.reason ?? '', /already used/);
    assert.deepEqual(snapshot(server.work), after);
    const late = inTerminal(printedCommand(text));
    assert.notEqual(late.status, 0, 'a used confirmation cannot be approved again');
  });

  test('the audit shows the channel: approved in a terminal, then confirmed and done through it; not by the requester itself', async () => {
    const { events } = (await server.call('audit_log', { limit: 100, tool: 'create_client_cert' })).structured;
    const oldestFirst = [...events!].reverse();
    const approved = oldestFirst.find((e) => e.event === 'approved')!;
    assert.ok(approved, JSON.stringify(oldestFirst.map((e) => e.event)));
    assert.equal(approved.detail.channel, 'terminal');
    assert.equal(approved.confirmer, os.userInfo().username);
    assert.equal(approved.requester, REQUESTER);
    const ofIt = oldestFirst.filter((e) => e.confirmation_ref === approved.confirmation_ref).map((e) => e.event);
    assert.deepEqual(ofIt, ['confirmation_required', 'requested', 'refused', 'requested', 'refused', 'requested', 'refused', 'approved', 'requested', 'confirmed', 'done', 'requested', 'refused']);
    for (const kind of ['confirmed', 'done']) {
      const e = oldestFirst.find((x) => x.event === kind && x.confirmation_ref === approved.confirmation_ref)!;
      assert.equal(e.detail.channel, 'terminal');
      assert.equal(e.detail.self_confirmed, false);
      assert.equal(e.confirmer, os.userInfo().username);
    }
  });
});

describe('pending ids reach nobody but the requester', () => {
  test('audit_log (over MCP, and `crdb-tls audit` with or without --json) never shows a pending id, even in a refusal it quotes', async () => {
    const server = await startServer();
    const pending = await server.call('create_client_cert', rootCert);
    const id = pending.structured.confirmation!.id;
    await server.call('create_client_cert', { ...rootCert, confirmation_id: id }); // refused, its reason names the id
    const viaMcp = await server.call('audit_log', { limit: 1000 });
    assert.ok(viaMcp.structured.events!.some((e) => e.event === 'confirmation_required'));
    assert.ok(!ANY_ID.test(JSON.stringify(viaMcp.structured)), `audit_log returned an id: ${JSON.stringify(viaMcp.structured).match(ANY_ID)}`);
    assert.ok(!ANY_ID.test(viaMcp.text));
    for (const args of [['audit'], ['audit', '--json', '--limit', '1000']]) {
      const printed = runCli(args, { env: cliEnv({ CRDB_TLS_STATE_DIR: server.state }) });
      assert.equal(printed.status, 0, printed.stderr);
      assert.match(printed.stdout, /confirmation_required/);
      assert.ok(!ANY_ID.test(printed.stdout + printed.stderr), `crdb-tls ${args.join(' ')} printed an id`);
    }
    // The state dir holds it, for `crdb-tls confirm`: the id is still pending and good.
    assert.ok(fs.existsSync(path.join(server.state, 'confirmations', `${id}.json`)));
  });
});

describe("an assistant's own shell", () => {
  test('`crdb-tls confirm` on a pseudo-terminal started by the program that started the server is refused', async () => {
    // The test process is the server's parent here, like an agent that runs both the MCP server and shell commands.
    const server = await startServer({ wrapped: false });
    const pending = await server.call('create_client_cert', rootCert);
    const command = printedCommand(pending.text);
    const tried = inTerminal(command);
    assert.notEqual(tried.status, 0, tried.output);
    assert.match(tried.output, /this terminal was started by .* the program that runs the MCP server/);
    const again = await server.call('create_client_cert', { ...rootCert, confirmation_id: pending.structured.confirmation!.id });
    assert.equal(again.structured.status, 'refused');
    assert.match(again.structured.reason ?? '', /no person has approved/);
    assert.ok(!fs.existsSync(path.join(server.work, 'certs', 'client.root.key')));
  });
});

describe('CRDB_TLS_MCP_CONFIRM', () => {
  test('slack: a terminal cannot approve, and the text sends the person to Slack', async () => {
    const server = await startServer({ env: { CRDB_TLS_MCP_CONFIRM: 'slack' } });
    const pending = await server.call('create_client_cert', rootCert);
    const id = pending.structured.confirmation!.id;
    assert.match(pending.text, /\/crdb-tls approve ref_[0-9a-f]{16} /);
    assert.ok(!pending.text.includes(`approve ${id}`), 'Slack is given the reference, not the id');
    assert.ok(!/in a terminal/.test(pending.text), pending.text);
    const tried = runCli(['confirm', id], { env: cliEnv({ CRDB_TLS_STATE_DIR: server.state }) });
    assert.notEqual(tried.status, 0);
    assert.match(tried.stderr, /can be approved only through slack/);
  });

  test('assistant (advisory): the id passed back runs the call, and the audit marks it as confirmed by the requester itself', async () => {
    const server = await startServer({ env: { CRDB_TLS_MCP_CONFIRM: 'assistant' } });
    const pending = await server.call('create_client_cert', rootCert);
    assert.match(pending.text, /CRDB_TLS_MCP_CONFIRM=assistant/);
    const done = await server.call('create_client_cert', { ...rootCert, confirmation_id: pending.structured.confirmation!.id });
    assert.equal(done.structured.status, 'done', done.text);
    const { events } = (await server.call('audit_log', { limit: 5, tool: 'create_client_cert' })).structured;
    const confirmed = events!.find((e) => e.event === 'confirmed')!;
    assert.equal(confirmed.detail.channel, 'assistant');
    assert.equal(confirmed.detail.self_confirmed, true);
    assert.equal(confirmed.confirmer, REQUESTER);
    const check = runCli(['config', 'check'], { env: cliEnv({ CRDB_TLS_MCP_CONFIRM: 'assistant' }) });
    assert.match(check.stdout, /WARNING +CRDB_TLS_MCP_CONFIRM +assistant +— assistant: ADVISORY/);
  });
});
