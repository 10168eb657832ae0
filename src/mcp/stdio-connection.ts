import type { Readable, Writable } from 'node:stream';

export interface StdioConnection {
  stdin: Readable;
  stdout: Writable;
}

let started: StdioConnection | undefined;

/** The stdio connection to serve when its opening was answered before the SDK loaded (src/cli/mcp-stdio-start.ts). */
export function continueConnection(connection: StdioConnection): void {
  started = connection;
}

/** The connection stdio.ts serves: the started one (once), else the process's own stdin and stdout. */
export function takeConnection(): StdioConnection | undefined {
  const connection = started;
  started = undefined;
  return connection;
}
