// An MCP client that starts `crdb-tls mcp` in `/` or in $HOME (issue 14) must not hand the server
// the whole disk as a root: with CRDB_TLS_ROOTS unset, a certs dir outside ~/.cockroach-certs and
// ~/.postgresql is refused, while the same server started in a project directory may use it.
// `config check` says which roots are in force and why the working directory is not one.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI_BUNDLE, runCli } from '../support/cli.js';

let base = '';
let home = '';
let project = '';

/** The environment of an IDE: PATH and HOME, none of crdb-tls's variables. */
const ideEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, CRDB_TLS_STATE_DIR: path.join(base, 'state') });

async function listCertsFrom(cwd: string, certsDir: string) {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI_BUNDLE, 'mcp'], cwd, env: ideEnv(), stderr: 'pipe' });
  transport.stderr?.on('data', () => {});
  const client = new Client({ name: 'roots-test', version: '1.0.0' });
  await client.connect(transport);
  try {
    return await client.callTool({ name: 'list_certs', arguments: { certs_dir: certsDir } });
  } finally {
    await client.close();
  }
}

const textOf = (result: Awaited<ReturnType<typeof listCertsFrom>>) => (result.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');

before(() => {
  assert.ok(fs.existsSync(CLI_BUNDLE), `${CLI_BUNDLE} is missing: run \`npm run build\` first`);
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-mcp-roots-')));
  home = path.join(base, 'home');
  project = path.join(home, 'project');
  fs.mkdirSync(path.join(project, 'certs'), { recursive: true });
});
after(() => fs.rmSync(base, { recursive: true, force: true }));

describe('the working directory as a default root over MCP', () => {
  for (const where of ['/', '$HOME'] as const) {
    test(`started in ${where}, the server refuses a certs dir under it that is not one of the conventional places`, async () => {
      const cwd = where === '/' ? '/' : home;
      const result = await listCertsFrom(cwd, path.join(project, 'certs'));
      assert.equal(result.isError, true, `list_certs was allowed: ${textOf(result)}`);
      assert.match(textOf(result), /outside the allowed directories/);
      assert.match(textOf(result), new RegExp(`Allowed: ${path.join(home, '.cockroach-certs')}, ${path.join(home, '.postgresql')}\\.`));
    });
  }

  test('started in a project directory, the server may list a certs dir inside it', async () => {
    const result = await listCertsFrom(project, 'certs');
    assert.notEqual(result.isError, true, textOf(result));
  });

  test('config check run in $HOME shows the roots in force and says that the working directory is left out', () => {
    const run = runCli(['config', 'check', '--json'], { cwd: home, env: ideEnv() });
    const roots = (JSON.parse(run.stdout) as { variables: Array<{ name: string; message: string }> }).variables.find((v) => v.name === 'CRDB_TLS_ROOTS')!;
    assert.equal(roots.message, `CLI: unrestricted; MCP and Slack: ${path.join(home, '.cockroach-certs')}, ${path.join(home, '.postgresql')} (the working directory ${home} is left out: it holds the whole tree; set CRDB_TLS_ROOTS to the directories the tools may use)`);
  });
});
