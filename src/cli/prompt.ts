import readline from 'node:readline';

/** Reads a line from the terminal without echoing it (for passwords). Only called on a TTY. */
export function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const output = process.stderr;
    const rl = readline.createInterface({ input: process.stdin, output, terminal: true });
    const write = (output as unknown as { write: (s: string) => boolean }).write.bind(output);
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
