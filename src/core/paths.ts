import fs from 'node:fs';
import path from 'node:path';
import { ToolError } from './errors.js';

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
    const absolute = path.resolve(expandHome(userPath));
    if (!this.realRoots) return absolute;
    const real = realpathOfNearest(absolute);
    const inside = this.realRoots.some((root) => real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep));
    if (!inside) {
      throw new ToolError('outside_roots', `${what} ${userPath} is outside the allowed directories`, `Allowed: ${this.realRoots.join(', ')}. Set CRDB_TLS_ROOTS to widen them.`);
    }
    return absolute;
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
