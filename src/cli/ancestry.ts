import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** The parent of `pid` and its command name, from /proc on Linux, else from ps(1); undefined when unknown. */
function parentOf(pid: number): { ppid: number; comm: string } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? { ppid, comm } : undefined;
  } catch {
    try {
      const [ppid, ...comm] = execFileSync('ps', ['-o', 'ppid=,comm=', '-p', String(pid)], { encoding: 'utf8' }).trim().split(/\s+/);
      return { ppid: Number(ppid), comm: comm.join(' ') };
    } catch {
      return undefined;
    }
  }
}

/** This process's ancestors, nearest first, up to (not including) pid 1. */
function ancestors(pid: number = process.pid): Array<{ pid: number; comm: string }> {
  const chain: Array<{ pid: number; comm: string }> = [];
  for (let current = pid, depth = 0; depth < 64; depth++) {
    const parent = parentOf(current);
    if (!parent || parent.ppid <= 1) break;
    const up = parentOf(parent.ppid);
    chain.push({ pid: parent.ppid, comm: up?.comm ?? '?' });
    current = parent.ppid;
  }
  return chain;
}

/** Processes that are everybody's ancestors (a service manager): one of them being the server's parent says nothing. */
const SESSION_MANAGERS = new Set(['systemd', 'init', 'launchd', 'login', 'sshd']);

function commandOf(pid: number): string | undefined {
  return parentOf(pid)?.comm;
}

/**
 * Whether this process was started, directly or not, by the server that asked for the
 * confirmation or by the program that started that server (an IDE, an agent): the way an
 * assistant's own shell tool would run `crdb-tls confirm`.
 */
export function startedBy(origin: { pid: number; ppid: number }): { pid: number; comm: string } | undefined {
  const suspects = new Set([origin.pid]);
  const parentComm = commandOf(origin.ppid);
  if (origin.ppid > 1 && parentComm !== undefined && !SESSION_MANAGERS.has(parentComm)) suspects.add(origin.ppid);
  return ancestors().find((a) => suspects.has(a.pid));
}
