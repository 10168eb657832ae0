// The roots over MCP and Slack when CRDB_TLS_ROOTS is unset (issue 14, DESIGN.md §6): the working
// directory counts only when it does not hold the user's whole tree. An IDE that starts the server
// in `/` or in $HOME must not give a prompt-injected assistant every file of the user.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultRoots, holdsWholeTree, loadConfig } from '../../src/core/config.js';

let base = '';
let home = '';

before(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-roots-')));
  home = path.join(base, 'users', 'alice');
  fs.mkdirSync(path.join(home, 'project'), { recursive: true });
  fs.symlinkSync(home, path.join(base, 'alice-link'));
});
after(() => fs.rmSync(base, { recursive: true, force: true }));

describe('which working directory becomes a default root', () => {
  test('/, $HOME, every directory above $HOME and the places homes live are left out', () => {
    for (const dir of ['/', home, path.join(base, 'users'), base, '/home', '/root', '/Users', path.join(base, 'alice-link')]) {
      assert.equal(holdsWholeTree(dir, home), true, dir);
      const { roots, cwdLeftOut } = defaultRoots(dir, home);
      assert.equal(cwdLeftOut, dir);
      assert.deepEqual(roots, [path.join(home, '.cockroach-certs'), path.join(home, '.postgresql')], `no root for ${dir} but the conventional two`);
    }
  });

  test('a project directory under $HOME, or one elsewhere, is a root as before', () => {
    for (const dir of [path.join(home, 'project'), path.join(base, 'users', 'bob'), '/srv/app', '/home/bob']) {
      assert.equal(holdsWholeTree(dir, home), false, dir);
      assert.deepEqual(defaultRoots(dir, home), { roots: [dir, path.join(home, '.cockroach-certs'), path.join(home, '.postgresql')], cwdLeftOut: undefined });
    }
  });

  test('CRDB_TLS_ROOTS, when set, is taken as given, even `/`; the CLI without it is unrestricted', () => {
    assert.deepEqual(loadConfig('mcp', { CRDB_TLS_ROOTS: '/' }).roots, ['/']);
    assert.equal(loadConfig('cli', {}).roots, undefined);
  });
});
