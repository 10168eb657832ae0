// Both protocol eras on every transport: the bundled `crdb-tls mcp` over stdio, over Streamable
// HTTP with sessions, and over stateless HTTP, each driven by two real clients — the 1.x SDK
// client (2025 handshake) and the v2 client pinned to 2026-07-28. For each: tools/list, a read
// tool, a gated call confirmed through the channel that client has (input_required for the
// modern client, elicitation/create for a 2025 client with a session, the out-of-band
// confirmation_required for a 2025 client without one), a refused and a malformed answer,
// progress with a total, and a cancelled call.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { catalog } from '../../tools/catalog.js';
import { runCliOk } from '../support/cli.js';
import { connectClient, startHttpServerProcess, type EraClient, type HttpServerProcess, type ProgressSeen, type Target } from '../support/mcp-eras.js';
import { closedPort, startSilentListener, type FaultServer } from '../support/tls-faults.js';

const TOKEN = crypto.randomBytes(32).toString('hex');
const STATE_KEY = crypto.randomBytes(32).toString('hex');

let base = '';
let env: Record<string, string> = {};
let stateful: HttpServerProcess | undefined;
let stateless: HttpServerProcess | undefined;
const silentServers: FaultServer[] = [];

before(async () => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-mcp-eras-')));
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('CRDB_TLS_') && !key.startsWith('COCKROACH_')) env[key] = value;
  env = { ...env, CRDB_TLS_ROOTS: base, CRDB_TLS_STATE_DIR: path.join(base, 'state'), CRDB_TLS_HTTP_TOKEN: TOKEN, CRDB_TLS_HTTP_TOKEN_LABEL: 'eras-test', CRDB_TLS_MCP_STATE_KEY: STATE_KEY };
  [stateful, stateless] = await Promise.all([startHttpServerProcess(env, base), startHttpServerProcess({ ...env, CRDB_TLS_STATE_DIR: path.join(base, 'state-stateless') }, base, ['--stateless'])]);
});

after(async () => {
  await Promise.all([stateful?.stop(), stateless?.stop(), ...silentServers.map((s) => s.close())]);
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

type Transport = 'stdio' | 'http' | 'http-stateless';
const COMBOS: Array<{ transport: Transport; era: 'legacy' | 'modern' }> = [
  { transport: 'stdio', era: 'legacy' },
  { transport: 'stdio', era: 'modern' },
  { transport: 'http', era: 'legacy' },
  { transport: 'http', era: 'modern' },
  { transport: 'http-stateless', era: 'legacy' },
  { transport: 'http-stateless', era: 'modern' },
];

const nodeLocation = (port: number) => `127.0.0.1:${port}`;

for (const { transport, era } of COMBOS) {
  // A 2025 client without a session (stateless HTTP) cannot be asked mid-call: the out-of-band confirmation applies.
  const formChannel = !(transport === 'http-stateless' && era === 'legacy');

  describe(`${era} client over ${transport}`, () => {
    let client: EraClient;
    let dir = '';
    const certs = () => path.join(dir, 'certs');
    const gated = (user: string) => ({ user, certs_dir: certs(), ca_key: path.join(dir, 'safe', 'ca.key') });

    before(async () => {
      dir = path.join(base, `${transport}-${era}`);
      fs.mkdirSync(path.join(dir, 'safe'), { recursive: true, mode: 0o700 });
      runCliOk(['cert', 'create-ca', '--certs-dir', certs(), '--ca-key', path.join(dir, 'safe', 'ca.key')], { cwd: dir });
      const target: Target = transport === 'stdio' ? { kind: 'stdio', env, cwd: dir } : { kind: 'http', url: (transport === 'http' ? stateful : stateless)!.url, token: TOKEN };
      client = await connectClient(era, target);
    });
    after(async () => client?.close());

    test('tools/list offers the catalog, each tool with input and output schemas', async () => {
      const tools = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), catalog.map((t) => t.name));
      for (const tool of tools) {
        assert.equal((tool.inputSchema as { type?: string }).type, 'object', tool.name);
        assert.equal((tool.outputSchema as { type?: string } | undefined)?.type, 'object', tool.name);
      }
      if (era === 'modern') assert.equal(client.protocolVersion(), '2026-07-28');
    });

    test('a read tool answers with structured content', async () => {
      const result = await client.call('inspect_certificate', { certificate: path.join(certs(), 'ca.crt') });
      assert.equal(result.isError, false, result.text);
      const first = (result.structured as { certificates: Array<{ is_ca: boolean; common_name: string }> }).certificates[0]!;
      assert.equal(first.is_ca, true);
      assert.equal(first.common_name, 'Cockroach CA');
    });

    test(formChannel ? 'a gated call is confirmed by the person through the form and runs once' : 'a gated call answers confirmation_required for a person to approve out of band; nothing is asked or written', async () => {
      client.answer = { action: 'accept', content: { confirm: true } };
      const asked = client.elicitations.length;
      const result = await client.call('create_client_cert', gated('root'));
      assert.equal(result.isError, false, result.text);
      const crt = path.join(certs(), 'client.root.crt');
      if (formChannel) {
        assert.equal(result.structured?.status, 'done', result.text);
        assert.equal(client.elicitations.length, asked + 1, 'the person was asked once');
        const form = client.elicitations.at(-1)!;
        assert.match(form.message, /severity high/);
        assert.match(form.message, /Impact: /);
        assert.deepEqual(Object.keys((form.requestedSchema as { properties: object }).properties), ['confirm']);
        assert.ok(fs.existsSync(crt));
        assert.ok(!JSON.stringify(result).includes('cf_'), 'no confirmation id reaches the model');
      } else {
        assert.equal(result.structured?.status, 'confirmation_required', result.text);
        assert.equal(client.elicitations.length, asked, 'a client without a session is never sent elicitation/create');
        assert.ok(!fs.existsSync(crt));
      }
    });

    test('a declined confirmation changes nothing and says so', async () => {
      if (!formChannel) return;
      client.answer = { action: 'decline' };
      const result = await client.call('create_client_cert', gated('admin'));
      assert.equal(result.isError, false, result.text);
      assert.equal(result.structured?.status, 'refused');
      assert.match(String(result.structured?.reason), /declined/);
      assert.ok(!fs.existsSync(path.join(certs(), 'client.admin.crt')));
    });

    test('a malformed answer (confirm as the string "true") is a decline with a reason, not an internal error', async () => {
      if (!formChannel) return;
      client.answer = { action: 'accept', content: { confirm: 'true' } };
      const result = await client.call('create_client_cert', gated('admin'));
      assert.equal(result.isError, false, result.text);
      assert.doesNotMatch(result.text, /internal/i);
      assert.equal(result.structured?.status, 'refused');
      assert.match(String(result.structured?.reason), /malformed .*confirm as string "true".*decline/);
      assert.ok(!fs.existsSync(path.join(certs(), 'client.admin.crt')));
    });

    test('progress notifications carry a total when the share of the work is known', async () => {
      const ports = await Promise.all([closedPort(), closedPort(), closedPort()]);
      const updates: ProgressSeen[] = [];
      const result = await client.call('check_expiry', { hosts: ports.map(nodeLocation), timeout_ms: 5_000 }, { onprogress: (p) => updates.push(p) });
      assert.equal(result.isError, false, result.text);
      const withTotal = updates.filter((u) => u.total !== undefined);
      assert.ok(withTotal.length >= 3, `progress with a total: ${JSON.stringify(updates)}`);
      for (const u of withTotal) assert.ok(u.progress <= u.total!, JSON.stringify(u));
      for (let i = 1; i < updates.length; i++) assert.ok(updates[i]!.progress > updates[i - 1]!.progress, 'progress grows with each notification');
      assert.ok(withTotal.some((u) => u.progress === u.total), `the last node done is 100%: ${JSON.stringify(withTotal)}`);
    });

    test('a cancelled call stops its probes and the server serves the next call', async () => {
      const silent = await Promise.all(Array.from({ length: 2 }, () => startSilentListener()));
      silentServers.push(...silent);
      const controller = new AbortController();
      const call = client.call('check_expiry', { hosts: silent.map((s) => nodeLocation(s.port)), timeout_ms: 60_000 }, { signal: controller.signal });
      const connected = () => silent.reduce((sum, s) => sum + s.accepted(), 0);
      for (let i = 0; i < 200 && connected() < 2; i++) await sleep(25);
      assert.equal(connected(), 2, 'both probes are under way');
      controller.abort('the person pressed stop');
      await assert.rejects(call, (error: Error) => /abort|cancel|stop/i.test(`${error.name} ${error.message}`));
      const open = () => silent.reduce((sum, s) => sum + s.open(), 0);
      for (let i = 0; i < 200 && open() > 0; i++) await sleep(25);
      assert.equal(open(), 0, 'the server closed its probe connections after the cancel');
      const next = await client.call('diagnose_error', { error_text: 'tlsv1 alert unknown ca' });
      assert.equal(next.isError, false, next.text);
    });
  });
}
