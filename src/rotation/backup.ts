import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError, fileSystemError } from '../core/errors.js';
import { writeFilesAtomically, type PlannedFile } from '../pki/files.js';
import { PinnedDir } from '../pki/pinned-dir.js';
import type { BackupRecord } from './steps.js';

/**
 * Backups of every file a rotation step replaces, under the state dir (never beside the files: a
 * certs dir is scanned by CockroachDB, and a data dir belongs to the server). Each backup dir is
 * 0700 and each copy 0600, since node and client keys are among them. CA keys are never backed
 * up: no step replaces one (a new CA key always goes to a new path), so nothing copies a CA key.
 */

export const BACKUPS_DIR = 'backups';

const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

export async function fileSha256(file: string): Promise<string | null> {
  try {
    return sha256(await fs.readFile(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fileSystemError(error, file, 'read');
  }
}

export interface BackupTarget {
  /** <state dir>/backups */
  root: string;
  planId: string;
  step: number;
  label: 'apply' | 'rollback';
  now: Date;
}

/** Copies each existing file into a fresh backup dir; a file that does not exist is recorded as such. */
export async function backupFiles(target: BackupTarget, files: string[]): Promise<BackupRecord[]> {
  const stamp = target.now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const dir = path.join(target.root, target.planId, `step-${target.step}-${target.label}-${stamp}-${crypto.randomBytes(3).toString('hex')}`);
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.chmod(path.join(target.root, target.planId), 0o700);
  } catch (error) {
    throw new ToolError('permission_denied', `cannot create the backup directory ${dir}: ${(error as Error).message}`, 'Set CRDB_TLS_STATE_DIR to a directory you may write; nothing was changed.');
  }
  const records: BackupRecord[] = [];
  for (const [i, file] of files.entries()) {
    let stat;
    try {
      stat = await fs.lstat(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        records.push({ path: file, backup: null, sha256_before: null, sha256_after: null, mode: null, uid: null, gid: null });
        continue;
      }
      throw fileSystemError(error, file, 'back up');
    }
    if (!stat.isFile()) throw new ToolError('invalid_input', `${file} is not a regular file; nothing was changed`, 'Replace it by a regular file or leave it out of the plan.');
    const contents = await fs.readFile(file).catch((error: unknown) => { throw fileSystemError(error, file, 'back up'); });
    const copy = path.join(dir, `${i}-${path.basename(file)}`);
    const handle = await fs.open(copy, 'wx', 0o600);
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    records.push({ path: file, backup: copy, sha256_before: sha256(contents), sha256_after: null, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid });
  }
  await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ plan: target.planId, step: target.step, taken: target.now.toISOString(), files: records }, null, 2) + '\n', { mode: 0o600 });
  return records;
}

export interface RestoreOutcome {
  restored: string[];
  removed: string[];
  /** Files the step created that are kept under another name (a CA key is moved aside, never deleted). */
  set_aside: string[];
}

export interface RestoreOptions {
  /** The roots check (AllowedPaths.insideRootsCheck): each target's directory must pass it when files are put back or removed. */
  insideRoots?: ((realPath: string) => boolean) | undefined;
  /** <state dir>/backups: a backup is read only if it is a regular file that really lies under it. */
  backupRoot: string;
}

/**
 * The bytes of a backup copy, read only when it is a regular file (no symlink, no FIFO) whose real
 * path lies under the backup root: a copy swapped for a link to a file elsewhere is refused before
 * its contents could be written into the roots.
 */
async function readBackup(record: BackupRecord, backupRoot: string): Promise<Buffer> {
  const gone = () => new ToolError('not_found', `the backup ${record.backup} of ${record.path} is gone; nothing was restored`, 'Restore the file by hand from another copy.');
  const swapped = (what: string) => new ToolError('refused', `the backup ${record.backup} of ${record.path} ${what}; nothing was restored`, `Someone changed the backups under ${backupRoot}; restore by hand from a copy you trust.`);
  const [real, root] = await Promise.all([fs.realpath(record.backup!).catch(() => undefined), fs.realpath(backupRoot).catch(() => undefined)]);
  if (!real || !root) throw gone();
  if (!real.startsWith(root + path.sep)) throw swapped(`resolves to ${real}, outside the backups directory`);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(record.backup!, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw swapped('is a symbolic link');
    throw gone();
  }
  try {
    if (!(await handle.stat()).isFile()) throw swapped('is not a regular file');
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Puts the files back as the backups hold them, all or none (one atomic write, into directories
 * held open and checked against the roots as any write is): a replaced file keeps owner, group and
 * mode, a key never wider than 0600 (and, when root, gets its recorded owner back if it was gone);
 * a file the step created is removed, or moved aside when it is in `moveAside`, through its
 * directory as opened and checked, so a directory swapped for a symlink to outside the roots is
 * refused instead of followed.
 */
export async function restoreFiles(records: BackupRecord[], moveAside: Set<string>, now: Date, options: RestoreOptions): Promise<RestoreOutcome> {
  const outcome: RestoreOutcome = { restored: [], removed: [], set_aside: [] };
  const planned: PlannedFile[] = [];
  for (const record of records.filter((r) => r.backup !== null)) {
    const contents = await readBackup(record, options.backupRoot);
    if (record.sha256_before && sha256(contents) !== record.sha256_before) {
      throw new ToolError('refused', `the backup ${record.backup} of ${record.path} does not match the hash recorded when it was taken; nothing was restored`, 'Someone changed the backup; restore by hand from a copy you trust.');
    }
    planned.push({ path: record.path, contents, mode: record.mode ?? 0o600, overwrite: true });
  }
  const created = records.filter((r) => r.backup === null);
  // Every directory a created file is removed from is checked before anything is put back.
  const pins = new Map<string, PinnedDir>();
  try {
    for (const dir of new Set(created.map((r) => path.dirname(r.path)))) {
      // A directory that is gone holds nothing to remove.
      if (await fs.lstat(dir).then(() => true, () => false)) pins.set(dir, await PinnedDir.open(dir, options.insideRoots));
    }
    await writeFilesAtomically(planned, { insideRoots: options.insideRoots });
    for (const record of records.filter((r) => r.backup !== null)) {
      if (process.getuid?.() === 0 && record.uid !== null && record.gid !== null) await fs.chown(record.path, record.uid, record.gid).catch(() => undefined);
      outcome.restored.push(record.path);
    }
    for (const record of created) {
      const pin = pins.get(path.dirname(record.path));
      if (!pin) continue;
      await pin.verify();
      const inDir = pin.at(path.basename(record.path));
      const present = await fs.lstat(inDir).then(() => true, () => false);
      if (!present) continue;
      if (moveAside.has(record.path)) {
        const asideName = `${path.basename(record.path)}.rolled-back-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
        await fs.rename(inDir, pin.at(asideName)).catch((error: unknown) => { throw fileSystemError(error, record.path, 'move aside'); });
        outcome.set_aside.push(path.join(path.dirname(record.path), asideName));
      } else {
        await fs.rm(inDir).catch((error: unknown) => { throw fileSystemError(error, record.path, 'remove'); });
        outcome.removed.push(record.path);
      }
    }
  } finally {
    await Promise.all([...pins.values()].map((pin) => pin.close()));
  }
  return outcome;
}
