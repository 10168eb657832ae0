import fs from 'node:fs/promises';
import path from 'node:path';
import { sh } from './steps.js';

/**
 * Which server the local node process is, so that a reload step tells a person what fits it:
 * CockroachDB (SIGHUP rescans the certs dir, `pkill -SIGHUP -x cockroach`, DB Console on :8080,
 * reference §2.1) or PostgreSQL (SIGHUP to the postmaster re-reads postgresql.conf and the SSL
 * files, `pg_ctl reload`; no DB Console). Judged from the pid file the plan was given: PostgreSQL
 * writes `postmaster.pid` into its data dir, whose second line is that data dir holding
 * PG_VERSION (src/backend/utils/init/miscinit.c, CreateLockFile / LOCK_FILE_LINE_DATA_DIR), and
 * its process is called `postgres`. A pid file that shows neither is taken as CockroachDB's
 * (`cockroach start --pid-file`), the server crdb-tls is for.
 */

export type ServerKind = 'postgresql' | 'cockroachdb';

const exists = (file: string) => fs.access(file).then(() => true, () => false);

export async function serverKindOf(pidfile: string | null): Promise<ServerKind> {
  if (!pidfile) return 'cockroachdb';
  const text = await fs.readFile(pidfile, 'utf8').catch(() => '');
  const [pidLine, dataDirLine] = text.split('\n').map((l) => l.trim());
  if (path.basename(pidfile) === 'postmaster.pid') return 'postgresql';
  if (dataDirLine && path.isAbsolute(dataDirLine) && (await exists(path.join(dataDirLine, 'PG_VERSION')))) return 'postgresql';
  if (pidLine && /^\d+$/.test(pidLine)) {
    const comm = await fs.readFile(`/proc/${pidLine}/comm`, 'utf8').then((t) => t.trim(), () => '');
    if (comm === 'postgres' || comm === 'postmaster') return 'postgresql';
  }
  return 'cockroachdb';
}

/** What a person reads about reloading the local node, per server. */
export interface ReloadTexts {
  equivalent: string[];
  verify: (hostKey: string, host: string) => string[];
  onFailure: string;
}

export function reloadTexts(kind: ServerKind, pidfile: string): ReloadTexts {
  const signal = `kill -HUP "$(head -n 1 ${sh(pidfile)})"`;
  if (kind === 'postgresql') {
    return {
      // postmaster.pid lives in the data dir (miscinit.c); pg_ctl reload sends the same SIGHUP.
      equivalent: [signal, `pg_ctl reload -D ${sh(path.dirname(pidfile))}`],
      verify: () => ['the server log shows `received SIGHUP, reloading configuration files`, and no error about the SSL files after it'],
      // PostgreSQL >= 10 rebuilds its SSL context on SIGHUP; a reload that cannot load the files
      // logs the error and keeps the previous context (postgres commit de41869, be-secure-openssl.c be_tls_init).
      onFailure: 'A PostgreSQL server that cannot load the new SSL files logs why in its server log and keeps serving the previous ones (PostgreSQL 10 and later); to go back, roll back the step that changed the files and reload again.',
    };
  }
  return {
    equivalent: [signal, 'pkill -SIGHUP -x cockroach'],
    verify: (_hostKey, host) => [`DB Console: https://${host}:8080/#/reports/certificates/local`],
    onFailure: 'Nothing to undo: a node that fails to reload keeps the certificates it had (reference §2.1); to go back, roll back the step that changed the files and reload again.',
  };
}
