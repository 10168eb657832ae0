import os from 'node:os';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Config } from '../core/config.js';
import { publicInputSchema, publicOutputSchema } from '../core/envelope.js';
import type { Logger } from '../core/log.js';
import { AllowedPaths } from '../core/paths.js';
import { runTool } from '../core/runner.js';
import type { ToolContext, ToolDefinition } from '../core/tool.js';

export interface McpFaceOptions {
  catalog: ToolDefinition[];
  config: Config;
  log: Logger;
  version: string;
}

/** The MCP face: every catalog tool, its schemas and annotations, answered through the runner. */
export function createMcpServer({ catalog, config, log, version }: McpFaceOptions): McpServer {
  const server = new McpServer({ name: 'crdb-tls', title: 'CockroachDB TLS', version });
  const paths = new AllowedPaths(config.roots);
  const requester = () => `${os.userInfo().username} via ${server.server.getClientVersion()?.name ?? 'an MCP client'}`;

  for (const tool of catalog) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: publicInputSchema(tool),
        outputSchema: publicOutputSchema(tool),
        annotations: { title: tool.title, ...tool.annotations },
      },
      async (args: Record<string, unknown>, extra): Promise<CallToolResult> => {
        const ctx: ToolContext = { config, paths, log, requester: requester(), signal: extra.signal };
        const outcome = await runTool(tool, args, ctx);
        if (!outcome.ok) {
          const { code, message, hint } = outcome.error;
          return { isError: true, content: [{ type: 'text', text: `Error (${code}): ${message}${hint ? `\nHint: ${hint}` : ''}` }] };
        }
        return { content: [{ type: 'text', text: outcome.text }], structuredContent: outcome.output };
      },
    );
  }
  return server;
}
