import fs, { type Stats } from 'node:fs';
import { ToolError } from './errors.js';
import { MAX_MATERIAL_BYTES } from './read-file.js';

/**
 * readBoundedFile (read-file.ts), and its stat, for the many small files of a certs-dir listing or an inventory, read
 * synchronously: a certificate or key is a few KB on a local disk, and the four awaited calls of
 * the async reader (stat, open, read, close through libuv's pool) cost five times the read itself
 * (bench/list-certs.ts). The same refusals: the file is opened non-blocking and what was opened is
 * checked (fstat), so a FIFO swapped in never blocks and a device is never read; at most `limit`
 * bytes. Callers yield to the event loop between batches (yieldEvery).
 */
export function readSmallFileSync(file: string, what: string, { limit = MAX_MATERIAL_BYTES, insideRoots }: { limit?: number; insideRoots?: ((realPath: string) => boolean) | undefined } = {}): { contents: Buffer; stat: Stats } {
  if (insideRoots) {
    const real = fs.realpathSync(file);
    if (!insideRoots(real)) throw new ToolError('outside_roots', `the ${what} ${file} links to ${real}, outside the allowed directories; it was not read`, 'Copy the file into the directory, or set CRDB_TLS_ROOTS to include where it lives.');
  }
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new ToolError('invalid_input', `the ${what} ${file} is not a regular file`, `Name the ${what} itself.`);
    const tooLarge = () => new ToolError('input_too_large', `the ${what} ${file} is larger than ${limit.toLocaleString('en-US')} bytes; it was not read`, `Name the ${what} itself: certificates and keys are a few kilobytes.`);
    if (stat.size > limit) throw tooLarge();
    // One byte more than the size, and on until the end: a file may grow after fstat.
    const chunks: Buffer[] = [];
    let total = 0;
    let want = stat.size + 1;
    for (;;) {
      const chunk = Buffer.allocUnsafe(want);
      const bytesRead = fs.readSync(fd, chunk, 0, want, null);
      total += bytesRead;
      if (total > limit) throw tooLarge();
      if (bytesRead > 0) chunks.push(chunk.subarray(0, bytesRead));
      if (bytesRead < want) return { contents: Buffer.concat(chunks, total), stat };
      want = 64 * 1024;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Awaits a turn of the event loop every `every` calls: a long synchronous batch still lets other requests (and a cancellation) in. */
export function yieldEvery(every: number): () => Promise<void> | undefined {
  let count = 0;
  return () => (++count % every === 0 ? new Promise<void>((resolve) => setImmediate(resolve)) : undefined);
}
