import fs from 'node:fs';
import path from 'node:path';

/** Quotes a word for a POSIX shell only when it needs it. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function realpath(file: string): string | undefined {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
}

/** The `crdb-tls` on PATH, when it is this very program (so that the short name runs the same code). */
function crdbTlsOnPath(self: string, env: NodeJS.ProcessEnv): boolean {
  const mine = realpath(self);
  if (!mine) return false;
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = realpath(path.join(dir, 'crdb-tls'));
    if (candidate) return candidate === mine;
  }
  return false;
}

/**
 * The command a person types to approve confirmation `id`, exactly as it runs: `crdb-tls` when
 * that name reaches this program, else node and the bundle by path; with the state directory the
 * server uses when it is not the default, so that the terminal finds the same confirmations.
 */
export function approvalCommand(id: string, env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv): string {
  const self = argv[1];
  const program = self && !crdbTlsOnPath(self, env) ? `${shellWord(process.execPath)} ${shellWord(path.resolve(self))}` : 'crdb-tls';
  const stateDir = !env.CRDB_TLS_DATABASE_URL && env.CRDB_TLS_STATE_DIR ? `CRDB_TLS_STATE_DIR=${shellWord(path.resolve(env.CRDB_TLS_STATE_DIR))} ` : '';
  return `${stateDir}${program} confirm ${id}`;
}
