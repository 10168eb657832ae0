import os from 'node:os';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { publicInputSchema, publicOutputSchema } from '../core/envelope.js';
import type { Runtime } from '../core/runtime.js';
import type { Picture, ToolContext, ToolDefinition } from '../core/tool.js';
import type { AskPerson } from '../gate/gate.js';

export interface McpFaceOptions {
  catalog: ToolDefinition[];
  runtime: Runtime;
  version: string;
}

/**
 * Asks the person through the MCP client (elicitation), showing the impact; only an explicit
 * accept with the box ticked counts as agreement.
 */
function elicitationPrompt(server: McpServer): AskPerson {
  return async ({ tool, assessment }) => {
    const result = await server.server.elicitInput({
      mode: 'form',
      message: [
        `${tool.title} needs your confirmation (severity ${assessment.severity}).`,
        `Impact: ${assessment.impact}`,
        `Changes: ${assessment.changes.join('; ')}`,
        `Rollback: ${assessment.rollback}`,
      ].join('\n'),
      requestedSchema: {
        type: 'object',
        properties: { confirm: { type: 'boolean', title: 'I understand the impact; go ahead', default: false } },
        required: ['confirm'],
      },
    });
    if (result.action === 'accept') return result.content?.confirm === true ? 'accept' : 'decline';
    return result.action;
  };
}

/** The tool's picture of this result, when the call asked for one; a picture that cannot be drawn is logged, the answer stands. */
async function pictureOf(tool: ToolDefinition, args: Record<string, unknown>, output: Record<string, unknown>, runtime: Runtime): Promise<Picture | null> {
  if (!tool.picture) return null;
  const input = tool.input.safeParse(args);
  if (!input.success || !tool.picture.wanted(input.data)) return null;
  return tool.picture.draw(output).catch((error: unknown) => {
    runtime.log.warn({ err: error, tool: tool.name }, 'the picture of a result could not be drawn');
    return null;
  });
}

/** The MCP face: the visible catalog, its schemas and annotations, answered through the runner. */
export function createMcpServer({ catalog, runtime, version }: McpFaceOptions): McpServer {
  const server = new McpServer({ name: 'crdb-tls', title: 'CockroachDB TLS', version });
  const requester = () => `${os.userInfo().username} via ${server.server.getClientVersion()?.name ?? 'an MCP client'}`;

  for (const tool of runtime.runner.visible(catalog)) {
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
        const canElicit = server.server.getClientCapabilities()?.elicitation !== undefined;
        const progressToken = extra._meta?.progressToken;
        let steps = 0;
        // Sent in order and all before the result: a client drops progress that arrives after it.
        let progressSent: Promise<unknown> = Promise.resolve();
        const ctx: ToolContext = {
          config: runtime.config,
          paths: runtime.paths,
          log: runtime.log,
          store: runtime.runner.store,
          requester: requester(),
          signal: extra.signal,
          ...(canElicit ? { askPerson: elicitationPrompt(server) } : {}),
          // notifications/progress only when the client asked for it; `progress` must grow with each one.
          ...(progressToken !== undefined
            ? {
                progress: (message: string) => {
                  const params = { progressToken, progress: ++steps, message };
                  progressSent = progressSent.then(() => extra.sendNotification({ method: 'notifications/progress', params })).catch(() => undefined);
                },
              }
            : {}),
        };
        const outcome = await runtime.runner.run(tool, args, ctx);
        await progressSent;
        if (!outcome.ok) {
          const { code, message, hint } = outcome.error;
          return { isError: true, content: [{ type: 'text', text: `Error (${code}): ${message}${hint ? `\nHint: ${hint}` : ''}` }] };
        }
        const content: CallToolResult['content'] = [{ type: 'text', text: outcome.text }];
        const picture = await pictureOf(tool, args, outcome.output, runtime);
        if (picture) content.push({ type: 'image', data: picture.data.toString('base64'), mimeType: picture.mimeType }, { type: 'text', text: picture.alt });
        return { content, structuredContent: outcome.output };
      },
    );
  }
  return server;
}
