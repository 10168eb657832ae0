import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * The names of the copies a write stages beside the files it places (src/pki/files.ts):
 * `.NAME.<writer>.tmp` (the new contents, a private key among them, never wider than the file's
 * final mode) and `.NAME.<writer>.bak` (a hard link to the file it replaces, for undoing). The
 * writer part is `<host tag>-<pid>-<random>`, so a later process can tell a crash's leftovers
 * (their process is gone) from a write still under way. Earlier versions wrote `<12 hex>`; those
 * are still recognised. A hidden name ending in .tmp or .bak is never one that CockroachDB or a
 * client loads (certnames.ts: only *.crt and the key beside it), so nothing real is ever taken for
 * a leftover.
 */
const STAGING_NAME = /^\.(.+)\.((?:[0-9a-f]{6}-\d{1,10}-[0-9a-f]{8})|[0-9a-f]{12})\.(tmp|bak)$/;

/** Without a way to know whether the writer is gone, a minute-old copy is a crash's: a write places its files within milliseconds of staging them. */
export const STALE_STAGING_MS = 60_000;

const hostTag = () => crypto.createHash('sha256').update(os.hostname()).digest('hex').slice(0, 6);

export function stagingToken(): string {
  return `${hostTag()}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

export function stagingNames(fileName: string, token: string): { temp: string; backup: string } {
  return { temp: `.${fileName}.${token}.tmp`, backup: `.${fileName}.${token}.bak` };
}

/**
 * Whether the process that staged under `token` has certainly ended: it ran on this host (same
 * host tag) and no process with its pid exists. Another host's writer (a shared volume), our own
 * pid, or a pid now reused, are not known to be gone: those copies wait for the minute.
 */
function writerGone(token: string): boolean {
  const parts = /^([0-9a-f]{6})-(\d+)-[0-9a-f]{8}$/.exec(token);
  if (!parts || parts[1] !== hostTag()) return false;
  const pid = Number(parts[2]);
  if (pid === process.pid || pid <= 1) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface StagingLeftover {
  /** The file name inside the directory. */
  name: string;
  /** The file it was staged for. */
  for_file: string;
  kind: 'new contents' | 'backup link';
  age_seconds: number;
  /** The process that staged it has ended (on this host), so it is a crash's leftover whatever its age. */
  writer_gone: boolean;
  /** Which write it belongs to (the files of one write share it). */
  token: string;
}

/**
 * The staging copies in a directory (a write killed between staging and clean-up leaves them).
 * Age is taken from ctime: linking a backup sets it, while its mtime is the old file's.
 */
export async function findStagingLeftovers(dir: string, now = Date.now()): Promise<StagingLeftover[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const found: StagingLeftover[] = [];
  for (const name of names) {
    const match = STAGING_NAME.exec(name);
    if (!match) continue;
    const stat = await fs.lstat(path.join(dir, name)).catch(() => undefined);
    if (!stat?.isFile()) continue;
    found.push({
      name, for_file: match[1]!, kind: match[3] === 'tmp' ? 'new contents' : 'backup link', token: match[2]!,
      age_seconds: Math.max(0, Math.floor((now - stat.ctimeMs) / 1000)), writer_gone: writerGone(match[2]!),
    });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

export interface StagingCleanup {
  /** Staging copies removed. */
  removed: string[];
  /** Files put back as they were before an interrupted write (its backup renamed over what it had placed, or a file it had newly placed removed). */
  restored: string[];
}

/** What cleanStaging would do in a directory, found without changing anything. */
export interface StagingCleanupPlan {
  /** Backup links to rename back over the file they were made from (an interrupted write had replaced it). */
  putBack: Array<{ backup: string; file: string }>;
  /** Files an interrupted write had newly placed: they go, as the write never finished. */
  unplace: string[];
  /** The staging copies to remove afterwards. */
  remove: string[];
}

const inode = (file: string) => fs.lstat(file).then((s) => `${s.dev}:${s.ino}`, () => undefined);

/**
 * What to do about writes that were killed: for each write (one token) whose copies are a crash's
 * (its process is gone, or they are a minute old). A write places all its files first and removes
 * its staging copies after (files.ts), so a new-contents copy that is not the file it was meant
 * for says the write stopped half-way: then the files it had already placed in this directory are
 * undone (a replaced file gets its backup back, a newly placed one goes), so a key and its
 * certificate are not left from two different writes. Then the copies go. A write that spanned two
 * directories (a CA key kept apart) is undone only in the directory where it stopped.
 */
export async function planStagingCleanup(dir: string, now = Date.now()): Promise<StagingCleanupPlan> {
  const byToken = new Map<string, StagingLeftover[]>();
  for (const leftover of await findStagingLeftovers(dir, now)) byToken.set(leftover.token, [...(byToken.get(leftover.token) ?? []), leftover]);
  const plan: StagingCleanupPlan = { putBack: [], unplace: [], remove: [] };
  const at = (name: string) => path.join(dir, name);
  for (const group of byToken.values()) {
    if (!group.every((l) => l.writer_gone || l.age_seconds * 1000 >= STALE_STAGING_MS)) continue;
    const placedNew: string[] = [];
    let stoppedHalfWay = false;
    for (const temp of group.filter((l) => l.kind === 'new contents')) {
      if ((await inode(at(temp.name))) === (await inode(at(temp.for_file)))) placedNew.push(temp.for_file);
      else stoppedHalfWay = true;
    }
    const putBack: StagingCleanupPlan['putBack'] = [];
    for (const backup of group.filter((l) => l.kind === 'backup link')) {
      if ((await inode(at(backup.name))) !== (await inode(at(backup.for_file)))) putBack.push({ backup: backup.name, file: backup.for_file });
    }
    if (stoppedHalfWay) {
      plan.putBack.push(...putBack);
      plan.unplace.push(...placedNew);
    }
    plan.remove.push(...group.map((l) => l.name).filter((name) => !(stoppedHalfWay && putBack.some((b) => b.backup === name))));
  }
  return plan;
}

/**
 * Carries out planStagingCleanup. `dir` may be a pinned directory's path (PinnedDir.at('.')).
 * Every write runs it on its directories before staging, and start-up on the usual places.
 */
export async function cleanStaging(dir: string, now = Date.now()): Promise<StagingCleanup> {
  const plan = await planStagingCleanup(dir, now);
  const at = (name: string) => path.join(dir, name);
  const done = (promise: Promise<unknown>) => promise.then(() => true, () => false);
  const result: StagingCleanup = { removed: [], restored: [] };
  for (const { backup, file } of plan.putBack) {
    if (!(await done(fs.rename(at(backup), at(file))))) continue;
    result.restored.push(file);
    result.removed.push(backup);
  }
  for (const file of plan.unplace) {
    if (await done(fs.rm(at(file)))) result.restored.push(file);
  }
  for (const name of plan.remove) {
    if (await done(fs.rm(at(name)))) result.removed.push(name);
  }
  return result;
}

/**
 * Whether a file is there for a command deciding "exists, pass --overwrite": a file that a killed
 * write had placed half-way is not (the write's clean-up removes it before anything is written).
 * Read-only, so a dry run changes nothing.
 */
export async function existsBesidesInterruptedWrite(file: string): Promise<boolean> {
  if (!(await fs.access(file).then(() => true, () => false))) return false;
  const plan = await planStagingCleanup(path.dirname(file));
  return !plan.unplace.includes(path.basename(file));
}
