/**
 * Reads stdin up to one byte MORE than the limit and stops there: a larger paste then reaches the
 * tool as "over the limit" (input_too_large) without the CLI ever holding more than the limit.
 */
export async function readStdin(limit: number): Promise<string> {
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
