// AllowedPaths (DESIGN.md §5): faces that act for someone else may only touch files under their
// roots, judged after following symlinks the way the OS will.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ToolError } from '../../src/core/errors.js';
import { AllowedPaths } from '../../src/core/paths.js';
import { toolErrorThrownBy } from '../support/tool-errors.js';

let base: string;
let root: string;
let outside: string;

before(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-paths-'));
  root = path.join(base, 'certs-root');
  outside = path.join(base, 'elsewhere');
  fs.mkdirSync(root);
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.key'), 'not yours');
  fs.writeFileSync(path.join(root, 'ca.crt'), 'inside');
});
after(() => fs.rmSync(base, { recursive: true, force: true }));

const refusal = (paths: AllowedPaths, userPath: string) => toolErrorThrownBy(() => paths.resolve(userPath, 'certs dir'), `${userPath} was allowed but lies outside the roots`);

describe('paths allowed to the tools', () => {
  test('an existing file inside a root is allowed, as its absolute path', () => {
    const paths = new AllowedPaths([root]);
    assert.equal(paths.resolve(path.join(root, 'ca.crt')), path.join(root, 'ca.crt'));
  });

  test('a file that does not exist yet inside a root is allowed (a certificate about to be written)', () => {
    const paths = new AllowedPaths([root]);
    const target = path.join(root, 'client.alice.crt');
    assert.ok(!fs.existsSync(target));
    assert.equal(paths.resolve(target), target);
    const deeper = path.join(root, 'new-dir', 'node.crt');
    assert.equal(paths.resolve(deeper), deeper);
  });

  test('a path outside every root is refused with outside_roots, naming the path and the allowed roots', () => {
    const paths = new AllowedPaths([root]);
    const target = path.join(outside, 'secret.key');
    const error = refusal(paths, target);
    assert.equal(error.code, 'outside_roots');
    assert.match(error.message, /secret\.key/);
    assert.match(error.hint ?? '', /certs-root/);
  });

  test('climbing out with .. is refused', () => {
    const paths = new AllowedPaths([root]);
    assert.equal(refusal(paths, path.join(root, '..', 'elsewhere', 'secret.key')).code, 'outside_roots');
  });

  test('a sibling whose name merely starts like the root is refused', () => {
    const sibling = `${root}-evil`;
    fs.mkdirSync(sibling, { recursive: true });
    assert.equal(refusal(new AllowedPaths([root]), path.join(sibling, 'ca.crt')).code, 'outside_roots');
  });

  test('a symlink inside a root that points to a file outside it is refused', () => {
    const link = path.join(root, 'innocent.key');
    fs.symlinkSync(path.join(outside, 'secret.key'), link);
    assert.equal(refusal(new AllowedPaths([root]), link).code, 'outside_roots');
  });

  test('a new file under a symlinked directory that leads outside the root is refused', () => {
    const linkDir = path.join(root, 'shortcut');
    fs.symlinkSync(outside, linkDir);
    const target = path.join(linkDir, 'node.key');
    assert.ok(!fs.existsSync(target));
    assert.equal(refusal(new AllowedPaths([root]), target).code, 'outside_roots');
  });

  test('a root reached through a symlink still allows its files', () => {
    const rootLink = path.join(base, 'root-link');
    fs.symlinkSync(root, rootLink);
    const paths = new AllowedPaths([rootLink]);
    assert.equal(paths.resolve(path.join(root, 'ca.crt')), path.join(root, 'ca.crt'));
    assert.equal(paths.resolve(path.join(rootLink, 'ca.crt')), path.join(rootLink, 'ca.crt'));
  });

  test('without roots (the CLI without CRDB_TLS_ROOTS) every path is allowed', () => {
    const paths = new AllowedPaths(undefined);
    assert.equal(paths.resolve(path.join(outside, 'secret.key')), path.join(outside, 'secret.key'));
  });

  test('an empty path is refused as invalid input', () => {
    const error = refusal(new AllowedPaths([root]), '  ');
    assert.equal(error.code, 'invalid_input');
  });
});

test('a dangling symlink inside a root that points outside it is refused', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-dangling-'));
  try {
    fs.symlinkSync('/nonexistent-crdb-tls-target/ca.crt', path.join(root, 'ca.crt'));
    const paths = new AllowedPaths([root]);
    assert.throws(() => paths.resolve(path.join(root, 'ca.crt')), (error: ToolError) => error.code === 'outside_roots');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
