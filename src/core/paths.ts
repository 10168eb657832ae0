import fs from 'node:fs';
import path from 'node:path';
import { ToolError } from './errors.js';

const MAX_PATH_LENGTH = 4096;

/**
 * Resolves a path the way the OS will (symlinks followed) and checks it against the allowed
 * roots (DESIGN.md §5). A path that does not exist yet is judged by its nearest existing parent.
 */
export class AllowedPaths {
  private readonly realRoots: string[] | undefined;

  constructor(roots: string[] | undefined) {
    this.realRoots = roots?.map((root) => realpathOfNearest(path.resolve(root)));
  }

  resolve(userPath: string, what = 'path'): string {
    if (typeof userPath !== 'string' || userPath.trim() === '') {
      throw new ToolError('invalid_input', `${what} is empty`, `Give the ${what} as a file system path.`);
    }
    if (userPath.includes('\0')) throw new ToolError('invalid_input', `${what} contains a NUL byte`);
    // Longer than any OS takes (PATH_MAX is 4096 on Linux); a MiB-long path also made the
    // ancestor-by-ancestor walk below quadratic and stalled the server (test/fuzz).
    if (userPath.length > MAX_PATH_LENGTH) throw new ToolError('invalid_input', `${what} is ${userPath.length} characters long; the limit is ${MAX_PATH_LENGTH}`, `Give a shorter ${what}.`);
    const absolute = path.resolve(expandHome(userPath));
    if (!this.realRoots) return absolute;
    const real = realpathOfNearest(absolute);
    if (!this.contains(real)) {
      throw new ToolError('outside_roots', `${what} ${userPath} is outside the allowed directories`, `Allowed: ${this.realRoots.join(', ')}. Set CRDB_TLS_ROOTS to widen them.`);
    }
    refuseSpecialFile(real, what, userPath);
    return absolute;
  }

  /**
   * For files found inside an allowed directory, which may be symlinks to anywhere: the check of
   * their real path, or undefined without roots (nothing to check, no realpath call per file).
   */
  get insideRootsCheck(): ((realPath: string) => boolean) | undefined {
    return this.realRoots ? (realPath) => this.contains(realPath) : undefined;
  }

  /** Whether a real (symlink-free) path lies inside the roots; always true without roots. */
  contains(realPath: string): boolean {
    if (!this.realRoots) return true;
    return this.realRoots.some((root) => realPath === root || realPath.startsWith(root.endsWith(path.sep) ? root : root + path.sep));
  }
}

/**
 * Only files and directories: reading a FIFO waits for a writer forever (it held a thread of
 * libuv's pool and the call never answered, test/fuzz), a device never ends. The CLI without
 * roots skips this, so that `--p12-password-file <(...)` keeps working for a person at a shell.
 */
function refuseSpecialFile(real: string, what: string, userPath: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(real);
  } catch {
    return; // does not exist (yet): nothing to read
  }
  if (!stat.isFile() && !stat.isDirectory()) {
    throw new ToolError('invalid_input', `${what} ${userPath} is not a regular file or directory`, 'Give the path of a file or a directory; pipes, sockets and devices are not read.');
  }
}

function expandHome(p: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(process.env.HOME ?? '/', p.slice(1));
  return p;
}

/**
 * realpath of the path, or of its nearest existing ancestor with the rest appended. A dangling
 * symlink is followed by hand: writing through it would create a file where it points.
 */
function realpathOfNearest(absolute: string, depth = 0): string {
  let existing = absolute;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(existing), ...rest.reverse());
    } catch {
      const target = danglingLinkTarget(existing);
      if (target !== undefined && depth < 40) return realpathOfNearest(path.join(target, ...rest.reverse()), depth + 1);
      const parent = path.dirname(existing);
      if (parent === existing) return absolute;
      rest.push(path.basename(existing));
      existing = parent;
    }
  }
}

function danglingLinkTarget(candidate: string): string | undefined {
  try {
    if (!fs.lstatSync(candidate).isSymbolicLink()) return undefined;
    return path.resolve(path.dirname(candidate), fs.readlinkSync(candidate));
  } catch {
    return undefined;
  }
}
