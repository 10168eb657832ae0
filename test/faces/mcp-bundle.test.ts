// The MCP Bundle: manifest.json at the top level, validated by the bundle CLI itself
// (`mcpb validate`), declaring exactly the tools the server lists, packed by `mcpb pack` with only
// what the installed bundle needs, and started the way a host starts it: the manifest's own
// mcp_config with ${__dirname}, ${HOME} and ${user_config.*} substituted, from the unpacked files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { CLI_BUNDLE, REPO_ROOT } from '../support/cli.js';

const MCPB = path.join(REPO_ROOT, 'node_modules', '.bin', 'mcpb');
const FIX = 'run `npm run manifest` to regenerate the manifest\'s tools from the catalog';

interface UserConfigField { type: string; default?: string | number | boolean | string[]; sensitive?: boolean; required?: boolean }
interface McpConfig { command: string; args: string[]; env: Record<string, string> }
interface Manifest {
  manifest_version: string;
  name: string;
  version: string;
  server: { type: string; entry_point: string; mcp_config: McpConfig };
  user_config: Record<string, UserConfigField>;
  tools: Array<{ name: string; description: string }>;
  compatibility: { runtimes: { node: string } };
}

const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'manifest.json'), 'utf8')) as Manifest;
const packageJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

/** The environment a host gives the server: only what the manifest sets, plus PATH and HOME. */
function hostEnv(home: string, extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...extra };
}

/** ${__dirname}, ${HOME}, ${/} and ${user_config.KEY} as MANIFEST.md defines them. */
function substitute(text: string, vars: { dirname: string; home: string; userConfig: Record<string, string> }): string {
  return text
    .replaceAll('${__dirname}', vars.dirname)
    .replaceAll('${HOME}', vars.home)
    .replaceAll('${/}', path.sep)
    .replaceAll('${pathSeparator}', path.sep)
    .replace(/\$\{user_config\.([A-Za-z0-9_]+)\}/g, (_all, key: string) => vars.userConfig[key] ?? '');
}

async function listTools(command: string, args: string[], env: Record<string, string>, cwd: string): Promise<{ tools: Tool[]; client: Client }> {
  const transport = new StdioClientTransport({ command, args, env, cwd, stderr: 'pipe' });
  transport.stderr?.on('data', () => {});
  const client = new Client({ name: 'bundle-test-host', version: '1.0.0' });
  await client.connect(transport);
  const { tools } = await client.listTools();
  return { tools, client };
}

let base = '';

before(() => {
  assert.ok(fs.existsSync(CLI_BUNDLE), `${CLI_BUNDLE} is missing: run \`npm run build\` first`);
  assert.ok(fs.existsSync(MCPB), `${MCPB} is missing: run npm ci (devDependency @anthropic-ai/mcpb)`);
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-mcpb-')));
});

after(() => {
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

describe('manifest.json, the MCP Bundle manifest', () => {
  test('passes `mcpb validate` (the bundle CLI\'s own schema check)', () => {
    const result = spawnSync(MCPB, ['validate', 'manifest.json'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, `mcpb validate failed:\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /Manifest schema validation passes/);
  });

  test('states manifest_version 0.3 or newer, a node server started as `node <bundle> mcp`, and the version of package.json', () => {
    assert.ok(Number(manifest.manifest_version) >= 0.3, `manifest_version ${manifest.manifest_version}`);
    assert.equal(manifest.version, packageJson.version, `manifest version ${manifest.version} differs from package.json ${packageJson.version}; ${FIX}`);
    assert.equal(manifest.server.type, 'node');
    assert.equal(manifest.server.entry_point, 'dist/crdb-tls.mjs');
    assert.equal(manifest.server.mcp_config.command, 'node');
    assert.deepEqual(manifest.server.mcp_config.args, ['${__dirname}/dist/crdb-tls.mjs', 'mcp']);
    assert.equal(manifest.compatibility.runtimes.node, '>=20.0.0');
  });

  test('asks for the certs dir, the Cloud API key (sensitive), the read-only switch and the confirmation threshold, and passes each to the variable the server reads', () => {
    const { user_config: config } = manifest;
    assert.equal(config.certs_dir?.type, 'directory');
    assert.equal(config.cloud_api_key?.type, 'string');
    assert.equal(config.cloud_api_key?.sensitive, true, 'the API key is masked and stored securely by the host');
    assert.equal(config.read_only?.type, 'boolean');
    assert.equal(config.confirm_threshold?.type, 'string');
    const env = manifest.server.mcp_config.env;
    assert.equal(env.COCKROACH_CERTS_DIR, '${user_config.certs_dir}');
    assert.equal(env.COCKROACH_API_KEY, '${user_config.cloud_api_key}');
    assert.equal(env.CRDB_TLS_READ_ONLY, '${user_config.read_only}');
    assert.equal(env.CRDB_TLS_CONFIRM_THRESHOLD, '${user_config.confirm_threshold}');
    for (const [name, value] of Object.entries(env)) assert.ok(!/\$\{user_config\.cloud_api_key\}/.test(value) || name === 'COCKROACH_API_KEY', `the API key goes to COCKROACH_API_KEY only, not ${name}`);
  });

  test('lists exactly the tools `crdb-tls mcp` lists, in the same order, each described by its title', async () => {
    const home = fs.mkdtempSync(path.join(base, 'home-'));
    const { tools, client } = await listTools(process.execPath, [CLI_BUNDLE, 'mcp'], hostEnv(home, { CRDB_TLS_STATE_DIR: path.join(home, 'state') }), home);
    await client.close();
    const listed = tools.map((tool) => ({ name: tool.name, description: tool.title ?? '' }));
    const declared = manifest.tools.map((t) => t.name);
    const missing = listed.map((t) => t.name).filter((n) => !declared.includes(n));
    const extra = declared.filter((n) => !listed.some((t) => t.name === n));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `manifest.json and the server disagree; ${FIX}`);
    assert.deepEqual(manifest.tools, listed, `the manifest's tool order or descriptions differ from tools/list; ${FIX}`);
  });
});

describe('npm run bundle: the packed .mcpb', () => {
  let unpacked = '';
  let packLog = '';

  before(() => {
    const out = path.join(base, 'crdb-tls.mcpb');
    const pack = spawnSync(MCPB, ['pack', '.', out], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
    packLog = `${pack.stdout}\n${pack.stderr}`;
    assert.equal(pack.status, 0, `mcpb pack failed:\n${packLog}`);
    unpacked = path.join(base, 'installed');
    const unpack = spawnSync(MCPB, ['unpack', out, unpacked], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(unpack.status, 0, `mcpb unpack failed:\n${unpack.stdout}\n${unpack.stderr}`);
  });

  test('holds only the bundled server (its entry and every chunk it loads, no source maps), the manifest and the README (.mcpbignore)', () => {
    const files = (fs.readdirSync(unpacked, { recursive: true, encoding: 'utf8' }) as string[]).filter((rel) => fs.statSync(path.join(unpacked, rel)).isFile()).sort();
    const chunks = fs.readdirSync(path.join(REPO_ROOT, 'dist', 'chunks')).filter((name) => name.endsWith('.mjs')).map((name) => path.join('dist', 'chunks', name));
    assert.ok(chunks.length > 0, 'the build splits the bundle into dist/chunks');
    assert.deepEqual(files, ['README.md', path.join('dist', 'crdb-tls.mjs'), ...chunks, 'manifest.json'].sort(), packLog);
  });

  test('starts from the unpacked files with the manifest\'s own command and environment, and lists the manifest\'s tools', async () => {
    const home = fs.mkdtempSync(path.join(base, 'home-'));
    const certsDir = path.join(base, 'elsewhere', 'my-certs');
    fs.mkdirSync(certsDir, { recursive: true });
    const userConfig = { certs_dir: certsDir, cloud_api_key: '', read_only: 'false', confirm_threshold: 'medium' };
    const vars = { dirname: unpacked, home, userConfig };
    const { command, args, env } = manifest.server.mcp_config;
    const substitutedEnv = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, substitute(v, vars)]));
    // A host's working directory has nothing to do with the bundle; the state dir goes to the temp home.
    const { tools, client } = await listTools(command === 'node' ? process.execPath : command, args.map((a) => substitute(a, vars)), hostEnv(home, { ...substitutedEnv, XDG_STATE_HOME: path.join(home, 'state') }), home);
    try {
      assert.deepEqual(tools.map((t) => t.name), manifest.tools.map((t) => t.name));
      // The certs dir the person picked lies outside the default roots; the manifest's CRDB_TLS_ROOTS lets file tools in.
      const listing = await client.callTool({ name: 'list_certs', arguments: {} });
      assert.notEqual(listing.isError, true, JSON.stringify(listing.content));
      assert.equal((listing.structuredContent as { certs_dir: string }).certs_dir, certsDir);
    } finally {
      await client.close();
    }
  });

  test('with the read-only switch on, the server hides every tool that changes something', async () => {
    const home = fs.mkdtempSync(path.join(base, 'home-'));
    const vars = { dirname: unpacked, home, userConfig: { certs_dir: path.join(home, '.cockroach-certs'), cloud_api_key: '', read_only: 'true', confirm_threshold: 'medium' } };
    const env = Object.fromEntries(Object.entries(manifest.server.mcp_config.env).map(([k, v]) => [k, substitute(v, vars)]));
    const { tools, client } = await listTools(process.execPath, manifest.server.mcp_config.args.map((a) => substitute(a, vars)), hostEnv(home, { ...env, XDG_STATE_HOME: path.join(home, 'state') }), home);
    await client.close();
    const names = tools.map((t) => t.name);
    assert.ok(names.length > 0 && names.length < manifest.tools.length, `read-only lists ${names.length} of ${manifest.tools.length}`);
    // plan_rotation stays: it records its plan in the store (so not readOnlyHint) but changes nothing on disk or the cluster.
    for (const tool of tools) assert.equal(tool.annotations?.readOnlyHint, tool.name !== 'plan_rotation', `${tool.name} is listed in read-only mode`);
    for (const tool of tools) assert.equal(tool.annotations?.destructiveHint, false, `${tool.name} is listed in read-only mode and destructive`);
    for (const name of names) assert.ok(manifest.tools.some((t) => t.name === name), `${name} is not in the manifest`);
  });

  test('a host that passes a blank optional field through as a literal ${user_config.…} placeholder gets a working server that treats it as unset', async () => {
    const home = fs.mkdtempSync(path.join(base, 'home-'));
    // Every user_config placeholder left unfilled, ${__dirname} and ${HOME} filled.
    const env = Object.fromEntries(Object.entries(manifest.server.mcp_config.env).map(([k, v]) => [k, v.replaceAll('${HOME}', home)]));
    const { tools, client } = await listTools(process.execPath, [path.join(unpacked, 'dist', 'crdb-tls.mjs'), 'mcp'], hostEnv(home, { ...env, XDG_STATE_HOME: path.join(home, 'state') }), home);
    try {
      assert.deepEqual(tools.map((t) => t.name), manifest.tools.map((t) => t.name), 'read-only is off and every tool is listed');
      const clientCa = await client.callTool({ name: 'get_client_ca', arguments: { cluster_id: 'f1b9d2c4-0000-4000-8000-000000000000' } });
      assert.equal(clientCa.isError, true);
      const text = (clientCa.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');
      assert.match(text, /no CockroachDB Cloud API key/, 'the placeholder is not sent as a key');
    } finally {
      await client.close();
    }
  });
});
