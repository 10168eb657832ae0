// Staging copies a killed write left behind (issue 14, src/pki/staging.ts). A copy goes at once
// when its writer is certainly gone (same host, no such process), otherwise only once it is a
// minute old, so a write under way in another process (or on another host sharing the volume)
// is never pulled out from under it; a write that stopped half-way is undone in the directory,
// a finished one is kept; nothing that is not ours is touched, and a dry look changes nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import pino from 'pino';
import { createRuntime } from '../../src/core/runtime.js';
import { cleanStaging, existsBesidesInterruptedWrite, findStagingLeftovers, planStagingCleanup, stagingNames, stagingToken, STALE_STAGING_MS } from '../../src/pki/staging.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-staging-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const [ourHost] = stagingToken().split('-');
/** The pid of a process that has ended. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
const tokenOf = (host: string, pid: number, random = '0badc0de') => `${host}-${pid}-${random}`;
const at = (name: string) => path.join(dir, name);
const names = () => fs.readdirSync(dir).sort();
const put = (name: string, contents = name) => fs.writeFileSync(at(name), contents, { mode: 0o600 });
const aMinuteOn = () => Date.now() + STALE_STAGING_MS + 1_000;

describe('which copies are a crash\'s', () => {
  test('a dead writer\'s copies on this host go at once', async () => {
    const token = tokenOf(ourHost!, deadPid());
    put(stagingNames('client.bob.key', token).temp);
    const [found] = await findStagingLeftovers(dir);
    assert.equal(found?.writer_gone, true);
    assert.deepEqual((await cleanStaging(dir)).removed, [stagingNames('client.bob.key', token).temp]);
    assert.deepEqual(names(), []);
  });

  test('a live writer\'s fresh copies stay (this process: a write under way), and go once a minute old', async () => {
    const temp = stagingNames('client.bob.key', stagingToken()).temp;
    put(temp);
    assert.deepEqual((await cleanStaging(dir)).removed, []);
    assert.deepEqual(names(), [temp]);
    assert.deepEqual((await cleanStaging(dir, aMinuteOn())).removed, [temp]);
  });

  test('another host\'s copies wait for the minute even when no such pid runs here (a shared volume)', async () => {
    const otherHost = ourHost === 'abcdef' ? '123456' : 'abcdef';
    const temp = stagingNames('node.key', tokenOf(otherHost, deadPid())).temp;
    put(temp);
    assert.equal((await findStagingLeftovers(dir))[0]?.writer_gone, false);
    assert.deepEqual((await cleanStaging(dir)).removed, []);
    assert.deepEqual((await cleanStaging(dir, aMinuteOn())).removed, [temp]);
  });

  test('copies named by earlier versions (.NAME.<12 hex>.tmp) go once a minute old', async () => {
    put('.client.bob.key.0123456789ab.tmp');
    assert.deepEqual((await cleanStaging(dir)).removed, []);
    assert.deepEqual((await cleanStaging(dir, aMinuteOn())).removed, ['.client.bob.key.0123456789ab.tmp']);
  });

  test('nothing that is not a staging copy is touched: real files, near-misses, a symlink or a directory with a staging name', async () => {
    const token = tokenOf(ourHost!, deadPid());
    for (const name of ['client.bob.key', 'client.bob.key.tmp', '.client.bob.key', '.client.bob.key.tmp', `.client.bob.key.${token}.old`, `client.bob.key.${token}.tmp`]) put(name);
    fs.symlinkSync(at('client.bob.key'), at(stagingNames('client.alice.key', token).temp));
    fs.mkdirSync(at(stagingNames('client.carol.key', token).backup));
    const before = names();
    const result = await cleanStaging(dir, aMinuteOn());
    assert.deepEqual(result, { removed: [], restored: [] });
    assert.deepEqual(names(), before);
  });
});

describe('a write that stopped half-way is undone, a finished one is kept', () => {
  test('new pair, key placed and certificate not: the key goes with the copies; a dry look first changes nothing', async () => {
    const token = tokenOf(ourHost!, deadPid());
    const key = stagingNames('client.bob.key', token);
    const crt = stagingNames('client.bob.crt', token);
    put(key.temp, 'NEW KEY');
    fs.linkSync(at(key.temp), at('client.bob.key'));
    put(crt.temp, 'NEW CERT');

    const before = names();
    assert.equal(await existsBesidesInterruptedWrite(at('client.bob.key')), false, 'a key the killed write placed counts as there');
    assert.deepEqual((await planStagingCleanup(dir)).unplace, ['client.bob.key']);
    assert.deepEqual(names(), before, 'looking changed the directory');

    const result = await cleanStaging(dir);
    assert.deepEqual(result.restored, ['client.bob.key']);
    assert.deepEqual(names(), []);
  });

  test('replaced pair, key replaced and certificate not: the old key comes back (same file, same inode)', async () => {
    const token = tokenOf(ourHost!, deadPid());
    put('client.bob.key', 'OLD KEY');
    put('client.bob.crt', 'OLD CERT');
    const oldKeyInode = fs.statSync(at('client.bob.key')).ino;
    const key = stagingNames('client.bob.key', token);
    const crt = stagingNames('client.bob.crt', token);
    fs.linkSync(at('client.bob.key'), at(key.backup));
    put(key.temp, 'NEW KEY');
    fs.renameSync(at(key.temp), at('client.bob.key'));
    fs.linkSync(at('client.bob.crt'), at(crt.backup));
    put(crt.temp, 'NEW CERT');

    assert.equal(await existsBesidesInterruptedWrite(at('client.bob.key')), true);
    const result = await cleanStaging(dir);
    assert.deepEqual(result.restored, ['client.bob.key']);
    assert.deepEqual(names(), ['client.bob.crt', 'client.bob.key']);
    assert.equal(fs.readFileSync(at('client.bob.key'), 'utf8'), 'OLD KEY');
    assert.equal(fs.readFileSync(at('client.bob.crt'), 'utf8'), 'OLD CERT');
    assert.equal(fs.statSync(at('client.bob.key')).ino, oldKeyInode);
  });

  test('every file placed, killed before the copies went: the new files stay, the copies go', async () => {
    const token = tokenOf(ourHost!, deadPid());
    put('client.bob.key', 'OLD KEY');
    const key = stagingNames('client.bob.key', token);
    const crt = stagingNames('client.bob.crt', token);
    fs.linkSync(at('client.bob.key'), at(key.backup));
    put(key.temp, 'NEW KEY');
    fs.renameSync(at(key.temp), at('client.bob.key'));
    put(crt.temp, 'NEW CERT');
    fs.linkSync(at(crt.temp), at('client.bob.crt'));

    const result = await cleanStaging(dir);
    assert.deepEqual(result.restored, []);
    assert.deepEqual(names(), ['client.bob.crt', 'client.bob.key']);
    assert.equal(fs.readFileSync(at('client.bob.key'), 'utf8'), 'NEW KEY');
    assert.equal(fs.readFileSync(at('client.bob.crt'), 'utf8'), 'NEW CERT');
  });

  test('two killed writes in one dir are judged apart: the finished one is kept, the half-way one undone', async () => {
    const done = tokenOf(ourHost!, deadPid());
    const halfWay = tokenOf(ourHost!, deadPid(), 'feedface');
    put(stagingNames('client.alice.key', done).temp, 'ALICE');
    fs.linkSync(at(stagingNames('client.alice.key', done).temp), at('client.alice.key'));
    put(stagingNames('client.bob.key', halfWay).temp, 'BOB');
    fs.linkSync(at(stagingNames('client.bob.key', halfWay).temp), at('client.bob.key'));
    put(stagingNames('client.bob.crt', halfWay).temp, 'BOB CERT');

    const result = await cleanStaging(dir);
    assert.deepEqual(result.restored, ['client.bob.key']);
    assert.deepEqual(names(), ['client.alice.key']);
  });
});

describe('start-up', () => {
  test('a server starting with a root that holds a dead writer\'s staged key removes it (and leaves a live writer\'s alone)', async () => {
    const dead = stagingNames('client.bob.key', tokenOf(ourHost!, deadPid())).temp;
    const live = stagingNames('client.carol.key', stagingToken()).temp;
    put(dead);
    put(live);
    const runtime = await createRuntime('mcp', { CRDB_TLS_ROOTS: dir, CRDB_TLS_STATE_DIR: path.join(dir, 'state') }, pino({ level: 'silent' }));
    await runtime.close();
    assert.ok(!names().includes(dead), 'the dead writer\'s copy survived start-up');
    assert.ok(names().includes(live), 'a write under way lost its staged copy');
  });
});
