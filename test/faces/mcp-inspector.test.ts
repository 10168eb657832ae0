// The official MCP Inspector's CLI (@modelcontextprotocol/inspector, on Node 22: its engines field
// asks for >= 22.19; see test/support/node22-tools.ts) lists crdb-tls's tools the way the README
// tells a person to: `inspector --cli node dist/crdb-tls.mjs mcp --method tools/list`, the server
// on the project's own Node 20 (`node` on PATH is this test's node). `--strict` is the Inspector's
// tool-schema portability check: findings go to the JSON envelope's `schemaFindings` (with
// --format json) and to stderr as "Error:"/"Warning:" lines, and error-severity findings exit 6;
// without --strict a one-line "Schema portability: …" count is printed when there is any finding.
// A control server that advertises an unportable schema shows the check does report.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { catalog } from '../../tools/catalog.js';
import { CLI_BUNDLE } from '../support/cli.js';
import { startHttpServerProcess, type HttpServerProcess } from '../support/mcp-eras.js';
import { node22, toolBin } from '../support/node22-tools.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let work = '';
let home = '';

/** `inspector --cli ...args` on Node 22, with `node` on PATH the project's Node 20 and a scratch HOME. */
async function inspector(args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
  for (const name of Object.keys(env)) if (name.startsWith('CRDB_TLS_') || name.startsWith('COCKROACH_')) delete env[name];
  try {
    const { stdout, stderr } = await promisify(execFile)(node22(), [toolBin('@modelcontextprotocol/inspector', 'inspector'), '--cli', ...args], { cwd: work, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const serverEnv = (): string[] => ['-e', `CRDB_TLS_ROOTS=${work}`, '-e', `CRDB_TLS_STATE_DIR=${path.join(work, 'state')}`, '--cwd', work];
const catalogNames = (): string[] => catalog.map((t) => t.name).sort();

before(() => {
  work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-inspector-')));
  home = path.join(work, 'home');
  fs.mkdirSync(home, { mode: 0o700 });
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

describe('the MCP Inspector CLI against crdb-tls mcp', () => {
  test('`inspector --cli node dist/crdb-tls.mjs mcp --method tools/list` lists the whole catalog, with no portability finding', async () => {
    const run = await inspector([...serverEnv(), 'node', CLI_BUNDLE, 'mcp', '--method', 'tools/list']);
    assert.equal(run.code, 0, run.stderr);
    const listed = (JSON.parse(run.stdout) as { tools: Array<{ name: string }> }).tools.map((t) => t.name).sort();
    assert.deepEqual(listed, catalogNames());
    assert.doesNotMatch(run.stderr, /Schema portability/, 'the one-line count appears only when there is a finding');
  });

  test('--strict reports no error and no warning over stdio', async () => {
    const run = await inspector([...serverEnv(), '--strict', '--format', 'json', 'node', CLI_BUNDLE, 'mcp', '--method', 'tools/list']);
    assert.equal(run.code, 0, run.stderr);
    const envelope = JSON.parse(run.stdout) as { result: { tools: Array<{ name: string; outputSchema?: unknown }> }; schemaFindings?: unknown };
    assert.deepEqual(envelope.result.tools.map((t) => t.name).sort(), catalogNames());
    assert.ok(envelope.result.tools.filter((t) => t.outputSchema).length >= 20, 'output schemas were there to check');
    assert.equal(envelope.schemaFindings, undefined, `findings: ${JSON.stringify(envelope.schemaFindings)}`);
    assert.doesNotMatch(run.stderr, /^(Error|Warning): tool/m);
  });

  describe('over Streamable HTTP with the bearer token', () => {
    const token = crypto.randomBytes(24).toString('hex');
    let server: HttpServerProcess | undefined;
    before(async () => {
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('CRDB_TLS_') && !key.startsWith('COCKROACH_')) env[key] = value;
      server = await startHttpServerProcess({ ...env, CRDB_TLS_HTTP_TOKEN: token, CRDB_TLS_ROOTS: work, CRDB_TLS_STATE_DIR: path.join(work, 'http-state') }, work);
    });
    after(() => server?.stop());

    test('--strict lists the catalog with no finding; without the token the Inspector is refused', async () => {
      const run = await inspector(['--strict', '--format', 'json', server!.url, '--header', `Authorization: Bearer ${token}`, '--method', 'tools/list']);
      assert.equal(run.code, 0, run.stderr);
      const envelope = JSON.parse(run.stdout) as { result: { tools: Array<{ name: string }> }; schemaFindings?: unknown };
      assert.deepEqual(envelope.result.tools.map((t) => t.name).sort(), catalogNames());
      assert.equal(envelope.schemaFindings, undefined, `findings: ${JSON.stringify(envelope.schemaFindings)}`);

      // The 401 with `WWW-Authenticate: Bearer` makes the Inspector ask for OAuth, which a CI run cannot do.
      const refused = await inspector([server!.url, '--method', 'tools/list']);
      assert.equal(refused.code, 3, refused.stderr);
      assert.match(refused.stderr, /"code":"auth_required"/);
      assert.doesNotMatch(refused.stdout + refused.stderr, /create_ca/);
    });
  });

  test('control: a server advertising `type: ["string","null"]` and an empty subschema is reported by --strict', async () => {
    // A minimal stdio MCP server (newline-delimited JSON-RPC), written here so the control is self-evident.
    const unportable = { type: 'object', properties: { maybe: { type: ['string', 'null'] }, anything: {} } };
    const script = `
      const tool = { name: 'unportable', description: 'control', inputSchema: { type: 'object' }, outputSchema: ${JSON.stringify(unportable)} };
      let buffered = '';
      process.stdin.on('data', (chunk) => {
        buffered += chunk;
        for (let end; (end = buffered.indexOf('\\n')) >= 0; buffered = buffered.slice(end + 1)) {
          const message = JSON.parse(buffered.slice(0, end));
          if (message.id === undefined) continue;
          const result = message.method === 'initialize'
            ? { protocolVersion: message.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'control', version: '1.0.0' } }
            : message.method === 'tools/list' ? { tools: [tool] } : {};
          process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }) + '\\n');
        }
      });`;
    const control = path.join(work, 'unportable-server.mjs'); // a file: the Inspector's own -e sets server env
    fs.writeFileSync(control, script);
    const run = await inspector(['--strict', '--format', 'json', 'node', control, '--method', 'tools/list']);
    const envelope = JSON.parse(run.stdout) as { schemaFindings?: Array<{ toolName: string; findings: unknown[] }> };
    assert.equal(envelope.schemaFindings?.[0]?.toolName, 'unportable', run.stderr);
    assert.ok(envelope.schemaFindings[0].findings.length >= 2, JSON.stringify(envelope.schemaFindings));
    assert.match(run.stderr, /^(Error|Warning): tool "unportable"/m);
  });
});
