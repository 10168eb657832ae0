/**
 * A revealed sink URI holds a private key, so outside the person's own terminal it never goes into
 * a result (DESIGN.md §5): it is written to a new 0600 file, atomically (temp + link, so a file of
 * that name is never replaced), and the result carries the file's path and SHA-256 instead.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { ToolError } from '../core/errors.js';
import { KEY_MODE, writeFilesAtomically } from '../pki/files.js';

export const RevealedFile = z.object({
  path: z.string().describe('The 0600 file that holds the full URI or statement, with the private key'),
  sha256: z.string().describe('SHA-256 of the file\'s contents: names what was revealed without holding it'),
  holds: z.enum(['uri', 'statement']).describe('statement: the CREATE CHANGEFEED statement (run it with cockroach sql --file); uri: the sink URI on one line'),
});
export type RevealedFile = z.infer<typeof RevealedFile>;

export const sha256Hex = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/** The default name: the same revealed text lands in the same file, another text in another. */
export function revealFileName(holds: RevealedFile['holds'], sha256: string): string {
  return `changefeed-${sha256.slice(0, 12)}.${holds === 'statement' ? 'sql' : 'uri'}`;
}

/**
 * Writes `text` to `file` (already resolved inside the roots). A file that already holds exactly
 * this text is kept (calling again is harmless); any other existing file is refused, never replaced.
 */
export async function writeRevealedFile(file: string, text: string, holds: RevealedFile['holds']): Promise<RevealedFile> {
  const contents = `${text}\n`;
  const sha256 = sha256Hex(contents);
  const bytes = Buffer.from(contents, 'utf8');
  const stat = await fs.lstat(file).catch(() => undefined);
  if (stat?.isFile() && stat.size === bytes.length && (await fs.readFile(file)).equals(bytes)) {
    if ((stat.mode & 0o077) !== 0) await fs.chmod(file, KEY_MODE);
    return { path: file, sha256, holds };
  }
  try {
    await writeFilesAtomically([{ path: file, contents, mode: KEY_MODE, overwrite: false}]);
  } catch (error) {
    if (error instanceof ToolError && error.code === 'already_exists') {
      throw new ToolError('already_exists', `${file} already exists and holds something else; a revealed URI never replaces a file`, `Give reveal_to a new file name, or leave it out to write ${revealFileName(holds, sha256)} next to the key.`);
    }
    throw error;
  }
  return { path: file, sha256, holds };
}

/** The directory a revealed file goes to by default: where the key (or else a certificate) file is. */
export function defaultRevealDirectory(materialPaths: Array<string | undefined>): string | undefined {
  const first = materialPaths.find((p): p is string => p !== undefined);
  return first === undefined ? undefined : path.dirname(first);
}
