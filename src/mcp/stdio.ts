import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer, type McpFaceOptions } from './server.js';

/** Serves the catalog on stdin/stdout until the client closes the pipe. stdout is the protocol's alone. */
export async function serveStdio(options: McpFaceOptions): Promise<void> {
  const server = createMcpServer(options);
  await server.connect(new StdioServerTransport());
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
    process.stdin.on('end', () => resolve());
  });
  options.runtime.log.info({ tools: options.runtime.runner.visible(options.catalog).length }, 'MCP server listening on stdio');
  await closed;
  await server.close();
  await options.runtime.close();
}
