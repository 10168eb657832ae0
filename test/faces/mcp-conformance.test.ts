// The official MCP conformance suite (@modelcontextprotocol/conformance, server side, every
// scenario: --suite all) against `crdb-tls mcp --http`, stateful and --stateless. The suite runs
// on Node 22 (it calls fs.globSync; see test/support/node22-tools.ts); the server runs on the
// project's Node 20. The suite's server mode takes only a URL, so a loopback proxy adds the
// bearer token (test/support/bearer-proxy.ts); Host and Origin checks stay the server's own.
//
// Every scenario is either expected to pass (no failing check, the warnings listed) or listed as
// not applicable with the reason and the failure text that shows the reason is the real one. A
// scenario that changes side, or a new scenario after an upgrade, fails this test until it is
// classified here and in the README.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startBearerProxy } from '../support/bearer-proxy.js';
import { cliEnv } from '../support/cli.js';
import { startHttpServerProcess } from '../support/mcp-eras.js';
import { node22, toolBin } from '../support/node22-tools.js';

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | string;
  errorMessage?: string;
}

type Mode = 'stateful' | 'stateless';
// No event store, so no resumable SSE: the priming event and `retry:` are "recommended" (SEP-1699);
// the reconnection check needs the suite's own `test_reconnection` tool and reports INFO only.
const NOT_RESUMABLE = ['server-sse-priming-event', 'server-sse-retry-field'];

/** Scenarios crdb-tls passes: no FAILURE check, exactly these WARNING checks in each mode. */
const PASSES: Record<string, Record<Mode, string[]>> = {
  'server-initialize': { stateful: [], stateless: [] },
  ping: { stateful: [], stateless: [] },
  'tools-list': { stateful: [], stateless: [] },
  'resources-list': { stateful: [], stateless: [] },
  'dns-rebinding-protection': { stateful: [], stateless: [] },
  // Stateless hands out no Mcp-Session-Id, which is the point of it; the suite notes that.
  'server-sse-multiple-streams': { stateful: [], stateless: ['server-sse-multiple-streams-session'] },
  'server-sse-polling': { stateful: NOT_RESUMABLE, stateless: [...NOT_RESUMABLE, 'server-sse-polling-session'] },
};

const FIXTURE_TOOL = /Tool '?test_\w+'? not found/;
const NO_METHOD = /MCP error -32601: Method not found/;

/** Scenarios that cannot apply, why, and the failure text that shows that is the reason. */
const NOT_APPLICABLE: Record<string, { reason: string; failsWith: RegExp }> = {
  'logging-set-level': { reason: 'no `logging` capability: logs go to stderr and the audit trail, never into the MCP stream', failsWith: NO_METHOD },
  'tools-call-with-logging': { reason: 'calls logging/setLevel first; no `logging` capability (as above)', failsWith: NO_METHOD },
  'completion-complete': { reason: 'no prompts or resource templates, so no `completions` capability', failsWith: NO_METHOD },
  'prompts-list': { reason: 'no `prompts` capability: crdb-tls serves tools', failsWith: NO_METHOD },
  'prompts-get-simple': { reason: 'no `prompts` capability', failsWith: NO_METHOD },
  'prompts-get-with-args': { reason: 'no `prompts` capability', failsWith: NO_METHOD },
  'prompts-get-embedded-resource': { reason: 'no `prompts` capability', failsWith: NO_METHOD },
  'prompts-get-with-image': { reason: 'no `prompts` capability', failsWith: NO_METHOD },
  'resources-subscribe': { reason: 'resources are static MCP Apps pages: no `resources.subscribe`', failsWith: NO_METHOD },
  'resources-unsubscribe': { reason: 'no `resources.subscribe` (as above)', failsWith: NO_METHOD },
  'resources-read-text': { reason: "reads the suite's fixture resource test://static-text", failsWith: /Resource not found: test:\/\/static-text/ },
  'resources-read-binary': { reason: "reads the suite's fixture resource test://static-binary", failsWith: /Resource not found: test:\/\/static-binary/ },
  'resources-templates-read': { reason: "reads the suite's fixture template test://template/{id}/data", failsWith: /Resource not found: test:\/\/template\// },
  'tools-call-simple-text': { reason: "calls the suite's fixture tool test_simple_text", failsWith: FIXTURE_TOOL },
  'tools-call-image': { reason: 'fixture tool test_image_content', failsWith: FIXTURE_TOOL },
  'tools-call-audio': { reason: 'fixture tool test_audio_content', failsWith: FIXTURE_TOOL },
  'tools-call-embedded-resource': { reason: 'fixture tool test_embedded_resource', failsWith: FIXTURE_TOOL },
  'tools-call-mixed-content': { reason: 'fixture tool test_multiple_content_types', failsWith: FIXTURE_TOOL },
  'tools-call-error': { reason: 'fixture tool test_error_handling (tool errors: test/support/tool-errors.ts)', failsWith: FIXTURE_TOOL },
  'tools-call-with-progress': { reason: 'fixture tool test_tool_with_progress (progress: mcp-progress.test.ts)', failsWith: FIXTURE_TOOL },
  'tools-call-sampling': { reason: 'fixture tool test_sampling; crdb-tls never asks the model (sampling) for anything', failsWith: FIXTURE_TOOL },
  'tools-call-elicitation': { reason: 'fixture tool test_elicitation (the gate form: mcp-confirm.test.ts)', failsWith: FIXTURE_TOOL },
  'elicitation-sep1034-defaults': { reason: 'fixture tool test_elicitation_sep1034_defaults', failsWith: FIXTURE_TOOL },
  'elicitation-sep1330-enums': { reason: 'fixture tool test_elicitation_sep1330_enums', failsWith: FIXTURE_TOOL },
  'json-schema-2020-12': { reason: 'fixture tool json_schema_2020_12_tool (our schemas: mcp-schemas-strict, mcp-inspector)', failsWith: /Tool 'json_schema_2020_12_tool' not found/ },
};

const TOKEN = crypto.randomBytes(24).toString('hex');
let base = '';

/** Starts the server (mode's flags) behind the token proxy, runs every scenario, returns checks by scenario. */
async function runSuite(mode: Mode, flags: string[], extraEnv: Record<string, string>): Promise<{ results: Map<string, Check[]>; capabilities: Record<string, unknown> }> {
  const work = path.join(base, mode);
  fs.mkdirSync(path.join(work, 'certs'), { recursive: true, mode: 0o700 });
  // The suite opens a session per scenario and closes none; the per-token cap (16) would refuse the 17th.
  const env = cliEnv({ CRDB_TLS_HTTP_TOKEN: TOKEN, CRDB_TLS_ROOTS: work, CRDB_TLS_STATE_DIR: path.join(work, 'state'), CRDB_TLS_MCP_MAX_SESSIONS_PER_TOKEN: '64', ...extraEnv });
  const server = await startHttpServerProcess(env as Record<string, string>, work, flags);
  const proxy = await startBearerProxy(server.url, TOKEN);
  try {
    const client = new Client({ name: 'conformance-capabilities', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
    const capabilities = { ...client.getServerCapabilities() };
    await client.close();

    const out = path.join(work, 'results');
    const suite = toolBin('@modelcontextprotocol/conformance', 'conformance');
    // Exit 1 is expected (the not-applicable scenarios fail); what counts is each scenario's checks.
    await promisify(execFile)(node22(), [suite, 'server', '--url', proxy.url, '--suite', 'all', '-o', out], { cwd: work, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }).catch((error: { code?: unknown; stderr?: string }) => {
      if (error.code !== 1) throw new Error(`the conformance suite did not finish (${String(error.code)}): ${error.stderr ?? ''}`);
    });
    const results = new Map<string, Check[]>();
    for (const entry of fs.readdirSync(out)) {
      const name = /^server-(.+)-\d{4}-\d\d-\d\dT/.exec(entry)?.[1];
      assert.ok(name, `a result folder named server-<scenario>-<time>: ${entry}`);
      results.set(name, JSON.parse(fs.readFileSync(path.join(out, entry, 'checks.json'), 'utf8')) as Check[]);
    }
    return { results, capabilities };
  } finally {
    await proxy.close();
    await server.stop();
  }
}

before(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-conformance-')));
});
after(() => fs.rmSync(base, { recursive: true, force: true }));

const MODES: Array<{ mode: Mode; flags: string[]; env: Record<string, string> }> = [
  { mode: 'stateful', flags: [], env: {} },
  { mode: 'stateless', flags: ['--stateless'], env: { CRDB_TLS_MCP_STATE_KEY: crypto.randomBytes(32).toString('hex') } },
];

for (const { mode, flags, env } of MODES) {
  describe(`official MCP conformance suite, server side, against crdb-tls mcp --http (${mode})`, () => {
    let results = new Map<string, Check[]>();
    let capabilities: Record<string, unknown> = {};
    before(async () => {
      ({ results, capabilities } = await runSuite(mode, flags, env));
    });

    test('every scenario the suite ran is classified here, and every classified one ran', () => {
      const ran = [...results.keys()].sort();
      const classified = [...Object.keys(PASSES), ...Object.keys(NOT_APPLICABLE)].sort();
      assert.deepEqual(ran, classified);
    });

    test('the scenarios crdb-tls should pass have no failing check and only the listed warnings', (t) => {
      const seen: Record<string, { failed: Check[]; warnings: string[] }> = {};
      const expected: typeof seen = {};
      for (const [scenario, warnings] of Object.entries(PASSES)) {
        const checks = results.get(scenario) ?? [];
        seen[scenario] = { failed: checks.filter((c) => c.status === 'FAILURE'), warnings: checks.filter((c) => c.status === 'WARNING').map((c) => c.id).sort() };
        expected[scenario] = { failed: [], warnings: [...warnings[mode]].sort() };
        t.diagnostic(`pass ${scenario}: ${checks.filter((c) => c.status === 'SUCCESS').length} checks succeeded, warnings: ${seen[scenario].warnings.join(', ') || 'none'}`);
      }
      assert.deepEqual(seen, expected);
      const succeeded = [...Object.keys(PASSES)].filter((s) => results.get(s)?.some((c) => c.status === 'SUCCESS'));
      assert.ok(succeeded.length >= 5, `passing scenarios with a succeeding check: ${succeeded.join(', ')}`);
    });

    test('each not-applicable scenario fails for its stated reason and no other', (t) => {
      for (const [scenario, { reason, failsWith }] of Object.entries(NOT_APPLICABLE)) {
        const failed = (results.get(scenario) ?? []).filter((c) => c.status === 'FAILURE');
        assert.ok(failed.length > 0, `${scenario} no longer fails: move it to PASSES (and the README)`);
        for (const check of failed) assert.match(check.errorMessage ?? '', failsWith, `${scenario} (${check.id}) fails for another reason than: ${reason}`);
        t.diagnostic(`not applicable ${scenario}: ${reason}`);
      }
    });

    test('the capabilities the not-applicable reasons rest on are really not declared', () => {
      assert.ok(capabilities.tools, 'tools are declared');
      for (const absent of ['logging', 'prompts', 'completions']) assert.equal(capabilities[absent], undefined, `${absent} is not declared`);
      assert.equal((capabilities.resources as { subscribe?: boolean } | undefined)?.subscribe, undefined, 'resources.subscribe is not declared');
    });
  });
}
