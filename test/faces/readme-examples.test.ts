// The README's examples are run as written, so that they cannot rot: every fenced block after an
// `<!-- example -->` marker runs line by line in a fresh directory, with `crdb-tls` on PATH being
// the built bundle, and every line must succeed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { CLI_BUNDLE, REPO_ROOT, cliEnv } from '../support/cli.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-readme-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function exampleBlocks(markdown: string): string[][] {
  const blocks: string[][] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('<!-- example')) continue;
    assert.match(lines[i + 1] ?? '', /^```sh$/, `README line ${i + 2}: an example marker must be followed by a sh block`);
    const body: string[] = [];
    for (i += 2; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    blocks.push(body.filter((line) => line.trim() && !line.trim().startsWith('#')));
  }
  return blocks;
}

test('every README example runs as written and succeeds', () => {
  const blocks = exampleBlocks(fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'));
  assert.ok(blocks.length > 0, 'the README has no example blocks');
  const bin = path.join(work, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'crdb-tls'), `#!/bin/sh\nexec "${process.execPath}" "${CLI_BUNDLE}" "$@"\n`, { mode: 0o755 });
  const home = path.join(work, 'home');
  fs.mkdirSync(home);
  const env = cliEnv({ PATH: `${bin}:${process.env.PATH}`, HOME: home, CRDB_TLS_STATE_DIR: path.join(work, 'state') });
  let ran = 0;
  for (const block of blocks) {
    for (const line of block) {
      const result = spawnSync('/bin/sh', ['-c', line], { cwd: work, env, encoding: 'utf8', input: '', timeout: 60_000 });
      assert.equal(result.status, 0, `README example failed (exit ${result.status}): ${line}\n${result.stderr}`);
      ran++;
    }
  }
  assert.ok(ran >= 5, `only ${ran} example lines ran`);
  // The examples did what they say: the certs exist and the listing found them.
  for (const file of ['ca.crt', 'node.crt', 'node.key', 'client.alice.crt', 'client.alice.key', 'client.alice.key.pk8']) {
    assert.ok(fs.existsSync(path.join(work, 'certs', file)), `${file} was not created by the README examples`);
  }
});
