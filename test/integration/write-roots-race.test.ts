// Writes cannot escape the roots (issue 14, DESIGN.md §5): the roots are checked when the call
// starts, a 4096-bit key generation then takes seconds, and an attacker who can change the tree
// (a prompt-injected assistant with a shell, another local user) swaps a directory inside the roots
// for a symlink to one outside. The swap is made from the progress report that the key generation
// sends as it starts, so it always lands while the key is being generated. The call must fail,
// and no file, no key and no staging copy may appear outside the roots (or anywhere).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { findTool } from '../../tools/catalog.js';
import { createRuntime, type Runtime } from '../../src/core/runtime.js';
import type { ToolContext } from '../../src/core/tool.js';
import { createCa } from '../../src/pki/create-ca.js';

const HOUR_MS = 3_600_000;

let base = '';
let inside = '';
let outside = '';
let caKey = '';
let runtime: Runtime;

/** Every file under a directory, as paths relative to it (symlinks listed, not followed). */
function walk(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(prefix, entry.name);
    return entry.isDirectory() ? [relative + '/', ...walk(path.join(dir, entry.name), relative)] : [relative];
  });
}

const privateKeysUnder = (dir: string) => walk(dir).filter((f) => !f.endsWith('/') && !fs.lstatSync(path.join(dir, f)).isSymbolicLink() && fs.readFileSync(path.join(dir, f), 'utf8').includes('PRIVATE KEY'));

/** A tool through the runner as the MCP face calls it, with `onKeyGeneration` run when the key generation reports that it started. */
async function runWithSwap(name: string, input: Record<string, unknown>, onKeyGeneration: () => void) {
  const tool = findTool(name);
  assert.ok(tool, `${name} is not in the catalog`);
  let swapped = false;
  const ctx: ToolContext = {
    config: runtime.config, paths: runtime.paths, log: runtime.log, store: runtime.runner.store, requester: 'test',
    progress: (message) => {
      if (!swapped && /generating a 4096-bit RSA key/.test(message)) {
        swapped = true;
        onKeyGeneration();
      }
    },
  };
  const outcome = await runtime.runner.run(tool, { key_size: 4096, ...input }, ctx);
  assert.ok(swapped, 'the key generation never reported that it started, so nothing was swapped');
  return outcome;
}

before(async () => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-race-')));
  inside = path.join(base, 'inside');
  outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(inside, 'safe'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(outside, { mode: 0o700 });
  caKey = path.join(inside, 'safe', 'ca.key');
  await createCa({ kind: 'ca', certsDir: path.join(inside, 'certs'), caKeyPath: caKey, keySize: 2048, lifetimeMs: 87_840 * HOUR_MS, overwrite: false, allowKeyReuse: false });
  runtime = await createRuntime('mcp', { CRDB_TLS_ROOTS: inside, CRDB_TLS_STATE_DIR: path.join(base, 'state') }, pino({ level: 'silent' }));
});

after(async () => {
  await runtime?.close();
  fs.rmSync(base, { recursive: true, force: true });
});

describe('a directory inside the roots swapped for a symlink to outside during a 4096-bit key generation', () => {
  test('create_client_cert into the certs dir fails as outside_roots and writes nothing outside, and no key is left anywhere', async () => {
    const certs = path.join(inside, 'certs');
    const moved = path.join(outside, 'certs');
    const outcome = await runWithSwap('create_client_cert', { user: 'bob', certs_dir: certs, ca_key: caKey }, () => {
      // The directory (with the CA certificate the call already read) moves out, a symlink takes its place.
      fs.renameSync(certs, moved);
      fs.symlinkSync(moved, certs);
    });
    assert.equal(outcome.ok, false, `the call succeeded: ${outcome.ok && outcome.text}`);
    assert.equal(!outcome.ok && outcome.error.code, 'outside_roots');
    assert.match(!outcome.ok ? outcome.error.message : '', /outside the allowed directories; nothing was written/);
    assert.deepEqual(walk(outside), ['certs/', 'certs/ca.crt'], 'only the CA certificate that was moved out may be outside');
    assert.deepEqual(privateKeysUnder(base), ['inside/safe/ca.key'], 'the only private key anywhere is the CA key that was there before');
  });

  test('create_ca into a certs dir it creates, under a parent swapped meanwhile, creates no directory outside and writes neither the CA key nor ca.crt', async () => {
    const parent = path.join(inside, 'team');
    fs.mkdirSync(parent, { mode: 0o700 });
    const moved = path.join(outside, 'team');
    const newCaKey = path.join(inside, 'safe', 'team-ca.key');
    const outcome = await runWithSwap('create_ca', { certs_dir: path.join(parent, 'certs'), ca_key: newCaKey }, () => {
      fs.renameSync(parent, moved);
      fs.symlinkSync(moved, parent);
    });
    assert.equal(outcome.ok, false, `the call succeeded: ${outcome.ok && outcome.text}`);
    assert.equal(!outcome.ok && outcome.error.code, 'outside_roots');
    assert.deepEqual(walk(outside), ['certs/', 'certs/ca.crt', 'team/'], 'no certs dir and no staging copy may appear outside');
    assert.equal(fs.existsSync(newCaKey), false, 'the CA key is not written when its certificate cannot be');
    assert.deepEqual(privateKeysUnder(base), ['inside/safe/ca.key']);
  });

  test('with nothing swapped the same call writes the key inside, 0600 (the checks above fail for the swap, not always)', async () => {
    const certs = path.join(inside, 'certs');
    // Put back the directory the first test moved out.
    fs.rmSync(certs);
    fs.renameSync(path.join(outside, 'certs'), certs);
    const outcome = await runWithSwap('create_client_cert', { user: 'dave', certs_dir: certs, ca_key: caKey }, () => undefined);
    assert.ok(outcome.ok, `the call failed: ${!outcome.ok && JSON.stringify(outcome.error)}`);
    assert.equal(fs.statSync(path.join(certs, 'client.dave.key')).mode & 0o777, 0o600);
    assert.deepEqual(walk(outside), ['team/']);
  });
});
