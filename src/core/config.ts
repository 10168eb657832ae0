import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CloudConfig } from '../cloud/credentials.js';
import { parseBoolean } from '../gate/policy.js';
import { HostList, HostListError, LOOPBACK_RULES, MCP_STDIO_RULES, NETWORK_ALLOW_VARIABLE, NetworkPolicy, PASSWORD_HOSTS_VARIABLE } from '../net/policy.js';
import { reloadProcessesFromEnv } from '../rotation/node-process.js';
import { ToolError } from './errors.js';

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
  cloud: CloudConfig;
  /** Which hosts network tools may reach from this face (CRDB_TLS_NETWORK_ALLOW, DESIGN.md §5). */
  network: NetworkPolicy;
  /** Executables reload_node_certs may signal (CRDB_TLS_RELOAD_PROCESSES); undefined: cockroach, postgres, postmaster. */
  reloadProcesses?: string[];
  /** Hosts that may receive the environment's PGPASSWORD / .pgpass password (CRDB_TLS_PASSWORD_HOSTS). */
  passwordHosts: HostList;
}

/** The certs dir a call that names none uses: COCKROACH_CERTS_DIR, else ~/.cockroach-certs (as cockroach does). */
export const certsDirOf = (config: Pick<Config, 'defaultCertsDir'>): string => config.defaultCertsDir ?? path.join(os.homedir(), '.cockroach-certs');

/**
 * Where a start-up removes the staging copies a killed write left (createRuntime): the default
 * certs dir and the roots, resolved, each once.
 */
export const startupStagingDirs = (config: Pick<Config, 'defaultCertsDir' | 'roots'>): string[] => [...new Set([certsDirOf(config), ...(config.roots ?? [])].map((dir) => path.resolve(dir)))];

/** Where the caller sits: the person at a terminal, an MCP client (stdio, or HTTP behind a token), or Slack. */
export type Face = 'cli' | 'mcp' | 'mcp-http' | 'slack';

const DEFAULT_NETWORK: Record<Exclude<Face, 'cli'>, { rules: string; why: string }> = {
  mcp: { rules: MCP_STDIO_RULES, why: 'MCP over stdio' },
  'mcp-http': { rules: LOOPBACK_RULES, why: 'MCP over HTTP' },
  slack: { rules: LOOPBACK_RULES, why: 'Slack' },
};

/**
 * The network policy and the password hosts of a face. On the CLI the person names the hosts
 * themselves: unrestricted unless the variables are set. MCP and Slack act for someone else.
 */
export function networkSettings(face: Face, env: NodeJS.ProcessEnv): { network: NetworkPolicy; passwordHosts: HostList } {
  try {
    const allow = env[NETWORK_ALLOW_VARIABLE]?.trim();
    const list = allow
      ? HostList.parse(allow, { kind: 'variable', variable: NETWORK_ALLOW_VARIABLE })
      : face === 'cli'
        ? HostList.unrestricted(NETWORK_ALLOW_VARIABLE)
        : HostList.parse(DEFAULT_NETWORK[face].rules, { kind: 'default', variable: NETWORK_ALLOW_VARIABLE, why: DEFAULT_NETWORK[face].why });
    const passwords = env[PASSWORD_HOSTS_VARIABLE]?.trim();
    const passwordHosts = passwords
      ? HostList.parse(passwords, { kind: 'variable', variable: PASSWORD_HOSTS_VARIABLE })
      : face === 'cli'
        ? HostList.unrestricted(PASSWORD_HOSTS_VARIABLE)
        : HostList.parse('', { kind: 'default', variable: PASSWORD_HOSTS_VARIABLE, why: DEFAULT_NETWORK[face].why });
    return { network: new NetworkPolicy(list), passwordHosts };
  } catch (error) {
    if (error instanceof HostListError) throw new ToolError('invalid_input', error.message, 'Comma-separated host names, *.globs, IP addresses or CIDRs, each with an optional :PORT ([IPv6]:PORT); see the README configuration table.');
    throw error;
  }
}

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

/** A value policyFromEnv refuses (the process does not start then) counts as read-only here. */
function readOnlyOf(env: NodeJS.ProcessEnv): boolean {
  try {
    return parseBoolean('CRDB_TLS_READ_ONLY', env.CRDB_TLS_READ_ONLY);
  } catch {
    return true;
  }
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
    face,
    readOnly: readOnlyOf(env),
    roots,
    defaultCertsDir: env.COCKROACH_CERTS_DIR || undefined,
    defaultCaKey: env.COCKROACH_CA_KEY || undefined,
    stateDir: env.CRDB_TLS_STATE_DIR || path.join(stateHome, 'crdb-tls'),
    databaseUrl: env.CRDB_TLS_DATABASE_URL || undefined,
    cloud: { server: env.COCKROACH_SERVER || undefined, apiKeyFile: env.COCKROACH_API_KEY_FILE || undefined, apiKey: () => env.COCKROACH_API_KEY || undefined },
    reloadProcesses: reloadProcessesFromEnv(env),
    ...networkSettings(face, env),
  };
}
