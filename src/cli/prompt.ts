import { ToolError } from '../core/errors.js';
import type { AskPerson } from '../gate/gate.js';
import { printable } from '../core/unicode.js';
import { writeErr } from './terminal.js';

/** Reads a line from the terminal without echoing it (for passwords). Only called on a TTY. */
export async function promptHidden(question: string): Promise<string> {
  // readline loads when a person is asked, not with every command (start-up).
  const readline = await import('node:readline');
  return new Promise((resolve, reject) => {
    const output = process.stderr;
    const rl = readline.createInterface({ input: process.stdin, output, terminal: true });
    const write = (text: string) => output.write(printable(text));
    // Echo the question, then swallow what readline would echo for each key.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.startsWith(question)) write(question);
    };
    let answered = false;
    // Ctrl-D closes the terminal without an answer: that is a refusal, not a hang or a crash.
    rl.on('close', () => {
      if (!answered) reject(new ToolError('invalid_input', 'no password given', 'Type the password, or pass --p12-password-file.'));
    });
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      write('\n');
      if (!answer) reject(new ToolError('invalid_input', 'the password is empty', 'Type a password, or pass --p12-password-file.'));
      else resolve(answer);
    });
    rl.on('SIGINT', () => {
      answered = true;
      rl.close();
      reject(new ToolError('refused', 'cancelled', 'Nothing was written.'));
    });
  });
}

/** The terminal's confirmation: the impact on stderr, then "Proceed? [y/N]"; anything but yes declines. */
export const askOnTerminal: AskPerson = async ({ tool, assessment }) => {
  const readline = await import('node:readline');
  return new Promise((resolve) => {
    writeErr(
      [
        `${tool.title}: severity ${assessment.severity}`,
        `  Impact:   ${assessment.impact}`,
        `  Changes:  ${assessment.changes.join('\n            ')}`,
        `  Rollback: ${assessment.rollback}`,
        '',
      ].join('\n'),
    );
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    // Ctrl-D (end of input) closes the prompt without an answer: no agreement. Without this the
    // promise never settled and the process ended with exit code 13 and no audited outcome.
    rl.on('close', () => resolve('cancel'));
    rl.on('SIGINT', () => {
      rl.close();
      resolve('cancel');
    });
    rl.question('Proceed? [y/N] ', (answer) => {
      // Settled before close(), whose handler above would otherwise answer 'cancel' first.
      resolve(/^y(es)?$/i.test(answer.trim()) ? 'accept' : 'decline');
      rl.close();
    });
  });
};
