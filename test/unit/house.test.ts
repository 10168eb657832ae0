// The house rules (docs/architecture.md, scripts/house.ts): the real tree passes, and a tree with
// a deliberate circle, an upward import or an overlong file fails, each with a line that names it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { withCurrentDiagram } from '../../scripts/check-house.js';
import { checkHouse } from '../../scripts/house.js';

const repo = path.resolve(import.meta.dirname, '../..');
const scratch: string[] = [];
after(() => scratch.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A tiny tree: each entry a path and the modules it imports (`./x.js` style, relative to it). */
function tree(files: Record<string, string[] | string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-house-'));
  scratch.push(root);
  for (const [file, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    const text = typeof body === 'string' ? body : body.map((spec, i) => `import type { T${i} } from '${spec}';\n`).join('') + 'export type T = 1;\n';
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

function runChecker(root: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(repo, 'scripts/check-house.ts'), root], { cwd: repo, encoding: 'utf8' });
}

describe('the house rules', () => {
  test('the product tree passes: no circle, imports point down, no file over 400 lines', () => {
    const result = runChecker(repo);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^house ok: \d+ modules/);
  });

  test('a deliberate circle between two modules fails, naming both', () => {
    const root = tree({ 'src/pki/a.ts': ['./b.js'], 'src/pki/b.ts': ['./a.js'] });
    const result = runChecker(root);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /import circle: src\/pki\/a\.ts → src\/pki\/b\.ts → src\/pki\/a\.ts/);
  });

  test('a circle made of type imports and a dynamic import still counts', () => {
    const root = tree({ 'src/gate/a.ts': ['./b.js'], 'src/gate/b.ts': "export async function f() { return import('./a.js'); }\n" });
    assert.match(checkHouse(root).problems.join('\n'), /import circle: src\/gate\/a\.ts → src\/gate\/b\.ts/);
  });

  test('the domain importing a face, or the gate importing the tool contract, fails', () => {
    const root = tree({ 'src/slack/face.ts': [], 'src/core/tool.ts': [], 'src/net/probe.ts': ['../slack/face.js'], 'src/gate/gate.ts': ['../core/tool.js'] });
    const problems = checkHouse(root).problems.join('\n');
    assert.match(problems, /src\/net\/probe\.ts imports src\/slack\/face\.ts: net \(domain\) may not import slack \(faces, a floor above\)/);
    assert.match(problems, /src\/gate\/gate\.ts imports src\/core\/tool\.ts: gate \(gate and store\) may not import core \(contract, a floor above\)/);
  });

  test('the foundation of core is open to every floor, but may not reach up itself', () => {
    const ok = tree({ 'src/core/errors.ts': [], 'src/store/types.ts': ['../core/errors.js'] });
    assert.deepEqual(checkHouse(ok).problems, []);
    const up = tree({ 'src/core/errors.ts': ['../pki/pem.js'], 'src/pki/pem.ts': [] });
    assert.match(checkHouse(up).problems.join('\n'), /core\/errors\.ts imports src\/pki\/pem\.ts: core\/foundation \(foundation\) may not import pki/);
  });

  test('two rooms of one floor importing each other make a room circle', () => {
    const root = tree({ 'src/net/a.ts': ['../pki/b.js'], 'src/pki/b.ts': [], 'src/pki/c.ts': ['../net/d.js'], 'src/net/d.ts': [] });
    assert.match(checkHouse(root).problems.join('\n'), /room circle: (net → pki → net|pki → net → pki)/);
  });

  test('a room on no floor, and a file over 400 lines, fail', () => {
    const root = tree({ 'src/attic/x.ts': [], 'src/pki/long.ts': 'export const x = 1;\n'.repeat(401) });
    const problems = checkHouse(root).problems.join('\n');
    assert.match(problems, /src\/attic\/x\.ts: room attic is on no floor/);
    assert.match(problems, /src\/pki\/long\.ts: 401 lines, over 400/);
  });

  test('the rooms diagram in docs/architecture.md is the one the import graph draws', () => {
    const doc = fs.readFileSync(path.join(repo, 'docs/architecture.md'), 'utf8');
    const current = withCurrentDiagram(doc, repo);
    assert.notEqual(current, null, 'docs/architecture.md has no generated diagram section');
    assert.equal(doc, current, 'run node --import tsx scripts/check-house.ts --write-docs');
  });
});
