import { ToolError } from './errors.js';

/**
 * A listening socket that could not be opened (`crdb-tls mcp --http`, `crdb-tls slack --port`):
 * a person's situation, not a bug, so one line that names the address and says what to do.
 * Undefined for any other error.
 */
export function listenFailure(error: unknown, host: string, port: number, flag: string): ToolError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new ToolError('unavailable', `port ${port} is already in use (${where}): another program is listening there`, `Stop that program, or pass ${flag} with another port (0 picks a free one).`);
    case 'EACCES':
      return new ToolError('permission_denied', `not allowed to listen on port ${port} (${where})`, `Ports below 1024 need extra privileges: pass ${flag} with a port above 1023.`);
    case 'EADDRNOTAVAIL':
      return new ToolError('invalid_input', `cannot listen on ${where}: ${host} is not an address of this machine`, 'Use 127.0.0.1, or an address this machine has.');
    default:
      return undefined;
  }
}
