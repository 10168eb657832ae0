import fs from 'node:fs/promises';
import { CERT_MODE, KEY_MODE, modeAfterReplace, octalMode } from '../pki/files.js';

/**
 * What replacing `file` does to its mode, as a step's changes say it before it runs: the mode
 * writeFilesAtomically will give it (pki/files.ts), so a 0644 key is said to be narrowed to 0600,
 * not "kept". Owner and group are always kept.
 */
export async function replaceNote(file: string, isKey: boolean): Promise<string> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat) return '(backed up first)';
  const before = stat.mode & 0o7777;
  const after = modeAfterReplace(isKey ? KEY_MODE : CERT_MODE, before);
  return after === before
    ? `(owner, group and mode ${octalMode(before)} kept; backed up first)`
    : `(owner and group kept, mode narrowed from ${octalMode(before)} to ${octalMode(after)}: a private key is never left readable by others; backed up first)`;
}
