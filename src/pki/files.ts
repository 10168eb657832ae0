import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError, fileSystemError } from '../core/errors.js';

export const KEY_MODE = 0o600;
export const CERT_MODE = 0o644;
export const CERTS_DIR_MODE = 0o700;

export interface PlannedFile {
  path: string;
  contents: string | Buffer;
  /** Mode for a new file; a replaced file keeps its own mode, owner and group. */
  mode: number;
  overwrite: boolean;
}

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

async function lstatOrUndefined(filePath: string) {
  try {
    return await fs.lstat(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileSystemError(error, filePath, 'inspect');
  }
}

/** Creates the certs dir like `cockroach cert` (one level, 0700); returns whether it was created. */
export async function ensureCertsDir(dir: string): Promise<boolean> {
  try {
    await fs.mkdir(dir, { mode: CERTS_DIR_MODE });
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      // EEXIST with a failing stat: a symlink whose target is missing (or unreadable).
      const stat = await fs.stat(dir).catch((statError: unknown) => {
        if ((statError as NodeJS.ErrnoException).code !== 'ENOENT') throw fileSystemError(statError, dir, 'use certs dir');
        throw new ToolError('not_found', `certs dir ${dir} is a symbolic link to a directory that does not exist`, 'Create the directory it points to, or give --certs-dir the real directory.');
      });
      if (!stat.isDirectory()) throw new ToolError('invalid_input', `${dir} exists and is not a directory`, 'Give a directory for --certs-dir.');
      return false;
    }
    if (code === 'ENOENT') throw new ToolError('not_found', `cannot create certs dir ${dir}: its parent directory does not exist`, `Create ${path.dirname(dir)} first.`);
    throw fileSystemError(error, dir, 'create directory');
  }
}

/**
 * Writes every file or none (reference §1.3, DESIGN.md §5). Each file goes to a temp file in the
 * same directory (fsynced, mode and owner set), then all are renamed into place; a failure on the
 * way undoes what was already placed, so a crash or an error never leaves a half-written key or a
 * certificate without its key. New files are linked into place, which fails if the name appeared
 * in the meantime, so "never overwrite without permission" holds even against a race.
 */
export async function writeFilesAtomically(files: PlannedFile[]): Promise<void> {
  const existing = await Promise.all(files.map((file) => lstatOrUndefined(file.path)));
  files.forEach((file, i) => {
    const stat = existing[i];
    if (stat && !file.overwrite) throw new ToolError('already_exists', `${file.path} already exists`, 'Pass --overwrite (overwrite: true) to replace it; the old file is then gone.');
    if (stat && !stat.isFile()) throw new ToolError('invalid_input', `${file.path} exists and is not a regular file`, 'Move it away first.');
  });

  const token = crypto.randomBytes(6).toString('hex');
  const temps = files.map((file) => path.join(path.dirname(file.path), `.${path.basename(file.path)}.${token}.tmp`));
  const backups = files.map((file) => path.join(path.dirname(file.path), `.${path.basename(file.path)}.${token}.bak`));
  const removeQuietly = (paths: string[]) => Promise.all(paths.map((p) => fs.rm(p, { force: true }).catch(() => undefined)));

  try {
    for (const [i, file] of files.entries()) await stageFile(temps[i]!, file, existing[i]);
  } catch (error) {
    await removeQuietly(temps);
    throw error;
  }

  const placed: Array<{ index: number; replaced: boolean }> = [];
  try {
    for (const [i, file] of files.entries()) {
      if (existing[i]) {
        await fs.link(file.path, backups[i]!);
        await fs.rename(temps[i]!, file.path);
        placed.push({ index: i, replaced: true });
      } else {
        await fs.link(temps[i]!, file.path);
        placed.push({ index: i, replaced: false });
        await fs.rm(temps[i]!);
      }
    }
  } catch (error) {
    for (const { index, replaced } of placed.reverse()) {
      if (replaced) await fs.rename(backups[index]!, files[index]!.path).catch(() => undefined);
      else await fs.rm(files[index]!.path, { force: true }).catch(() => undefined);
    }
    await removeQuietly([...temps, ...backups]);
    const failed = files[placed.length]?.path ?? files[0]!.path;
    throw error instanceof ToolError ? error : fileSystemError(error, failed, 'write');
  }
  await removeQuietly(backups);
  await Promise.all([...new Set(files.map((f) => path.dirname(f.path)))].map(syncDirectory));
}

async function stageFile(temp: string, file: PlannedFile, replaced: import('node:fs').Stats | undefined): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx', 0o600);
    await handle.writeFile(file.contents);
    await handle.sync();
    if (replaced) {
      // A node process may run as another user: the replacement keeps the old owner and mode.
      if (replaced.uid !== process.getuid?.() || replaced.gid !== process.getgid?.()) await handle.chown(replaced.uid, replaced.gid);
      await handle.chmod(replaced.mode & 0o7777);
    } else {
      await handle.chmod(file.mode);
    }
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

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r').catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}

/** Creates the certs dir if needed and writes the files; a dir created here is removed again on failure. */
export async function writeIntoCertsDir(certsDir: string, files: PlannedFile[]): Promise<void> {
  const created = await ensureCertsDir(certsDir);
  try {
    await writeFilesAtomically(files);
  } catch (error) {
    if (created) await fs.rmdir(certsDir).catch(() => undefined);
    throw error;
  }
}
