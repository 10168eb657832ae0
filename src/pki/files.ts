import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError, fileSystemError } from '../core/errors.js';
import { PinnedDir, type InsideRoots } from './pinned-dir.js';
import { cleanStaging, stagingNames, stagingToken } from './staging.js';

export const KEY_MODE = 0o600;
export const CERT_MODE = 0o644;
const CERTS_DIR_MODE = 0o700;

export interface PlannedFile {
  path: string;
  contents: string | Buffer;
  /**
   * Mode for a new file. A replaced file keeps its owner, group and mode, except that a private
   * file (a mode without group or other bits: KEY_MODE) never gets a wider mode than this one, so
   * a key replaced over a 0644 file is 0600 and one over a 0400 file stays 0400 (DESIGN.md §5).
   */
  mode: number;
  overwrite: boolean;
}

/** What a write placed: the mode is the one actually on the file (a summary must not guess it). */
export interface WrittenFile {
  path: string;
  mode: number;
  replaced: boolean;
}

export interface WriteOptions {
  /** The roots check (AllowedPaths.insideRootsCheck): each directory must pass it when the files are placed. */
  insideRoots?: InsideRoots;
}

/** 0600 → "0600", as the summaries print a mode. */
export const octalMode = (mode: number) => '0' + (mode & 0o7777).toString(8).padStart(3, '0');

export interface FileState {
  path: string;
  exists: boolean;
  size?: number;
  sha256?: string;
}

export async function fileState(filePath: string): Promise<FileState> {
  try {
    const contents = await fs.readFile(filePath);
    return { path: filePath, exists: true, size: contents.length, sha256: crypto.createHash('sha256').update(contents).digest('hex') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path: filePath, exists: false };
    throw fileSystemError(error, filePath, 'read');
  }
}

/** A hash of the files an assessment read: if any of them changes, so does the fingerprint. */
export async function stateFingerprint(paths: string[]): Promise<string> {
  const states = await Promise.all(paths.map(fileState));
  return crypto.createHash('sha256').update(JSON.stringify(states)).digest('hex');
}

async function lstatOrUndefined(filePath: string, shown: string) {
  try {
    return await fs.lstat(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileSystemError(error, shown, 'inspect');
  }
}

/**
 * Creates the certs dir like `cockroach cert` (one level, 0700); returns whether it was created.
 * The directory is made inside its parent as opened and checked against the roots, so a parent
 * swapped for a symlink cannot make it appear elsewhere.
 */
async function ensureCertsDir(dir: string, { insideRoots }: WriteOptions = {}): Promise<boolean> {
  let parent: PinnedDir;
  try {
    parent = await PinnedDir.open(path.dirname(dir), insideRoots);
  } catch (error) {
    if (error instanceof ToolError && error.code === 'not_found') throw new ToolError('not_found', `cannot create certs dir ${dir}: its parent directory does not exist`, `Create ${path.dirname(dir)} first.`);
    throw error;
  }
  const inParent = parent.at(path.basename(dir));
  try {
    await fs.mkdir(inParent, { mode: CERTS_DIR_MODE });
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      // EEXIST with a failing stat: a symlink whose target is missing (or unreadable).
      const stat = await fs.stat(inParent).catch((statError: unknown) => {
        if ((statError as NodeJS.ErrnoException).code !== 'ENOENT') throw fileSystemError(statError, dir, 'use certs dir');
        throw new ToolError('not_found', `certs dir ${dir} is a symbolic link to a directory that does not exist`, 'Create the directory it points to, or give --certs-dir the real directory.');
      });
      if (!stat.isDirectory()) throw new ToolError('invalid_input', `${dir} exists and is not a directory`, 'Give a directory for --certs-dir.');
      return false;
    }
    throw fileSystemError(error, dir, 'create directory');
  } finally {
    await parent.close();
  }
}

/**
 * Writes every file or none (reference §1.3, DESIGN.md §5). Each file goes to a temp file in the
 * same directory (fsynced, mode and owner set), then all are renamed into place; a failure on the
 * way undoes what was already placed, so a crash or an error never leaves a half-written key or a
 * certificate without its key. New files are linked into place, which fails if the name appeared
 * in the meantime, so "never overwrite without permission" holds even against a race. Every
 * directory is held open from the start (PinnedDir) and checked again just before the first file
 * is placed, so a directory swapped for a symlink meanwhile makes the write fail with nothing left.
 */
export async function writeFilesAtomically(files: PlannedFile[], options: WriteOptions = {}): Promise<WrittenFile[]> {
  const pins = new Map<string, PinnedDir>();
  try {
    for (const dir of new Set(files.map((file) => path.dirname(file.path)))) pins.set(dir, await PinnedDir.open(dir, options.insideRoots));
    return await writeIntoPinned(files, (file) => pins.get(path.dirname(file.path))!, [...pins.values()]);
  } finally {
    await Promise.all([...pins.values()].map((pin) => pin.close()));
  }
}

async function writeIntoPinned(files: PlannedFile[], pinOf: (file: PlannedFile) => PinnedDir, pins: PinnedDir[]): Promise<WrittenFile[]> {
  // Copies a killed write left behind (a private key among them) go before new ones are staged.
  await Promise.all(pins.map((pin) => cleanStaging(pin.at('.'))));
  const targets = files.map((file) => pinOf(file).at(path.basename(file.path)));
  const existing = await Promise.all(files.map((file, i) => lstatOrUndefined(targets[i]!, file.path)));
  files.forEach((file, i) => {
    const stat = existing[i];
    if (stat && !file.overwrite) throw new ToolError('already_exists', `${file.path} already exists`, 'Pass --overwrite (overwrite: true) to replace it; the old file is then gone.');
    if (stat && !stat.isFile()) throw new ToolError('invalid_input', `${file.path} exists and is not a regular file`, 'Move it away first.');
  });

  const token = stagingToken();
  const staged = files.map((file) => stagingNames(path.basename(file.path), token));
  const temps = files.map((file, i) => pinOf(file).at(staged[i]!.temp));
  const backups = files.map((file, i) => pinOf(file).at(staged[i]!.backup));
  const modes = files.map((file, i) => modeFor(file, existing[i]));
  const removeQuietly = (paths: string[]) => Promise.all(paths.map((p) => fs.rm(p, { force: true }).catch(() => undefined)));

  try {
    for (const [i, file] of files.entries()) await stageFile(temps[i]!, file, modes[i]!, existing[i]);
    for (const pin of pins) await pin.verify();
  } catch (error) {
    await removeQuietly(temps);
    throw error;
  }

  const placed: Array<{ index: number; replaced: boolean }> = [];
  try {
    // Every file is placed before any staging copy goes: a process killed on the way leaves a
    // new-contents copy that is not yet its file, which tells the next run (cleanStaging) to undo
    // the files this write had placed instead of leaving a key beside another write's certificate.
    for (const [i, file] of files.entries()) {
      if (existing[i]) {
        // The backup is a second name for the old file: a private one is first narrowed to the
        // new mode, so no copy of an old key outlives the write wider than the key it replaces.
        if (isPrivate(file) && (existing[i]!.mode & 0o777 & ~modes[i]!) !== 0) await fs.chmod(targets[i]!, existing[i]!.mode & 0o7777 & modes[i]!);
        await fs.link(targets[i]!, backups[i]!);
        await fs.rename(temps[i]!, targets[i]!);
        placed.push({ index: i, replaced: true });
      } else {
        await fs.link(temps[i]!, targets[i]!);
        placed.push({ index: i, replaced: false });
      }
    }
  } catch (error) {
    for (const { index, replaced } of placed.reverse()) {
      if (replaced) await fs.rename(backups[index]!, targets[index]!).catch(() => undefined);
      else await fs.rm(targets[index]!, { force: true }).catch(() => undefined);
    }
    await removeQuietly([...temps, ...backups]);
    const failed = files[placed.length]?.path ?? files[0]!.path;
    throw error instanceof ToolError ? error : fileSystemError(error, failed, 'write');
  }
  await removeQuietly([...temps, ...backups]);
  await Promise.all(pins.map((pin) => pin.sync()));
  return files.map((file, i) => ({ path: file.path, mode: modes[i]!, replaced: existing[i] !== undefined }));
}

/** A private file (a key): its planned mode has no group or other bits. */
const isPrivate = (file: PlannedFile) => (file.mode & 0o077) === 0;

function modeFor(file: PlannedFile, replaced: import('node:fs').Stats | undefined): number {
  return replaced ? modeAfterReplace(file.mode, replaced.mode) : file.mode;
}

/** The mode a write gives a file planned with `plannedMode` that replaces one of `existingMode`: kept, but a private file's never wider than planned. */
export function modeAfterReplace(plannedMode: number, existingMode: number): number {
  const kept = existingMode & 0o7777;
  return (plannedMode & 0o077) === 0 ? kept & plannedMode : kept;
}

async function stageFile(temp: string, file: PlannedFile, mode: number, replaced: import('node:fs').Stats | undefined): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx', 0o600);
    await handle.writeFile(file.contents);
    await handle.sync();
    // A node process may run as another user: the replacement keeps the old owner and group.
    if (replaced && (replaced.uid !== process.getuid?.() || replaced.gid !== process.getgid?.())) await handle.chown(replaced.uid, replaced.gid);
    await handle.chmod(mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM' && replaced) {
      throw new ToolError('permission_denied', `cannot keep the owner of ${file.path} (uid ${replaced.uid}, gid ${replaced.gid}) when replacing it`, 'Run as root or as the owner of the file.');
    }
    throw fileSystemError(error, file.path, 'write');
  } finally {
    await handle?.close();
  }
}

/** Creates the certs dir if needed and writes the files; a dir created here is removed again on failure. */
export async function writeIntoCertsDir(certsDir: string, files: PlannedFile[], options: WriteOptions = {}): Promise<WrittenFile[]> {
  const created = await ensureCertsDir(certsDir, options);
  try {
    return await writeFilesAtomically(files, options);
  } catch (error) {
    if (created) await fs.rmdir(certsDir).catch(() => undefined);
    throw error;
  }
}
