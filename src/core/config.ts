import os from 'node:os';
import path from 'node:path';
import { parseBoolean } from '../gate/policy.js';

/** The configuration every face shares (DESIGN.md §6). Read once from the environment. */
export interface Config {
  /**
   * Who the tools answer: the person at their own terminal ('cli'), or an assistant / a channel
   * ('mcp', 'slack'). Decides what a result may hold (a revealed key only on the CLI, DESIGN.md §5);
   * set by the process, never by a tool input.
   */
  face: Face;
  /** CRDB_TLS_READ_ONLY, for the read tools that refuse to write or reveal in read-only mode. */
  readOnly: boolean;
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

/** A value policyFromEnv refuses (the process does not start then) counts as read-only here. */
function readOnlyOf(env: NodeJS.ProcessEnv): boolean {
  try {
    return parseBoolean('CRDB_TLS_READ_ONLY', env.CRDB_TLS_READ_ONLY);
  } catch {
    return true;
  }
}

function defaultRoots(): string[] {
  const home = os.homedir();
  return [process.cwd(), path.join(home, '.cockroach-certs'), path.join(home, '.postgresql')];
}

function splitPathList(value: string): string[] {
  return value.split(path.delimiter).map((p) => p.trim()).filter(Boolean).map((p) => path.resolve(p));
}

/**
 * On the CLI the person runs as themselves, with their own file permissions, so roots apply only
 * when CRDB_TLS_ROOTS is set. MCP and Slack act for someone else and always have roots.
 */
export function loadConfig(face: Face, env: NodeJS.ProcessEnv = process.env): Config {
  const rootsVar = env.CRDB_TLS_ROOTS?.trim();
  const roots = rootsVar ? splitPathList(rootsVar) : face === 'cli' ? undefined : defaultRoots();
  const stateHome = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return {
    face,
    readOnly: readOnlyOf(env),
    roots,
    defaultCertsDir: env.COCKROACH_CERTS_DIR || undefined,
    defaultCaKey: env.COCKROACH_CA_KEY || undefined,
    stateDir: env.CRDB_TLS_STATE_DIR || path.join(stateHome, 'crdb-tls'),
    databaseUrl: env.CRDB_TLS_DATABASE_URL || undefined,
    cloud: { server: env.COCKROACH_SERVER || undefined, apiKeyFile: env.COCKROACH_API_KEY_FILE || undefined, apiKey: () => env.COCKROACH_API_KEY || undefined },
  };
}
