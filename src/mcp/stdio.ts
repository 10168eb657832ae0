import { serveStdio as serveBothEras, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { createMcpServer, type McpFaceOptions } from './server.js';
import { takeConnection } from './stdio-connection.js';

/**
 * Serves the catalog on stdin/stdout until the client closes the pipe; stdout is the protocol's
 * alone. The opening message decides the era of the connection: a 2025 `initialize` handshake or
 * a 2026-07-28 request (or `server/discover`); one server instance is pinned to it. A connection
 * whose opening was answered before the SDK loaded is served from its first byte too.
 */
export async function serveStdio(options: McpFaceOptions): Promise<void> {
  const log = options.runtime.log;
  const started = takeConnection();
  const stdin = started?.stdin ?? process.stdin;
  const closed = new Promise<void>((resolve) => stdin.once('end', () => resolve()));
  const handle = serveBothEras(({ era }) => createMcpServer(options, { era }), {
    ...(started ? { transport: new StdioServerTransport(started.stdin, started.stdout) } : {}),
    onerror: (error) => log.warn({ err: error }, 'MCP over stdio: protocol error'),
  });
  log.info({ tools: options.runtime.runner.visible(options.catalog).length }, 'MCP server listening on stdio');
  await closed;
  await handle.close();
  await options.runtime.close();
}
