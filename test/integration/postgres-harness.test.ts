// The TLS PostgreSQL harness itself: every integration test that talks pgwire relies on it
// enforcing what a CockroachDB node enforces (TLS, a CA-signed client cert whose CN is the user).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import pg from 'pg';
import { createRoles, startTlsPostgres, type TlsPostgres } from '../support/postgres.js';
import { describeSkip, requireSystemTool } from '../support/system-tools.js';

// Certificates come from the openssl CLI rather than our own code, so the harness is checked
// independently of src/pki. P-256 keys keep generation instant.
function makePki(dir: string) {
  const openssl = requireSystemTool(undefined, 'openssl') ?? 'openssl';
  const f = (name: string) => path.join(dir, name);
  const ossl = (...args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl('req', '-x509', ...newKey, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2',
    '-subj', '/O=Cockroach/CN=Cockroach CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  let serial = 1000;
  const leaf = (name: string, subject: string, ext: string) => {
    fs.writeFileSync(f(`${name}.ext`), ext);
    ossl('req', '-new', ...newKey, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', subject);
    ossl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-set_serial', String(serial++),
      '-days', '1', '-sha256', '-extfile', f(`${name}.ext`), '-out', f(`${name}.crt`));
    return { cert: f(`${name}.crt`), key: f(`${name}.key`) };
  };
  const serverExt = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n';
  const clientExt = 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n';
  return {
    ca: f('ca.crt'),
    node: leaf('node', '/O=Cockroach/CN=node', serverExt),
    node2: leaf('node2', '/O=Cockroach/CN=node', serverExt),
    root: leaf('client.root', '/O=Cockroach/CN=root', clientExt),
    alice: leaf('client.alice', '/O=Cockroach/CN=alice', clientExt),
  };
}

describe('TLS PostgreSQL test harness', { skip: describeSkip('openssl') }, () => {
  let tmp = '';
  let pki: ReturnType<typeof makePki>;
  let server: TlsPostgres | undefined;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-harness-'));
    pki = makePki(tmp);
    server = await startTlsPostgres({ serverCert: pki.node.cert, serverKey: pki.node.key, ca: pki.ca });
  });

  after(async () => {
    await server?.stop();
    await server?.stop(); // a second stop must be harmless
    if (server) assert.equal(fs.existsSync(server.dataDir), false, 'stop() removes the data dir');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  // A fresh ssl object per client: pg makes `key` non-enumerable on the one it is given.
  const connect = async (user: string, files?: { cert: string; key: string }, onServerCert?: (serial: string) => void) => {
    assert.ok(server);
    const client = new pg.Client({
      host: 'localhost', port: server.port, user, database: 'postgres',
      ssl: {
        ca: fs.readFileSync(pki.ca, 'utf8'),
        ...(files && { cert: fs.readFileSync(files.cert, 'utf8'), key: fs.readFileSync(files.key, 'utf8') }),
        checkServerIdentity: (host, cert) => { onServerCert?.(cert.serialNumber); return tls.checkServerIdentity(host, cert); },
      },
    });
    await client.connect();
    return client;
  };

  test('a client with a CA-signed certificate for root connects over TLS', async () => {
    const client = await connect('root', pki.root);
    try {
      const { rows } = await client.query<{ ssl: boolean; version: string }>(
        'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      assert.equal(rows[0]?.ssl, true);
      assert.match(rows[0]?.version ?? '', /^TLSv1\.[23]$/);
    } finally {
      await client.end();
    }
  });

  test('a client without a certificate is refused', async () => {
    await assert.rejects(connect('root'), /connection requires a valid client certificate/);
  });

  test('a client certificate for alice logs in as alice once the role exists', async () => {
    assert.ok(server);
    await createRoles(server, ['alice']);
    await createRoles(server, ['alice']); // idempotent
    const client = await connect('alice', pki.alice);
    try {
      const { rows } = await client.query<{ current_user: string }>('SELECT current_user');
      assert.equal(rows[0]?.current_user, 'alice');
    } finally {
      await client.end();
    }
  });

  test('reload() makes the next connection see a replaced server certificate', async () => {
    assert.ok(server);
    const served = async () => {
      let serial = '';
      const client = await connect('root', pki.root, (s) => { serial = s; });
      await client.end();
      return serial;
    };
    const first = await served();
    fs.copyFileSync(pki.node2.cert, path.join(server.dataDir, 'server.crt'));
    fs.copyFileSync(pki.node2.key, path.join(server.dataDir, 'server.key'));
    server.reload();
    const second = await served();
    assert.notEqual(second, first);
    assert.equal(parseInt(second, 16), 1001, `now serving node2 (serial 1001), log:\n${server.log()}`);
  });
});
