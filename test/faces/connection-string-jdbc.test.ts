// `connection-string --client jdbc` with a real certs dir: an existing .pk8 is pointed at, not made
// again; without one, every command it prints runs as printed (the create-client alternative with
// --overwrite, since the certificate it replaces exists), and the .pk8 made is the key openssl reads.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, runCliOk } from '../support/cli.js';
import { openssl } from '../support/openssl.js';
import { describeSkip } from '../support/system-tools.js';

interface Settings { files: { key: string | null; key_format: string | null }; prerequisites: Array<{ why: string; command: string }>; notes: string[] }

describe('connection-string --client jdbc and the .pk8 on disk', { skip: describeSkip('openssl') }, () => {
  let tmp = '';
  const at = (...parts: string[]) => path.join(tmp, ...parts);
  const settings = (user: string) => JSON.parse(runCliOk(['connection-string', '--client', 'jdbc', '--host', 'localhost', '--ca', 'certs/ca.crt', '--cert', `certs/client.${user}.crt`, '--key', `certs/client.${user}.key`, '--json'], { cwd: tmp }).stdout) as Settings;

  before(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-jdbc-')));
    // The CA key where the printed command expects it, so that it runs as printed.
    fs.mkdirSync(at('my-safe-directory'), { mode: 0o700 });
    const signing = ['--certs-dir', 'certs', '--ca-key', 'my-safe-directory/ca.key', '--yes'];
    runCliOk(['cert', 'create-ca', ...signing], { cwd: tmp });
    runCliOk(['cert', 'create-client', 'app', ...signing, '--also-generate-pkcs8-key'], { cwd: tmp });
    runCliOk(['cert', 'create-client', 'bob', ...signing], { cwd: tmp });
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('an existing client.app.key.pk8 is the key in the settings, with no command to make it again', () => {
    const s = settings('app');
    assert.equal(s.files.key, 'certs/client.app.key.pk8');
    assert.equal(s.files.key_format, 'PKCS#8 DER');
    assert.deepEqual(s.prerequisites.filter((p) => /pkcs8|create-client/.test(p.command)), []);
    assert.ok(s.notes.some((n) => n.includes('certs/client.app.key.pk8 already exists')));
  });

  test('a .pk8 named as the DBeaver docs name it (client.bob.pk8) is found too', () => {
    openssl(['pkcs8', '-topk8', '-inform', 'PEM', '-outform', 'DER', '-in', at('certs/client.bob.key'), '-out', at('certs/client.bob.pk8'), '-nocrypt']);
    assert.equal(settings('bob').files.key, 'certs/client.bob.pk8');
    fs.rmSync(at('certs/client.bob.pk8'));
  });

  test('without a .pk8, both printed commands run as printed: openssl makes it, and create-client --overwrite replaces the existing certificate', () => {
    const s = settings('bob');
    assert.equal(s.files.key, 'certs/client.bob.key.pk8');
    const [convert, reissue] = s.prerequisites.filter((p) => /pkcs8/.test(p.command));
    assert.ok(convert && reissue, JSON.stringify(s.prerequisites));
    assert.match(reissue.command, /--overwrite$/);
    assert.match(reissue.why, /REPLACES certs\/client\.bob\.crt/);

    const [program, ...args] = convert.command.split(' ');
    assert.equal(program, 'openssl');
    openssl(args, { cwd: tmp });
    assert.equal(openssl(['pkey', '-inform', 'DER', '-in', at('certs/client.bob.key.pk8'), '-pubout']), openssl(['x509', '-noout', '-pubkey', '-in', at('certs/client.bob.crt')]));

    const [crdb, ...cliArgs] = reissue.command.split(' ');
    assert.equal(crdb, 'crdb-tls');
    const result = runCli([...cliArgs, '--yes'], { cwd: tmp });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(openssl(['pkey', '-inform', 'DER', '-in', at('certs/client.bob.key.pk8'), '-pubout']), openssl(['x509', '-noout', '-pubkey', '-in', at('certs/client.bob.crt')]), 'the new .pk8 goes with the new certificate');
  });
});
