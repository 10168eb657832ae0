import { printable, terminalSafeJson } from '../core/unicode.js';

/**
 * Everything the CLI prints goes through here: text that came from outside (an MCP client's name
 * in the audit trail, a certificate's subject, a server's error message, pasted text) carries no
 * escape sequence or control character to the person's terminal (src/core/unicode.ts).
 */
export function writeOut(text: string): void {
  process.stdout.write(printable(text));
}

export function writeErr(text: string): void {
  process.stderr.write(printable(text));
}

/** --json output: the structure exactly, with C1 and bidi characters as \u escapes. */
export function writeJson(value: unknown): void {
  process.stdout.write(terminalSafeJson(value) + '\n');
}

const PIPES_GUARDED = Symbol.for('crdb-tls.pipes-guarded');

/** 128 + SIGPIPE: what a shell sees from a Unix program whose reader went away (`| head -1`). */
const EXIT_BROKEN_PIPE = 141;

/**
 * A reader that stops early (`crdb-tls rotate check --help | head -1`) closes the pipe; the next
 * write fails with EPIPE, which Node raises as an unhandled 'error' event with a stack trace.
 * Stdout gone: stop at once and quietly, as a program killed by SIGPIPE does (Node ignores the
 * signal itself). Stderr gone: nothing more can be said there, so its errors are dropped.
 */
export function endQuietlyOnBrokenPipe(): void {
  // Once per process, which may hold two copies of this module: the installed command (launcher.ts)
  // guards the pipes at its start, and the ESM entry it may run then guards them too.
  const slot = globalThis as { [PIPES_GUARDED]?: true };
  if (slot[PIPES_GUARDED]) return;
  slot[PIPES_GUARDED] = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
    throw error;
  });
  process.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
