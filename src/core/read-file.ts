import fsSync, { type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError } from './errors.js';

/**
 * Certificates, keys, CSRs and password files are kilobytes; a system trust store is about 200 KB.
 * Anything larger named as one is a mistake (a log, a disk image, /dev/zero behind a symlink) and
 * is refused before it fills memory.
 */
export const MAX_MATERIAL_BYTES = 4 * 1024 * 1024;

/** Text handed over in a call (pasted PEM, a URI, a statement): the same bound for every tool. */
export const MAX_PASTED_TEXT = 1_048_576;

const CHUNK_BYTES = 64 * 1024;

export interface ReadLimits {
  /** Default MAX_MATERIAL_BYTES. */
  limit?: number;
  /**
   * Also read a pipe (`--p12-password-file <(pass show db)` at a shell). Only for a path the
   * person named: MCP and Slack always have roots, and AllowedPaths refuses pipes there.
   */
  allowPipe?: boolean;
  /**
   * For a file found inside an allowed directory rather than named: it may be a symlink to
   * anywhere, so its real path must pass this check (AllowedPaths.contains) before it is read.
   */
  insideRoots?: ((realPath: string) => boolean) | undefined;
}

/**
 * Reads a file a person named: only a regular file (a FIFO would block the read forever, a device
 * never ends), at most `limit` bytes, counted as read (a file may grow after its size was looked
 * at). OS errors are thrown as they are, for the caller to word; the two refusals are ToolErrors.
 */
export async function readBoundedFile(file: string, what: string, { limit = MAX_MATERIAL_BYTES, allowPipe = false, insideRoots }: ReadLimits = {}): Promise<Buffer> {
  if (insideRoots) {
    const real = await fs.realpath(file);
    if (!insideRoots(real)) throw new ToolError('outside_roots', `the ${what} ${file} links to ${real}, outside the allowed directories; it was not read`, 'Copy the file into the directory, or set CRDB_TLS_ROOTS to include where it lives.');
  }
  const tooLarge = () => new ToolError('input_too_large', `the ${what} ${file} is larger than ${limit.toLocaleString('en-US')} bytes; it was not read`, `Name the ${what} itself: certificates and keys are a few kilobytes.`);
  const stat = await fs.stat(file);
  if (!stat.isFile() && !(allowPipe && stat.isFIFO())) throw new ToolError('invalid_input', `the ${what} ${file} is not a regular file`, `Name the ${what} itself.`);
  if (stat.size > limit) throw tooLarge();
  const handle = await fs.open(file, 'r');
  try {
    // A regular file is read in one call of its size plus one byte (a thousand certificates are
    // read at once by an inventory: 64 KiB each would be 64 MB of garbage). Pipes and procfs files
    // (size 0) are read in chunks until they end.
    const sized = stat.isFile() && stat.size > 0;
    let want = sized ? stat.size + 1 : CHUNK_BYTES;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(chunk, 0, want, null);
      total += bytesRead;
      if (total > limit) throw tooLarge();
      if (bytesRead > 0) chunks.push(chunk.subarray(0, bytesRead));
      // A regular file that gives less than asked for is at its end; the others end with 0.
      if (bytesRead === 0 || (sized && bytesRead < want)) return Buffer.concat(chunks, total);
      want = CHUNK_BYTES;
    }
  } finally {
    await handle.close();
  }
}

/**
 * readBoundedFile, and its stat, for the many small files of a certs-dir listing or an inventory, read
 * synchronously: a certificate or key is a few KB on a local disk, and the four awaited calls of
 * the async reader (stat, open, read, close through libuv's pool) cost five times the read itself
 * (bench/list-certs.ts). The same refusals: the file is opened non-blocking and what was opened is
 * checked (fstat), so a FIFO swapped in never blocks and a device is never read; at most `limit`
 * bytes. Callers yield to the event loop between batches (yieldEvery).
 */
export function readSmallFileSync(file: string, what: string, { limit = MAX_MATERIAL_BYTES, insideRoots, realDir }: { limit?: number; insideRoots?: ((realPath: string) => boolean) | undefined; realDir?: string | undefined } = {}): { contents: Buffer; stat: Stats } {
  let fd = insideRoots && realDir !== undefined ? openInRealDir(realDir, file) : undefined;
  if (fd === undefined && insideRoots) {
    const real = fsSync.realpathSync.native(file);
    if (!insideRoots(real)) throw new ToolError('outside_roots', `the ${what} ${file} links to ${real}, outside the allowed directories; it was not read`, 'Copy the file into the directory, or set CRDB_TLS_ROOTS to include where it lives.');
  }
  fd ??= fsSync.openSync(file, fsSync.constants.O_RDONLY | fsSync.constants.O_NONBLOCK);
  try {
    const stat = fsSync.fstatSync(fd);
    if (!stat.isFile()) throw new ToolError('invalid_input', `the ${what} ${file} is not a regular file`, `Name the ${what} itself.`);
    const tooLarge = () => new ToolError('input_too_large', `the ${what} ${file} is larger than ${limit.toLocaleString('en-US')} bytes; it was not read`, `Name the ${what} itself: certificates and keys are a few kilobytes.`);
    if (stat.size > limit) throw tooLarge();
    // One byte more than the size, and on until the end: a file may grow after fstat.
    const chunks: Buffer[] = [];
    let total = 0;
    let want = stat.size + 1;
    for (;;) {
      const bytesRead = want <= SCRATCH_BYTES ? readIntoScratch(fd, want, chunks) : readNew(fd, want, chunks);
      total += bytesRead;
      if (total > limit) throw tooLarge();
      if (bytesRead < want) return { contents: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total), stat };
      want = SCRATCH_BYTES;
    }
  } finally {
    fsSync.closeSync(fd);
  }
}

/**
 * A read into memory allocated for it costs the kernel a page fault for each fresh page it fills:
 * readSync of a 1,000-certificate listing's 2,001 files took 65 ms into new buffers and 15 ms into
 * one buffer already touched (node --import of a readSync timer, `cert list` of bench/list-certs.ts's
 * fixture). So a small file is read into one buffer kept for the purpose, copied out, and the
 * buffer wiped (it may have held a key).
 */
const SCRATCH_BYTES = 64 * 1024;
let scratch: Buffer | undefined;

function readIntoScratch(fd: number, want: number, chunks: Buffer[]): number {
  scratch ??= Buffer.alloc(SCRATCH_BYTES);
  const bytesRead = fsSync.readSync(fd, scratch, 0, want, null);
  if (bytesRead > 0) {
    chunks.push(Buffer.from(scratch.subarray(0, bytesRead)));
    scratch.fill(0, 0, bytesRead);
  }
  return bytesRead;
}

function readNew(fd: number, want: number, chunks: Buffer[]): number {
  const chunk = Buffer.allocUnsafe(want);
  const bytesRead = fsSync.readSync(fd, chunk, 0, want, null);
  if (bytesRead > 0) chunks.push(chunk.subarray(0, bytesRead));
  return bytesRead;
}

/**
 * The real path of a listed directory, when it lies inside the roots: its files are then opened
 * as realDir/NAME (readSmallFileSync's `realDir`), and only a name that is itself a symlink pays
 * a realpath of its own. Undefined without roots, or when the directory is outside them or cannot
 * be resolved: each file is then checked by its own real path, as its refusal says.
 */
export function realDirInsideRoots(dir: string, insideRoots: ((realPath: string) => boolean) | undefined): string | undefined {
  if (!insideRoots || fsSync.constants.O_NOFOLLOW === undefined) return undefined;
  try {
    const real = fsSync.realpathSync.native(dir);
    return insideRoots(real) ? real : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens `file`'s name inside `realDir` (symlink-free, inside the roots) without following a
 * symlink in its last part (O_NOFOLLOW): what opens is a file in that directory, so inside the
 * roots. Undefined when the name is a symlink, or on any other error: the caller then resolves
 * and opens the file as named, and the error it meets is the one it always gave.
 */
function openInRealDir(realDir: string, file: string): number | undefined {
  try {
    return fsSync.openSync(path.join(realDir, path.basename(file)), fsSync.constants.O_RDONLY | fsSync.constants.O_NONBLOCK | fsSync.constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
}

/** Awaits a turn of the event loop every `every` calls: a long synchronous batch still lets other requests (and a cancellation) in. */
export function yieldEvery(every: number): () => Promise<void> | undefined {
  let count = 0;
  return () => (++count % every === 0 ? new Promise<void>((resolve) => setImmediate(resolve)) : undefined);
}
