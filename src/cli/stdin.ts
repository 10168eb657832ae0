type StdinRead = { limit: number; text: Promise<string> };
/**
 * Kept on the process, not in this module: the installed command (launcher.ts) answers `diagnose`
 * from a bundle of its own, with its own copy of this module, and when it hands the run to the
 * full CLI, that one must find the text already read.
 */
const READ = Symbol.for('crdb-tls.stdin');
const slot = globalThis as { [READ]?: StdinRead };

/**
 * Reads stdin up to one byte MORE than the limit and stops there: a larger paste then reaches the
 * tool as "over the limit" (input_too_large) without the CLI ever holding more than the limit.
 * Stdin is read once: a second call gets the same text (the diagnose lane reads it, and when it
 * hands the run to the full CLI, that one reads the same text again: diagnose-lane.ts).
 */
export function readStdin(limit: number): Promise<string> {
  const read = slot[READ];
  if (read && read.limit !== limit) throw new Error(`stdin was read with a limit of ${read.limit} bytes, not ${limit}`);
  return (slot[READ] ??= { limit, text: readOnce(limit) }).text;
}

/**
 * The error text of `diagnose [text...]`: the words joined, or stdin for `-` and for a pipe with no
 * words; undefined at a terminal with no words (the full CLI and its lane read it alike).
 */
export async function errorTextOf(words: readonly string[], limit: number): Promise<string | undefined> {
  if (words.length === 1 && words[0] === '-') return readStdin(limit);
  if (words.length > 0) return words.join(' ');
  return process.stdin.isTTY ? undefined : readStdin(limit);
}

async function readOnce(limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(buffer);
    total += buffer.length;
    if (total > limit) break;
  }
  return Buffer.concat(chunks).subarray(0, limit + 1).toString('utf8');
}
