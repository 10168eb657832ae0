// The bundle answers tools/list from listings the build prepared (scripts/build.mjs), not from the
// zod schemas: this holds what the built `crdb-tls mcp` lists to what the zod schemas of the
// sources convert to today, tool by tool, so the two can never drift apart unnoticed. A call then
// loads the tool and validates with its zod schema.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { toolListing } from '../../src/core/tool-listing.js';
import { catalog } from '../../tools/catalog.js';
import { CLI_BUNDLE } from '../support/cli.js';

let base = '';
let client: Client;
let tools: Tool[] = [];

before(async () => {
  assert.ok(fs.existsSync(CLI_BUNDLE), `${CLI_BUNDLE} is missing: run npm run build`);
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-listings-'));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('CRDB_TLS_') && !key.startsWith('COCKROACH_')) env[key] = value;
  client = new Client({ name: 'prepared-listings-test', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI_BUNDLE, 'mcp'], cwd: base, env: { ...env, CRDB_TLS_STATE_DIR: path.join(base, 'state'), CRDB_TLS_ROOTS: base }, stderr: 'ignore' }));
  tools = (await client.listTools()).tools;
});

after(async () => {
  await client?.close();
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

describe('the bundle lists the tools from prepared listings', () => {
  test('every tool, in catalog order, with the words, annotations and JSON Schemas its zod schemas give now', () => {
    assert.deepEqual(tools.map((t) => t.name), catalog.map((t) => t.name));
    for (const tool of catalog) {
      const listed = tools.find((t) => t.name === tool.name)!;
      const expected = toolListing(tool);
      assert.equal(listed.title, expected.title, tool.name);
      assert.equal(listed.description, expected.description, tool.name);
      assert.deepEqual(listed.annotations, { title: expected.title, ...expected.annotations }, tool.name);
      // The SDK puts type: object first when a root lacks it; zod's objects have it.
      assert.deepEqual(listed.inputSchema, { type: 'object', ...expected.inputSchema }, `${tool.name}: the prepared input schema differs from the zod conversion; rebuild (npm run build)`);
      assert.deepEqual(listed.outputSchema, expected.outputSchema, `${tool.name}: the prepared output schema differs from the zod conversion; rebuild (npm run build)`);
    }
  });

  test('a call loads the tool and validates with its zod schema: a bad argument is refused, a good one answered', async () => {
    const bad = await client.callTool({ name: 'diagnose_error', arguments: { error_text: 42 } });
    assert.equal(bad.isError, true);
    assert.match((bad.content as Array<{ text: string }>)[0]!.text, /error_text/);
    const good = await client.callTool({ name: 'diagnose_error', arguments: { error_text: 'x509: certificate signed by unknown authority' } });
    assert.notEqual(good.isError, true, JSON.stringify(good.content));
    assert.equal((good.structuredContent as { code: string }).code, 'untrusted_server_ca');
  });
});
