import fs from 'node:fs/promises';
import { MAX_PASTED_TEXT, readBoundedFile } from '../src/core/read-file.js';
import type { ToolContext } from '../src/core/tool.js';
import type { Material } from '../src/net/probe.js';

// Its own module: the inventory's inputs read a CA with it, and so load no prober until a node is probed.

/**
 * PEM text is used as given; anything else is a path, resolved inside the allowed roots. A file
 * that cannot be read is not an error of the call: the probe reports it as a finding
 * (ca_file_missing, client_cert_file_missing) and goes on without it.
 */
export async function readMaterial(value: string | undefined, what: string, ctx: ToolContext): Promise<Material | undefined> {
  if (value === undefined) return undefined;
  if (value.includes('-----BEGIN')) return { path: null, contents: Buffer.from(value.slice(0, MAX_PASTED_TEXT)) };
  const file = ctx.paths.resolve(value, what);
  try {
    const contents = await readBoundedFile(file, what);
    // The mode and owner are what the probe's key-permission finding looks at.
    const stat = await fs.stat(file);
    return { path: file, contents, mode: stat.mode, uid: stat.uid };
  } catch (error) {
    // The finding names the file already; say only what was wrong with it.
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'input_too_large' ? 'larger than a certificate or key can be, not read' : code === 'invalid_input' ? 'not a regular file' : (error as Error).message;
    return { path: file, readError: reason };
  }
}
