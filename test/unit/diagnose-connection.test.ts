// Connection strings in every shape people paste, redacted; what their sslmode means per driver —
// checked against the REAL node-postgres 8 this repo installs, not against our own notes; and the
// settings connection_string builds for each client.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ToolError } from '../../src/core/errors.js';
import { ConnectionSettings, SettingsClient } from '../../src/connection/schemas.js';
import { buildConnectionSettings } from '../../src/connection/driver-settings.js';
import { analyzeConnectionString, parseConnectionString } from '../../src/connection/pasted-settings.js';

/** What node-postgres itself makes of a config: the ssl value its Connection will use. */
function pgSsl(config: pg.ClientConfig): unknown {
  const originalEmit = process.emitWarning;
  process.emitWarning = () => undefined; // pg-connection-string's SECURITY WARNING is expected here
  try {
    return (new pg.Client(config) as unknown as { ssl: unknown }).ssl;
  } finally {
    process.emitWarning = originalEmit;
  }
}

describe('parsing connection strings', () => {
  test('a URL: user, hosts, database, sslmode, parameters — and the password replaced', () => {
    const p = parseConnectionString('postgresql://app:hunter2@db1.example.com:26257,db2.example.com/shop?sslmode=verify-full&sslrootcert=/certs/ca.crt&application_name=api');
    assert.equal(p.format, 'url');
    assert.equal(p.user, 'app');
    assert.equal(p.database, 'shop');
    assert.deepEqual(p.hosts, [{ host: 'db1.example.com', port: 26257 }, { host: 'db2.example.com', port: null }]);
    assert.equal(p.params.sslmode, 'verify-full');
    assert.equal(p.params.sslrootcert, '/certs/ca.crt');
    assert.equal(p.hasPassword, true);
    assert.equal(p.redacted, 'postgresql://app:****@db1.example.com:26257,db2.example.com/shop?sslmode=verify-full&sslrootcert=/certs/ca.crt&application_name=api');
  });

  test('passwords holding / @ ? # & = and percent-encoded ones never appear in the redacted form', () => {
    for (const secret of ['p/ss@w?rd#1', 'a@b@c', 'pa?ss=w&rd', 'x%40y%2Fz', 'ends-with-@', '??##@@']) {
      for (const raw of [`postgresql://app:${secret}@db.example.com:26257/app?sslmode=verify-full`, `postgres://app@db.example.com/app?password=${secret}&sslmode=require`]) {
        const p = parseConnectionString(raw);
        assert.ok(!p.redacted.includes(secret), `${raw} → ${p.redacted}`);
        assert.ok(p.hasPassword, raw);
        assert.ok(p.hosts.some((h) => h.host === 'db.example.com'), `${raw} → hosts ${JSON.stringify(p.hosts)}`);
      }
    }
  });

  test('JDBC URLs keep user and password in parameters', () => {
    const p = parseConnectionString('jdbc:postgresql://db.example.com:26257/app?user=app&password=s3cret&sslmode=verify-full&sslkey=/k/client.app.key');
    assert.equal(p.scheme, 'jdbc:postgresql');
    assert.equal(p.user, 'app');
    assert.ok(!p.redacted.includes('s3cret'));
    assert.equal(p.params.password, '****');
  });

  test("libpq keyword/value with quoted values and backslash escapes", () => {
    const p = parseConnectionString("host=db.example.com port = 26257 user=app password='it\\'s a \\\\ secret' sslmode=verify-full sslrootcert='/My Certs/ca.crt' options='--cluster=lazy-roach-3'");
    assert.equal(p.format, 'keyword');
    assert.deepEqual(p.hosts, [{ host: 'db.example.com', port: 26257 }]);
    assert.equal(p.params.sslrootcert, '/My Certs/ca.crt');
    assert.equal(p.params.options, '--cluster=lazy-roach-3');
    assert.ok(!p.redacted.includes('secret'));
    assert.match(p.redacted, /password=\*\*\*\*/);
    // Badly quoted (libpq would refuse it): the tail of the password must not leak either.
    const bad = parseConnectionString("host=db user=app password='it''s \\'secret\\'' sslmode=require");
    assert.ok(!bad.redacted.includes('secret'), bad.redacted);
  });

  test('the .NET form maps Npgsql names onto libpq ones', () => {
    const p = parseConnectionString('Host=db.example.com;Port=26257;Username=app;Password="p;w=d";SSL Mode=VerifyFull;Root Certificate=/certs/ca.crt');
    assert.equal(p.format, 'dotnet');
    assert.equal(p.user, 'app');
    assert.equal(p.params.sslmode, 'verify-full');
    assert.equal(p.params.sslrootcert, '/certs/ca.crt');
    assert.ok(!p.redacted.includes('p;w=d'));
  });
});

describe('what sslmode means, per driver — checked against the real node-postgres', () => {
  test('node-postgres: a connection string with sslmode REPLACES the ssl object passed beside it (and our note says so)', () => {
    const ssl = pgSsl({ connectionString: 'postgresql://app@db.example.com:26257/app?sslmode=require', ssl: { ca: 'THE-CLUSTER-CA' } });
    assert.ok(typeof ssl === 'object' && ssl !== null && !('ca' in ssl), `pg kept the ca: ${JSON.stringify(ssl)}`);
    const notes = analyzeConnectionString('postgresql://app@db.example.com:26257/app?sslmode=require', 'node-pg').analysis.notes.join('\n');
    assert.match(notes, /REPLACES the `ssl: \{ ca, cert, key \}` object/);
  });

  test('node-postgres: without ssl* parameters in the string, the ssl object is kept (no trap note)', () => {
    assert.deepEqual(pgSsl({ connectionString: 'postgresql://app@db.example.com:26257/app', ssl: { ca: 'THE-CLUSTER-CA' } }), { ca: 'THE-CLUSTER-CA' });
    const notes = analyzeConnectionString('postgresql://app@db.example.com:26257/app', 'node-pg').analysis.notes.join('\n');
    assert.doesNotMatch(notes, /REPLACES/);
  });

  test('node-postgres treats sslmode=require as verify-full, libpq semantics only with uselibpqcompat=true', () => {
    const aliased = pgSsl({ connectionString: 'postgresql://app@db.example.com/app?sslmode=require' }) as Record<string, unknown>;
    assert.notEqual(aliased.rejectUnauthorized, false, 'pg 8 verifies with sslmode=require');
    const compat = pgSsl({ connectionString: 'postgresql://app@db.example.com/app?sslmode=require&uselibpqcompat=true' }) as Record<string, unknown>;
    assert.equal(compat.rejectUnauthorized, false, 'with uselibpqcompat pg does not verify');
    assert.match(analyzeConnectionString('postgresql://app@db.example.com/app?sslmode=require', 'node-pg').analysis.notes.join('\n'), /treats sslmode=require as verify-full/);
    assert.match(analyzeConnectionString('postgresql://app@db.example.com/app?sslmode=require&uselibpqcompat=true', 'node-pg').analysis.notes.join('\n'), /libpq's meaning: encryption without any server verification/);
  });

  test('node-postgres without any ssl setting does not use TLS', () => {
    assert.equal(pgSsl({ connectionString: 'postgresql://app@db.example.com/app' }), false);
    assert.match(analyzeConnectionString('postgresql://app@db.example.com/app', 'node-pg').analysis.notes.join('\n'), /WITHOUT TLS/);
  });

  test('libpq, pgx, lib/pq, pgJDBC, Npgsql: require does not verify; each note says it in that driver\'s terms', () => {
    const notesFor = (raw: string, client: Parameters<typeof analyzeConnectionString>[1]) => analyzeConnectionString(raw, client).analysis.notes.join('\n');
    assert.match(notesFor('postgresql://app@db/app?sslmode=require', 'psql'), /libpq: sslmode=require encrypts but does NOT verify/);
    assert.match(notesFor('postgresql://app@db/app?sslmode=require&sslrootcert=/c/ca.crt', 'go-pgx'), /like verify-ca, still not the host name/);
    assert.match(notesFor('postgresql://app@db/app', 'go-libpq'), /lib\/pq's documented default is require/);
    assert.match(notesFor('jdbc:postgresql://db/app?sslmode=require', 'jdbc'), /accepts any server certificate/);
    assert.match(notesFor('Host=db;SSL Mode=Require', 'npgsql'), /does not verify the server/);
    assert.match(notesFor('postgresql://app@db/app?sslmode=verify-full', 'prisma'), /prefer\|disable\|require only/);
  });
});

describe('connection_string settings for each client', () => {
  let dir: string;
  let ca: string;
  let cert: string;
  let key: string;

  before(() => {
    // A directory with a space: paths must survive URL encoding and shell quoting.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb tls settings '));
    ca = path.join(dir, 'ca.crt');
    cert = path.join(dir, 'client.app.crt');
    key = path.join(dir, 'client.app.key');
    fs.writeFileSync(ca, 'CA-PEM');
    fs.writeFileSync(cert, 'CERT-PEM');
    fs.writeFileSync(key, 'KEY-PEM', { mode: 0o600 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('every client gets verify-full settings naming the CA, certificate and key in its own format', () => {
    for (const client of SettingsClient.options) {
      const s = ConnectionSettings.parse(buildConnectionSettings({ client, host: 'db.example.com', ca, cert, key }));
      assert.equal(s.user, 'app', `${client}: user from client.app.crt`);
      assert.equal(s.auth, 'client-certificate');
      const text = s.settings.map((x) => x.text).join('\n');
      assert.ok(text.includes('db.example.com'), `${client}: host`);
      const verifyFull = { prisma: 'sslaccept=strict', npgsql: 'SSL Mode=VerifyFull', 'node-pg': 'ca: fs.readFileSync', typeorm: 'ca: fs.readFileSync', asyncpg: 'create_default_context(cafile=' }[client as string] ?? 'verify-full';
      assert.ok(text.includes(verifyFull), `${client}: ${verifyFull} missing in\n${text}`);
      assert.ok(s.sslmode_semantics.length > 40, `${client}: sslmode semantics`);
    }
  });

  test('Java clients get the PKCS#8 DER key and the command that makes it; Prisma a PKCS#12 identity', () => {
    const jdbc = buildConnectionSettings({ client: 'jdbc', host: 'db.example.com', ca, cert, key });
    assert.equal(jdbc.files.key, `${key}.pk8`);
    assert.equal(jdbc.files.key_format, 'PKCS#8 DER');
    assert.ok(jdbc.prerequisites.some((p) => p.command.startsWith('openssl pkcs8 -topk8 -inform PEM -outform DER') && p.command.endsWith('-nocrypt')));
    assert.ok(jdbc.prerequisites.some((p) => p.command.includes('--also-generate-pkcs8-key')));
    const dbeaver = buildConnectionSettings({ client: 'dbeaver', host: 'db.example.com', ca, cert, key });
    assert.match(dbeaver.settings[0]!.text, /Client private key: .*client\.app\.key\.pk8/);
    const prisma = buildConnectionSettings({ client: 'prisma', host: 'db.example.com', ca, cert, key });
    assert.equal(prisma.files.key, path.join(dir, 'client.app.p12'));
    assert.match(prisma.settings[0]!.text, /sslidentity=.*client\.app\.p12/);
  });

  test('Cloud with a routing id: options=--cluster for every client that takes options, database prefix for asyncpg', () => {
    const expected: Record<string, string> = { psql: 'options=--cluster%3Dlazy-roach-3', 'node-pg': "options: \"--cluster=lazy-roach-3\"", typeorm: 'extra: { options: "--cluster=lazy-roach-3" }', npgsql: 'Options=--cluster=lazy-roach-3', jdbc: 'options=--cluster%3Dlazy-roach-3', prisma: 'options=--cluster%3Dlazy-roach-3', asyncpg: 'database="lazy-roach-3.defaultdb"' };
    for (const [client, fragment] of Object.entries(expected)) {
      const s = buildConnectionSettings({ client: client as never, host: 'free-tier.gcp-us-central1.cockroachlabs.cloud', cluster: 'lazy-roach-3' });
      assert.equal(s.deployment, 'cloud');
      assert.ok(s.settings.map((x) => x.text).join('\n').includes(fragment), `${client}: ${fragment}`);
      assert.ok(s.notes.some((n) => n.includes('SNI')), `${client}: SNI note`);
    }
  });

  test('the URL it gives node-postgres is read by the real pg: the files behind sslrootcert/sslcert/sslkey load, a space in the path included', () => {
    const s = buildConnectionSettings({ client: 'node-pg', host: 'db.example.com', ca, cert, key });
    const url = s.settings.find((x) => x.language === 'url')!.text;
    const ssl = pgSsl({ connectionString: url }) as Record<string, string>;
    assert.equal(ssl.ca, 'CA-PEM');
    assert.equal(ssl.cert, 'CERT-PEM');
    assert.equal(ssl.key, 'KEY-PEM');
  });

  test('half a client certificate is refused; no host is refused', () => {
    assert.throws(() => buildConnectionSettings({ client: 'psql', host: 'db', cert }), (e: unknown) => e instanceof ToolError && e.code === 'invalid_input');
    assert.throws(() => buildConnectionSettings({ client: 'psql', host: ' ' }), (e: unknown) => e instanceof ToolError && e.code === 'invalid_input');
  });
});
