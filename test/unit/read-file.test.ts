// readBoundedFile, how every file a person names as a certificate, key, CSR or password is read:
// the bytes exactly, or a structured refusal before memory fills (a huge file, a file that reports
// size 0 and streams more, like those in /proc) or before a read blocks forever (a FIFO).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAX_MATERIAL_BYTES, readBoundedFile, readSmallFileSync, realDirInsideRoots } from '../../src/core/read-file.js';
import { ToolError } from '../../src/core/errors.js';
import { toolErrorRejectedBy } from '../support/tool-errors.js';

let dir = '';
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-read-file-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('reading a file named as material', () => {
  test('returns exactly the bytes of a file up to the limit, across many read chunks', async () => {
    const file = path.join(dir, 'bundle.crt');
    const bytes = crypto.randomBytes(300_000);
    fs.writeFileSync(file, bytes);
    assert.ok((await readBoundedFile(file, 'CA file')).equals(bytes));
    const exact = path.join(dir, 'exact.crt');
    fs.writeFileSync(exact, bytes.subarray(0, 1000));
    assert.ok((await readBoundedFile(exact, 'CA file', { limit: 1000 })).equals(bytes.subarray(0, 1000)), 'a file of exactly the limit is read');
  });

  test('a file larger than the limit is refused as input_too_large, naming the file and the limit', async () => {
    const file = path.join(dir, 'disk.img');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, MAX_MATERIAL_BYTES + 1);
    const error = await toolErrorRejectedBy(readBoundedFile(file, 'CA file'));
    assert.equal(error.code, 'input_too_large');
    assert.match(error.message, new RegExp(`the CA file ${file} is larger than 4,194,304 bytes; it was not read`));
  });

  test('a file whose size says 0 but which streams more than the limit is refused once the limit is passed', async () => {
    assert.equal(fs.statSync('/proc/self/maps').size, 0, 'procfs reports size 0');
    const error = await toolErrorRejectedBy(readBoundedFile('/proc/self/maps', 'certificate', { limit: 64 }));
    assert.equal(error.code, 'input_too_large');
  });

  test('a FIFO, a directory and a device are refused without being opened', async () => {
    const fifo = path.join(dir, 'ca.crt');
    execFileSync('mkfifo', [fifo]);
    for (const file of [fifo, dir, '/dev/zero']) {
      const error = await toolErrorRejectedBy(readBoundedFile(file, 'CA file'));
      assert.equal(error.code, 'invalid_input', file);
      assert.match(error.message, /is not a regular file/);
    }
  });

  test('a pipe is read, bounded, only when the caller allows it (a password given as <(...) at a shell)', async () => {
    const fifo = path.join(dir, 'password.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = fs.promises.writeFile(fifo, 'correct horse\n');
    assert.equal((await readBoundedFile(fifo, 'p12 password file', { allowPipe: true })).toString(), 'correct horse\n');
    await writer;
    const flood = fs.promises.writeFile(fifo, Buffer.alloc(10_000, 'x')).catch(() => undefined);
    const error = await toolErrorRejectedBy(readBoundedFile(fifo, 'p12 password file', { allowPipe: true, limit: 1_000 }));
    assert.equal(error.code, 'input_too_large');
    await flood;
  });

  test('OS errors are left to the caller to word', async () => {
    await assert.rejects(readBoundedFile(path.join(dir, 'missing.crt'), 'CA file'), (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
  });
});

describe('readSmallFileSync: the same refusals for the files of a listing, read synchronously', () => {
  const refused = (fn: () => unknown): ToolError => {
    try {
      fn();
    } catch (error) {
      if (error instanceof ToolError) return error;
      throw error;
    }
    throw new Error('not refused');
  };

  test('returns exactly the bytes, and the stat of the file it opened (its mode for the key permission check)', () => {
    const file = path.join(dir, 'small.key');
    const bytes = crypto.randomBytes(70_000);
    fs.writeFileSync(file, bytes, { mode: 0o600 });
    fs.chmodSync(file, 0o640);
    const read = readSmallFileSync(file, 'key file');
    assert.ok(read.contents.equals(bytes));
    assert.equal(read.stat.mode & 0o777, 0o640);
  });

  test('small files go through one reused buffer: each read is its own copy, and a shorter file carries nothing of a longer one read before', () => {
    const files = ['a.key', 'b.crt', 'c.key'].map((name, i) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, crypto.randomBytes(1_500 - i * 400), { mode: 0o600 });
      return file;
    });
    const reads = files.map((file) => readSmallFileSync(file, 'key file').contents);
    files.forEach((file, i) => assert.ok(reads[i]!.equals(fs.readFileSync(file)), `${file} read as it is, after the later reads`));
    // The shorter later file must not carry the tail of the earlier, longer one.
    assert.equal(reads[2]!.length, 700);
    const empty = path.join(dir, 'empty.crt');
    fs.writeFileSync(empty, '');
    assert.equal(readSmallFileSync(empty, 'certificate file').contents.length, 0);
  });

  test('a FIFO is refused without blocking (opened non-blocking, then fstat), and so are a directory and a device', () => {
    const fifo = path.join(dir, 'client.fifo.crt');
    execFileSync('mkfifo', [fifo]);
    for (const file of [fifo, dir, '/dev/zero']) {
      const error = refused(() => readSmallFileSync(file, 'certificate file'));
      assert.equal(error.code, 'invalid_input', file);
      assert.match(error.message, /is not a regular file/);
    }
  });

  test('too large by its size, or by what it streams (procfs says 0), is refused', () => {
    const file = path.join(dir, 'big.crt');
    fs.writeFileSync(file, Buffer.alloc(2_000));
    assert.equal(refused(() => readSmallFileSync(file, 'certificate file', { limit: 1_000 })).code, 'input_too_large');
    assert.equal(refused(() => readSmallFileSync('/proc/self/maps', 'certificate file', { limit: 64 })).code, 'input_too_large');
  });

  test('a symlink out of the roots is refused before it is opened; OS errors are thrown as they are', () => {
    const link = path.join(dir, 'outside.crt');
    fs.symlinkSync('/etc/hostname', link);
    assert.equal(refused(() => readSmallFileSync(link, 'certificate file', { insideRoots: (real) => real.startsWith(dir) })).code, 'outside_roots');
    assert.throws(() => readSmallFileSync(path.join(dir, 'missing.crt'), 'certificate file'), (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
  });

  test('with the listed directory\'s real path found once: regular files read, a symlink still checked by its own target, errors as before', () => {
    const roots = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-realdir-'));
    try {
      const certs = path.join(roots, 'certs');
      fs.mkdirSync(certs);
      // The dir named through a symlink inside the roots: its real path is what the files are opened under.
      const alias = path.join(roots, 'alias');
      fs.symlinkSync(certs, alias);
      const insideRoots = (real: string) => real === roots || real.startsWith(`${roots}${path.sep}`);
      const realDir = realDirInsideRoots(alias, insideRoots);
      assert.equal(realDir, fs.realpathSync(certs));
      fs.writeFileSync(path.join(certs, 'client.a.crt'), 'certificate bytes');
      fs.writeFileSync(path.join(roots, 'elsewhere.crt'), 'inside the roots, outside the dir');
      fs.symlinkSync('/etc/hostname', path.join(certs, 'client.out.crt'));
      fs.symlinkSync(path.join(roots, 'elsewhere.crt'), path.join(certs, 'client.in.crt'));
      execFileSync('mkfifo', [path.join(certs, 'client.fifo.crt')]);
      const read = (name: string) => readSmallFileSync(path.join(alias, name), 'certificate file', { insideRoots, realDir });
      assert.equal(read('client.a.crt').contents.toString(), 'certificate bytes');
      assert.equal(read('client.in.crt').contents.toString(), 'inside the roots, outside the dir');
      const outside = refused(() => read('client.out.crt'));
      assert.equal(outside.code, 'outside_roots');
      assert.match(outside.message, /client\.out\.crt links to \/etc\/hostname/);
      assert.equal(refused(() => read('client.fifo.crt')).code, 'invalid_input');
      assert.throws(() => read('missing.crt'), (error: NodeJS.ErrnoException) => error.code === 'ENOENT' && error.message.includes(path.join(alias, 'missing.crt')));
      // No real path to lean on: without roots, for a dir outside them, or one that does not resolve.
      assert.equal(realDirInsideRoots(certs, undefined), undefined);
      assert.equal(realDirInsideRoots('/etc', insideRoots), undefined);
      assert.equal(realDirInsideRoots(path.join(roots, 'missing'), insideRoots), undefined);
    } finally {
      fs.rmSync(roots, { recursive: true, force: true });
    }
  });
});
