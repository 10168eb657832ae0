// The npm package as a person installs it: `npm pack` (which builds first), then `npm install`
// of that tarball into an empty prefix. The package holds the bundle (an entry and the chunks it
// loads on demand) and its README, nothing of
// the sources or tests; the installed `crdb-tls` runs, serves MCP over stdio with the whole
// catalog, and finds @slack/bolt (the one dependency the bundle leaves out) for `crdb-tls slack`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { catalog } from '../../tools/catalog.js';
import { REPO_ROOT } from '../support/cli.js';

const packageJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
let base = '';
let installedBin = '';
let packedFiles: string[] = [];

function npm(args: string[], cwd: string): string {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
  assert.equal(result.status, 0, `npm ${args.join(' ')} exited ${result.status}: ${result.stderr.slice(-2000)}`);
  return result.stdout;
}

before(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-npm-package-')));
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', base], REPO_ROOT)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packedFiles = packed[0]!.files.map((f) => f.path).sort();
  // --prefer-offline: CI's `npm ci` has just filled the cache with every dependency.
  npm(['install', '--prefix', path.join(base, 'prefix'), '--prefer-offline', path.join(base, packed[0]!.filename)], base);
  installedBin = path.join(base, 'prefix', 'node_modules', '.bin', 'crdb-tls');
});

after(() => {
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

describe('the npm package', () => {
  test('holds the bundle (its two entries and every chunk they load, no source maps), package.json and README only', () => {
    const chunks = fs.readdirSync(path.join(REPO_ROOT, 'dist', 'chunks')).filter((name) => /\.[cm]js$/.test(name)).map((name) => `dist/chunks/${name}`);
    assert.ok(chunks.length > 0, 'the build splits the bundle into dist/chunks');
    assert.ok(chunks.some((name) => /\/diagnose-lane-[A-Z0-9]+\.cjs$/.test(name)), 'the installed command\'s diagnose lane is packed');
    assert.deepEqual(packedFiles, ['README.md', 'dist/crdb-tls.cjs', 'dist/crdb-tls.mjs', ...chunks, 'package.json'].sort());
  });

  test('installed, `crdb-tls diagnose` loads the tool\'s chunks and answers', () => {
    const result = spawnSync(installedBin, ['diagnose', 'x509: certificate signed by unknown authority', '--json'], { encoding: 'utf8', cwd: base, env: { ...process.env, CRDB_TLS_STATE_DIR: path.join(base, 'state') } });
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { code: string }).code, 'untrusted_server_ca');
  });

  test('installed, `crdb-tls --version` prints the package version', () => {
    const result = spawnSync(installedBin, ['--version'], { encoding: 'utf8', cwd: base });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), packageJson.version);
  });

  test('installed, `crdb-tls mcp` lists the whole catalog over stdio', async () => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('CRDB_TLS_') && !key.startsWith('COCKROACH_')) env[key] = value;
    const client = new Client({ name: 'npm-package-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: installedBin, args: ['mcp'], cwd: base, env: { ...env, CRDB_TLS_STATE_DIR: path.join(base, 'state') }, stderr: 'ignore' }));
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), catalog.map((t) => t.name).sort());
    } finally {
      await client.close();
    }
  });

  test('installed, `crdb-tls slack` loads @slack/bolt from the installed dependencies', () => {
    const result = spawnSync(installedBin, ['slack', '--port', '0'], {
      encoding: 'utf8',
      cwd: base,
      timeout: 60_000,
      // A Web API that is not there (port 9, discard): Bolt's own client fails auth.test and the
      // start stops with one line, which only a loaded Bolt can get to.
      env: { ...process.env, SLACK_BOT_TOKEN: 'xoxb-npm-package-test', SLACK_SIGNING_SECRET: 'npm-package-test-signing-secret', SLACK_API_URL: 'http://127.0.0.1:9/api/', CRDB_TLS_STATE_DIR: path.join(base, 'state') },
    });
    assert.doesNotMatch(result.stderr, /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/, result.stderr);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr.trim().split('\n').at(-1)!, /^crdb-tls: cannot reach Slack's Web API at http:\/\/127\.0\.0\.1:9\/api\/: /);
  });
});
