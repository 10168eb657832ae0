import { serveStdio as serveBothEras } from '@modelcontextprotocol/server/stdio';
import { createMcpServer, type McpFaceOptions } from './server.js';

/**
 * Serves the catalog on stdin/stdout until the client closes the pipe; stdout is the protocol's
 * alone. The opening message decides the era of the connection: a 2025 `initialize` handshake or
 * a 2026-07-28 request (or `server/discover`); one server instance is pinned to it.
 */
export async function serveStdio(options: McpFaceOptions): Promise<void> {
  const log = options.runtime.log;
  const closed = new Promise<void>((resolve) => process.stdin.once('end', () => resolve()));
  const handle = serveBothEras(({ era }) => createMcpServer(options, { era }), {
    onerror: (error) => log.warn({ err: error }, 'MCP over stdio: protocol error'),
  });
  log.info({ tools: options.runtime.runner.visible(options.catalog).length }, 'MCP server listening on stdio');
  await closed;
  await handle.close();
  await options.runtime.close();
}
