import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The configuration every face shares (DESIGN.md §6). Read once from the environment. */
export interface Config {
  /** Directories file tools may touch; undefined means unrestricted (the CLI without CRDB_TLS_ROOTS). */
  roots: string[] | undefined;
  defaultCertsDir: string | undefined;
  defaultCaKey: string | undefined;
  stateDir: string;
  /** Shared store in PostgreSQL/CockroachDB; undefined keeps state in the process and a file. */
  databaseUrl: string | undefined;
  /**
   * Cloud API settings as given (DESIGN.md §6): COCKROACH_SERVER, COCKROACH_API_KEY_FILE, and the
   * key itself behind a function so that logging or serialising the config never shows it.
   */
  cloud: { server: string | undefined; apiKeyFile: string | undefined; apiKey: () => string | undefined };
}

export type Face = 'cli' | 'mcp' | 'slack';

/** Where users' home directories live: a working directory here holds every user's files. */
const HOMES_PARENTS = ['/home', '/root', '/Users', '/var/home', '/export/home', '/usr/home'];

const realOrSame = (dir: string) => {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
};

/**
 * Whether a directory holds the user's whole tree (or everyone's): `/` or a drive, $HOME or any
 * directory above it, or one of the places home directories live. An IDE that starts the MCP
 * server in such a directory must not hand it the whole disk as a root (issue 14).
 */
export function holdsWholeTree(dir: string, home = os.homedir()): boolean {
  const forms = (p: string) => [...new Set([path.resolve(p), realOrSame(path.resolve(p))])];
  return forms(dir).some((d) => {
    if (path.parse(d).root === d || HOMES_PARENTS.includes(d)) return true;
    return forms(home).some((h) => h === d || h.startsWith(d.endsWith(path.sep) ? d : d + path.sep));
  });
}

/**
 * The roots over MCP and Slack when CRDB_TLS_ROOTS is unset: the conventional certificate places,
 * and the working directory unless it holds the whole tree (then `cwdLeftOut` names it).
 */
export function defaultRoots(cwd = process.cwd(), home = os.homedir()): { roots: string[]; cwdLeftOut: string | undefined } {
  const conventional = [path.join(home, '.cockroach-certs'), path.join(home, '.postgresql')];
  if (holdsWholeTree(cwd, home)) return { roots: conventional, cwdLeftOut: cwd };
  return { roots: [cwd, ...conventional], cwdLeftOut: undefined };
}

function splitPathList(value: string): string[] {
  return value.split(path.delimiter).map((p) => p.trim()).filter(Boolean).map((p) => path.resolve(p));
}

/**
 * On the CLI the person runs as themselves, with their own file permissions, so roots apply only
 * when CRDB_TLS_ROOTS is set. MCP and Slack act for someone else and always have roots (see
 * defaultRoots).
 */
export function loadConfig(face: Face, env: NodeJS.ProcessEnv = process.env): Config {
  const rootsVar = env.CRDB_TLS_ROOTS?.trim();
  const roots = rootsVar ? splitPathList(rootsVar) : face === 'cli' ? undefined : defaultRoots().roots;
  const stateHome = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return {
    roots,
    defaultCertsDir: env.COCKROACH_CERTS_DIR || undefined,
    defaultCaKey: env.COCKROACH_CA_KEY || undefined,
    stateDir: env.CRDB_TLS_STATE_DIR || path.join(stateHome, 'crdb-tls'),
    databaseUrl: env.CRDB_TLS_DATABASE_URL || undefined,
    cloud: { server: env.COCKROACH_SERVER || undefined, apiKeyFile: env.COCKROACH_API_KEY_FILE || undefined, apiKey: () => env.COCKROACH_API_KEY || undefined },
  };
}
