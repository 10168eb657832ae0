// writeFilesAtomically: a key without its certificate (or the reverse) must never be left behind,
// nothing is overwritten without permission, and a replaced file keeps its owner and group; its
// mode too, except that a private key is never wider than 0600 (DESIGN.md §5, issue 14; cockroach's
// O_TRUNC would keep whatever bits the old file had, reference §1.3).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { writeFilesAtomically } from '../../src/pki/files.js';
import { toolErrorRejectedBy } from '../support/tool-errors.js';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-files-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const leftovers = (d: string) => fs.readdirSync(d).filter((name) => /\.(tmp|bak)$/.test(name));
const mode = (file: string) => fs.statSync(file).mode & 0o7777;

const failedWrite = (write: Promise<unknown>) => toolErrorRejectedBy(write, 'the write succeeded but should have failed');

describe('writing a key and its certificate all-or-nothing', () => {
  test('a new key and certificate are written with their own modes (0600 key, 0644 cert) whatever the umask', async () => {
    const key = path.join(dir, 'node.key');
    const cert = path.join(dir, 'node.crt');
    const previous = process.umask(0o077);
    try {
      await writeFilesAtomically([
        { path: key, contents: 'KEY', mode: 0o600, overwrite: false },
        { path: cert, contents: 'CERT', mode: 0o644, overwrite: false },
      ]);
    } finally {
      process.umask(previous);
    }
    assert.equal(fs.readFileSync(key, 'utf8'), 'KEY');
    assert.equal(fs.readFileSync(cert, 'utf8'), 'CERT');
    assert.equal(mode(key), 0o600);
    assert.equal(mode(cert), 0o644);
    assert.deepEqual(leftovers(dir), []);
  });

  test("when the second file's directory is missing, the first file is not left behind and no temp file remains", async () => {
    const key = path.join(dir, 'node.key');
    const cert = path.join(dir, 'missing', 'node.crt');
    await failedWrite(writeFilesAtomically([
      { path: key, contents: 'KEY', mode: 0o600, overwrite: false },
      { path: cert, contents: 'CERT', mode: 0o644, overwrite: false },
    ]));
    assert.deepEqual(fs.readdirSync(dir), [], 'nothing may be left in the target directory');
  });

  test('when a directory stands where the second file goes, the first file is not written and no temp file remains', async () => {
    const key = path.join(dir, 'node.key');
    const cert = path.join(dir, 'node.crt');
    fs.mkdirSync(cert);
    for (const overwrite of [false, true]) {
      const error = await failedWrite(writeFilesAtomically([
        { path: key, contents: 'KEY', mode: 0o600, overwrite },
        { path: cert, contents: 'CERT', mode: 0o644, overwrite },
      ]));
      assert.match(error.message, /node\.crt/);
      assert.deepEqual(fs.readdirSync(dir), ['node.crt'], `overwrite=${overwrite}: only the directory that was there may remain`);
      assert.ok(fs.statSync(cert).isDirectory());
    }
  });

  test('when replacing both files fails on the second, the first keeps its old contents and mode', async () => {
    const key = path.join(dir, 'node.key');
    fs.writeFileSync(key, 'OLD KEY', { mode: 0o600 });
    const cert = path.join(dir, 'missing', 'node.crt');
    await failedWrite(writeFilesAtomically([
      { path: key, contents: 'NEW KEY', mode: 0o600, overwrite: true },
      { path: cert, contents: 'NEW CERT', mode: 0o644, overwrite: true },
    ]));
    assert.equal(fs.readFileSync(key, 'utf8'), 'OLD KEY');
    assert.equal(mode(key), 0o600);
    assert.deepEqual(fs.readdirSync(dir), ['node.key']);
  });

  test('an existing file is not overwritten without overwrite, and nothing else is written either', async () => {
    const key = path.join(dir, 'client.alice.key');
    const cert = path.join(dir, 'client.alice.crt');
    fs.writeFileSync(cert, 'OLD CERT', { mode: 0o644 });
    const error = await failedWrite(writeFilesAtomically([
      { path: key, contents: 'NEW KEY', mode: 0o600, overwrite: false },
      { path: cert, contents: 'NEW CERT', mode: 0o644, overwrite: false },
    ]));
    assert.equal(error.code, 'already_exists');
    assert.match(error.message, /client\.alice\.crt/);
    assert.equal(fs.readFileSync(cert, 'utf8'), 'OLD CERT');
    assert.deepEqual(fs.readdirSync(dir), ['client.alice.crt']);
  });

  test('a key replaced over a 0644 file is written 0600, and the write says so', async () => {
    const key = path.join(dir, 'client.bob.key');
    fs.writeFileSync(key, 'OLD KEY');
    fs.chmodSync(key, 0o644);
    const written = await writeFilesAtomically([{ path: key, contents: 'NEW KEY', mode: 0o600, overwrite: true }]);
    assert.equal(fs.readFileSync(key, 'utf8'), 'NEW KEY');
    assert.equal(mode(key), 0o600);
    assert.deepEqual(written, [{ path: key, mode: 0o600, replaced: true }]);
    assert.deepEqual(leftovers(dir), []);
  });

  test('a key replaced over a stricter 0400 file stays 0400; one over 0640, 0660 or 4755 is cut to 0600 or less', async () => {
    for (const [before, after] of [[0o400, 0o400], [0o640, 0o600], [0o660, 0o600], [0o4755, 0o600], [0o200, 0o200]] as const) {
      const key = path.join(dir, 'node.key');
      fs.rmSync(key, { force: true });
      fs.writeFileSync(key, 'OLD KEY');
      fs.chmodSync(key, before);
      const [written] = await writeFilesAtomically([{ path: key, contents: 'NEW KEY', mode: 0o600, overwrite: true }]);
      assert.equal(mode(key), after, `a key that was ${before.toString(8)}`);
      assert.equal(written!.mode, after);
    }
  });

  test('a replaced certificate keeps its own mode (0640 stays 0640, 0444 stays 0444)', async () => {
    for (const before of [0o640, 0o444]) {
      const cert = path.join(dir, 'node.crt');
      fs.rmSync(cert, { force: true });
      fs.writeFileSync(cert, 'OLD CERT');
      fs.chmodSync(cert, before);
      await writeFilesAtomically([{ path: cert, contents: 'NEW CERT', mode: 0o644, overwrite: true }]);
      assert.equal(mode(cert), before);
    }
  });

  test('a replaced key file owned by the user the node runs as keeps that owner and group', async () => {
    const key = path.join(dir, 'node.key');
    fs.writeFileSync(key, 'OLD KEY');
    // As root (CI, containers) hand the file to nobody, as an operator hands node.key to the
    // cockroach user; otherwise move it to another group of ours when we have one.
    const isRoot = process.getuid?.() === 0;
    const otherGroup = (process.getgroups?.() ?? []).find((g) => g !== process.getgid?.());
    const uid = isRoot ? Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim()) : process.getuid!();
    const gid = isRoot ? Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim()) : otherGroup ?? process.getgid!();
    fs.chownSync(key, uid, gid);
    fs.chmodSync(key, 0o400);
    await writeFilesAtomically([{ path: key, contents: 'NEW KEY', mode: 0o600, overwrite: true }]);
    const stat = fs.statSync(key);
    assert.equal(fs.readFileSync(key, 'utf8'), 'NEW KEY');
    assert.equal(stat.uid, uid);
    assert.equal(stat.gid, gid);
    assert.equal(stat.mode & 0o7777, 0o400);
    assert.deepEqual(leftovers(dir), []);
  });
});
