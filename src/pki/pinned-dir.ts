import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError, fileSystemError } from '../core/errors.js';

/** The roots check of a real (symlink-free) path (AllowedPaths.insideRootsCheck); undefined: no roots. */
export type InsideRoots = ((realPath: string) => boolean) | undefined;

const PROC_FD = '/proc/self/fd';
let procFdAvailable: boolean | undefined;

/**
 * A directory held open while files are written into it (issue 14: a directory inside the roots
 * swapped for a symlink to one outside, during a key generation, made the write land outside).
 *
 * On Linux every name is reached through /proc/self/fd/N/NAME, so the kernel resolves it in the
 * directory that was opened and checked, whatever happens to the path afterwards (the same effect
 * as openat/linkat, which Node does not expose). Elsewhere the real path found at opening is used.
 * Either way `verify()` looks again just before files are linked into place: the path must still
 * name the same directory (device and inode) and the directory must still lie inside the roots,
 * or the write stops with nothing placed.
 */
export class PinnedDir {
  private constructor(
    /** The directory as the caller named it (what messages show). */
    readonly dir: string,
    private readonly handle: fs.FileHandle,
    private readonly identity: { dev: number; ino: number },
    private readonly realAtOpen: string,
    private readonly viaFd: boolean,
    private readonly insideRoots: InsideRoots,
  ) {}

  static async open(dir: string, insideRoots: InsideRoots): Promise<PinnedDir> {
    procFdAvailable ??= existsSync(PROC_FD);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch (error) {
      throw fileSystemError(error, dir, 'open directory');
    }
    try {
      const stat = await handle.stat();
      const pinned = new PinnedDir(dir, handle, { dev: stat.dev, ino: stat.ino }, '', procFdAvailable, insideRoots);
      const real = await pinned.currentRealPath();
      const ready = new PinnedDir(dir, handle, pinned.identity, real, procFdAvailable, insideRoots);
      ready.refuseOutside(real);
      return ready;
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  /** The path that reaches `name` inside this very directory. */
  at(name: string): string {
    return this.viaFd ? `${PROC_FD}/${this.handle.fd}/${name}` : path.join(this.realAtOpen, name);
  }

  /** Throws unless the path still names this directory and the directory is still inside the roots. */
  async verify(): Promise<void> {
    let stat: import('node:fs').Stats;
    try {
      stat = await fs.stat(this.dir);
    } catch {
      throw this.moved();
    }
    if (stat.dev !== this.identity.dev || stat.ino !== this.identity.ino) throw this.moved();
    this.refuseOutside(await this.currentRealPath());
  }

  async sync(): Promise<void> {
    await this.handle.sync().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }

  private async currentRealPath(): Promise<string> {
    try {
      if (this.viaFd) return await fs.realpath(`${PROC_FD}/${this.handle.fd}`);
      const real = await fs.realpath(this.dir);
      const stat = await fs.stat(real);
      if (stat.dev !== this.identity.dev || stat.ino !== this.identity.ino) throw this.moved();
      return real;
    } catch (error) {
      if (error instanceof ToolError) throw error;
      // realpath of a directory that was removed (or moved out of reach) while it was open.
      throw this.moved();
    }
  }

  private refuseOutside(real: string): void {
    if (this.insideRoots && !this.insideRoots(real)) {
      throw new ToolError('outside_roots', `the directory ${this.dir} now resolves to ${real}, outside the allowed directories; nothing was written`, 'Something replaced a directory on the path (a symbolic link?). Check the path, or set CRDB_TLS_ROOTS to include where it points.');
    }
  }

  private moved(): ToolError {
    return new ToolError('outside_roots', `the directory ${this.dir} was moved or replaced while the files were being written; nothing was written`, 'Check what changed the directory, then run the command again.');
  }
}
