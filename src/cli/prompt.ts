import readline from 'node:readline';
import type { AskPerson } from '../gate/gate.js';

/** Reads a line from the terminal without echoing it (for passwords). Only called on a TTY. */
export function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const output = process.stderr;
    const rl = readline.createInterface({ input: process.stdin, output, terminal: true });
    const write = (text: string) => output.write(text);
    // Echo the question, then swallow what readline would echo for each key.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.startsWith(question)) write(question);
    };
    rl.question(question, (answer) => {
      rl.close();
      write('\n');
      if (!answer) reject(new Error('empty password'));
      else resolve(answer);
    });
    rl.on('SIGINT', () => {
      rl.close();
      reject(new Error('cancelled'));
    });
  });
}

/** The terminal's confirmation: the impact on stderr, then "Proceed? [y/N]"; anything but yes declines. */
export const askOnTerminal: AskPerson = ({ tool, assessment }) =>
  new Promise((resolve) => {
    process.stderr.write(
      [
        `${tool.title}: severity ${assessment.severity}`,
        `  Impact:   ${assessment.impact}`,
        `  Changes:  ${assessment.changes.join('\n            ')}`,
        `  Rollback: ${assessment.rollback}`,
        '',
      ].join('\n'),
    );
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    rl.on('SIGINT', () => {
      rl.close();
      resolve('cancel');
    });
    rl.question('Proceed? [y/N] ', (answer) => {
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()) ? 'accept' : 'decline');
    });
  });
