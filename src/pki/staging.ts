import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * The names of the copies a write stages beside the files it places (src/pki/files.ts):
 * `.NAME.<12 hex>.tmp` (the new contents, a private key among them) and `.NAME.<12 hex>.bak`
 * (a hard link to the file it replaces, for undoing). A hidden name ending in .tmp or .bak is
 * never one that CockroachDB or a client loads (certnames.ts: only *.crt and the key beside it),
 * so nothing real is ever taken for a leftover.
 */
const STAGING_NAME = /^\.(.+)\.[0-9a-f]{12}\.(tmp|bak)$/;

/** A write places its files within milliseconds of staging them: a minute-old copy is a crash's. */
const STALE_STAGING_MS = 60_000;

export function stagingToken(): string {
  return crypto.randomBytes(6).toString('hex');
}

export function stagingNames(fileName: string, token: string): { temp: string; backup: string } {
  return { temp: `.${fileName}.${token}.tmp`, backup: `.${fileName}.${token}.bak` };
}

export interface StagingLeftover {
  /** The file name inside the directory. */
  name: string;
  /** The file it was staged for. */
  for_file: string;
  kind: 'new contents' | 'backup link';
  age_seconds: number;
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
    found.push({ name, for_file: match[1]!, kind: match[2] === 'tmp' ? 'new contents' : 'backup link', age_seconds: Math.max(0, Math.floor((now - stat.ctimeMs) / 1000)) });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Removes the staging copies older than a minute (a younger one may belong to a write still
 * under way in another process); returns the names removed. `dir` may be a pinned directory's
 * path (PinnedDir.at('.')).
 */
export async function removeStaleStaging(dir: string, now = Date.now()): Promise<string[]> {
  const stale = (await findStagingLeftovers(dir, now)).filter((leftover) => leftover.age_seconds * 1000 >= STALE_STAGING_MS);
  const removed: string[] = [];
  for (const leftover of stale) {
    if (await fs.rm(path.join(dir, leftover.name)).then(() => true, () => false)) removed.push(leftover.name);
  }
  return removed;
}
