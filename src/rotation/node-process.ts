import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError } from '../core/errors.js';

/**
 * Which process reload_node_certs may signal (issue 13): only a database server of ours, never
 * "any process of the server's user" because a model named its pid. Read from /proc (proc(5)):
 * - `exe`, the executable actually running (a symlink named `postgres` to /bin/sleep shows
 *   /bin/sleep here; a replaced binary shows `... (deleted)`), its basename must be on the list;
 * - `cmdline`, argv[0]'s basename must be on the list too: a PostgreSQL backend or auxiliary
 *   process overwrites its argv with `postgres: checkpointer` (setproctitle), so only the
 *   postmaster, which keeps its argv, passes; a script run by an interpreter never does;
 * - what it is doing: a PostgreSQL postmaster runs in its data dir (ChangeToDataDir,
 *   src/backend/utils/init/miscinit.c), so `cwd` holds PG_VERSION; a CockroachDB node was started
 *   with `cockroach start` or `start-single-node` (a `cockroach sql` shell reloads nothing);
 * - the owner (real uid, `Uid:` in `status`): with a pid file, the process must belong to the OS
 *   user who owns that file (the server wrote it);
 * - the start time, field 22 of `stat` (clock ticks after boot): a pid the kernel hands to another
 *   process later has another start time, so an old confirmation no longer matches.
 */

/** Executables reload_node_certs signals unless CRDB_TLS_RELOAD_PROCESSES says otherwise. */
export const DEFAULT_RELOAD_PROCESSES = ['cockroach', 'postgres', 'postmaster'] as const;
export const RELOAD_PROCESSES_VARIABLE = 'CRDB_TLS_RELOAD_PROCESSES';

/** The allow-list from CRDB_TLS_RELOAD_PROCESSES (comma-separated executable names), or the default. */
export function reloadProcessesFromEnv(env: NodeJS.ProcessEnv): string[] {
  const raw = env[RELOAD_PROCESSES_VARIABLE]?.trim();
  if (!raw) return [...DEFAULT_RELOAD_PROCESSES];
  const names = raw.split(',').map((n) => n.trim()).filter(Boolean);
  const bad = names.find((n) => !/^[A-Za-z0-9._+-]{1,64}$/.test(n));
  if (bad !== undefined || names.length === 0) {
    throw new ToolError('invalid_input', `${RELOAD_PROCESSES_VARIABLE}=${raw} is not a comma-separated list of executable names${bad !== undefined ? ` (${JSON.stringify(bad)} is not a file name)` : ''}`, `Example: ${RELOAD_PROCESSES_VARIABLE}=cockroach,postgres`);
  }
  return names;
}

export interface NodeProcess {
  pid: number;
  /** Where the pid came from: `pid N` or the pid file. */
  source: string;
  /** /proc/PID/comm, for the texts. */
  name: string | null;
  /** Basename of /proc/PID/exe. */
  executable: string;
  /** Basename of argv[0]. */
  argv0: string;
  /** argv[1], the subcommand of a `cockroach` process. */
  argv1: string | null;
  uid: number;
  /** Field 22 of /proc/PID/stat. */
  startTime: string;
}

const readProc = (pid: number, file: string) => fs.readFile(`/proc/${pid}/${file}`, 'utf8');

/** Field 22 (starttime) of /proc/PID/stat; comm (field 2) may hold spaces and parentheses, so count after the last ')'. */
export function startTimeOf(stat: string): string | undefined {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): field 22 is rest[19].
  const value = rest[19];
  return value && /^\d+$/.test(value) ? value : undefined;
}

function gone(pid: number, source: string): ToolError {
  return new ToolError('not_found', `no process ${pid} (from ${source}) is running; nothing was signalled`, 'Start the node, or give the pid file of the running one.');
}

/** Reads what /proc says about `pid`; a process that cannot be inspected is not signalled. */
async function inspectProcess(pid: number, source: string): Promise<NodeProcess> {
  let exeLink: string, cmdline: string, status: string, stat: string;
  try {
    [exeLink, cmdline, status, stat] = await Promise.all([fs.readlink(`/proc/${pid}/exe`), readProc(pid, 'cmdline'), readProc(pid, 'status'), readProc(pid, 'stat')]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') throw gone(pid, source);
    if (code === 'EACCES' || code === 'EPERM') throw new ToolError('permission_denied', `cannot tell which program process ${pid} (from ${source}) runs (/proc/${pid}/exe: ${code}); nothing was signalled`, 'Run crdb-tls as the user the node runs as, or as root.');
    throw new ToolError('unavailable', `cannot inspect process ${pid} (from ${source}) through /proc: ${code ?? (error as Error).message}; nothing was signalled`, 'reload_node_certs works on Linux, where /proc shows which program a process runs.');
  }
  const name = await readProc(pid, 'comm').then((t) => t.trim(), () => null);
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  const startTime = startTimeOf(stat);
  // A zombie has an empty cmdline and no exe; it cannot reload anything.
  if (!startTime || !Number.isInteger(uid)) throw gone(pid, source);
  const [argv0 = '', argv1] = cmdline.split('\0');
  return { pid, source, name, executable: path.basename(exeLink.replace(/ \(deleted\)$/, '')), argv0: path.basename(argv0), argv1: argv1 ?? null, uid, startTime };
}

/**
 * The node process behind `pid`, checked against the allow-list and the pid file's owner; a
 * ToolError saying what was found otherwise. Nothing is signalled here.
 */
export async function identifyNodeProcess(pid: number, source: string, allowed: readonly string[], pidfile?: string): Promise<NodeProcess> {
  const found = await inspectProcess(pid, source);
  const list = allowed.join(', ');
  const fix = `Give the pid (or pid file) of the CockroachDB node or the PostgreSQL postmaster; if the server's executable has another name, add it to ${RELOAD_PROCESSES_VARIABLE} (now: ${list}).`;
  if (!allowed.includes(found.executable)) {
    throw new ToolError('refused', `process ${pid} (from ${source}) runs ${found.executable}${found.name && found.name !== found.executable ? ` (${found.name})` : ''}, which is not one of ${list}; nothing was signalled`, fix);
  }
  if (!allowed.includes(found.argv0)) {
    const shown = found.argv0 || '(empty)';
    const backend = found.executable === 'postgres' || found.executable === 'postmaster' ? ': a PostgreSQL backend or helper process (only the postmaster reloads the server; its pid is line 1 of postmaster.pid)' : '';
    throw new ToolError('refused', `process ${pid} (from ${source}) runs ${found.executable} but calls itself ${JSON.stringify(shown)}${backend}; nothing was signalled`, fix);
  }
  const role = await roleProblem(found);
  if (role) throw new ToolError('refused', `process ${pid} (from ${source}) runs ${found.executable}, but ${role}; nothing was signalled`, fix);
  if (pidfile) {
    const owner = await fs.stat(pidfile).then((s) => s.uid, () => undefined);
    if (owner !== undefined && owner !== found.uid) {
      throw new ToolError('refused', `process ${pid} belongs to uid ${found.uid}, but ${pidfile} belongs to uid ${owner}: the server that wrote the pid file is not the process running under that pid now; nothing was signalled`, 'Check that the node is running and the pid file is its own (a stale pid file names a pid the system gave to another process).');
    }
  }
  return found;
}

const COCKROACH_SERVER_COMMANDS = new Set(['start', 'start-single-node']);

/** Why a process running a known server executable is not the server itself, or undefined. */
async function roleProblem(p: NodeProcess): Promise<string | undefined> {
  if (p.executable === 'postgres' || p.executable === 'postmaster') {
    const dataDir = await fs.readlink(`/proc/${p.pid}/cwd`).catch(() => undefined);
    if (!dataDir) return `its working directory cannot be read (/proc/${p.pid}/cwd), so it cannot be told to be a postmaster`;
    const isDataDir = await fs.access(path.join(`/proc/${p.pid}/cwd`, 'PG_VERSION')).then(() => true, () => false);
    return isDataDir ? undefined : `it does not run in a PostgreSQL data dir (${dataDir} holds no PG_VERSION), as a postmaster does`;
  }
  if (p.executable === 'cockroach' && !COCKROACH_SERVER_COMMANDS.has(p.argv1 ?? '')) {
    return `it runs \`cockroach ${p.argv1 ?? ''}\`, not a node (\`cockroach start\` or \`start-single-node\`)`;
  }
  return undefined;
}
