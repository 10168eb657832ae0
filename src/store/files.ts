/**
 * The embedded store's file primitives: whole-file JSON written atomically, and a lock directory
 * that makes read-check-write one step across the processes of one OS user (an MCP server and a
 * `crdb-tls confirm` in a terminal share the state directory).
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError, fileSystemError } from '../core/errors.js';

/** A lock older than this was left by a process that died mid-update: it is taken over. */
const STALE_LOCK_MS = 30_000;

/** Temp file in the same directory (0600), fsynced, then renamed (replace) or linked (create only) into place. */
export async function writeJsonAtomically(file: string, value: unknown, { replace }: { replace: boolean }): Promise<void> {
  const temp = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(value, null, 2) + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (replace) await fs.rename(temp, file);
    else await fs.link(temp, file);
  } finally {
    await fs.rm(temp, { force: true });
  }
  const dir = await fs.open(path.dirname(file), 'r').catch(() => undefined);
  await dir?.sync().catch(() => undefined);
  await dir?.close();
}

/** The store's own failure to read or write its state dir, with the one fix a person can make. */
export function stateFileError(error: unknown, file: string, action: string): ToolError {
  if (error instanceof ToolError) return error;
  const failure = fileSystemError(error, file, action);
  return new ToolError(failure.code, failure.message, 'Set CRDB_TLS_STATE_DIR to a directory you may write.');
}

export function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** Runs `action` holding the lock directory `lock` (mkdir is atomic); `what` names the thing for a person. */
export async function withLock<T>(lock: string, what: string, action: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await fs.mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw stateFileError(error, lock, `lock ${what}`);
      const age = await fs.stat(lock).then((stat) => Date.now() - stat.mtimeMs, () => 0);
      if (age > STALE_LOCK_MS) await fs.rmdir(lock).catch(() => undefined);
      else if (Date.now() > deadline) throw new ToolError('refused', `${what} is being updated by another process`, `Try again; if no crdb-tls process is running, remove ${lock}.`);
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  try {
    return await action();
  } finally {
    await fs.rmdir(lock).catch(() => undefined);
  }
}
