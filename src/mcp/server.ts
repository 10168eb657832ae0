import os from 'node:os';
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, McpServer, type CallToolResult, type InputRequiredResult, type ServerContext } from '@modelcontextprotocol/server';
import { publicInputSchema, publicOutputSchema } from '../core/envelope.js';
import type { ToolEntry } from '../core/tool-listing.js';
import type { RunResult } from '../core/runner.js';
import type { Runtime } from '../core/runtime.js';
import type { Picture, ToolContext, ToolDefinition } from '../core/tool.js';
import { attachApps } from './apps.js';
import { askForConfirmation, answerConfirmation, type ConfirmationState, type StateCodec } from './confirm-form.js';
import { progressReporter } from './progress.js';
import { preparedSchema } from './schemas.js';

export type Era = 'legacy' | 'modern';

export interface McpFaceOptions {
  /** Listed from the prepared schemas; a tool's code loads on its first call. */
  catalog: ToolEntry[];
  runtime: Runtime;
  version: string;
  /** Seals the confirmation state a gated call carries between its rounds (input_required). */
  stateCodec: StateCodec;
}

export interface McpServerSettings {
  /** Which protocol era this instance serves (the serving entry decides it per connection or request). */
  era: Era;
  /**
   * "Who asked" when the face knows it for certain (the token's label over HTTP); otherwise the OS
   * user and the client's self-reported name (DESIGN.md §3).
   */
  principal?: string;
}

const asRecord = (value: unknown): Record<string, unknown> | undefined => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);

/**
 * Whether this client can show the person a confirmation form now. A 2026-07-28 client says so
 * in each request's envelope; a 2025 client in its initialize handshake, which a stateless 2025
 * request never had (so it gets the out-of-band confirmation instead).
 */
function clientCanElicit(server: McpServer, era: Era, ctx: ServerContext): boolean {
  if (era === 'modern') {
    const capabilities = asRecord(asRecord(ctx.mcpReq.envelope)?.[CLIENT_CAPABILITIES_META_KEY]);
    return capabilities?.elicitation !== undefined;
  }
  return server.server.getClientCapabilities()?.elicitation !== undefined;
}

function clientName(server: McpServer, era: Era, ctx: ServerContext): string | undefined {
  if (era === 'modern') {
    const info = asRecord(asRecord(ctx.mcpReq.envelope)?.[CLIENT_INFO_META_KEY]);
    return typeof info?.name === 'string' ? info.name : undefined;
  }
  return server.server.getClientVersion()?.name;
}

function toCallToolResult(outcome: RunResult): CallToolResult {
  if (!outcome.ok) {
    const { code, message, hint } = outcome.error;
    return { isError: true, content: [{ type: 'text', text: `Error (${code}): ${message}${hint ? `\nHint: ${hint}` : ''}` }] };
  }
  return { content: [{ type: 'text', text: outcome.text }], structuredContent: outcome.output };
}

/**
 * The MCP face: the visible catalog, its schemas and annotations, answered through the runner.
 * One instance per connection (stdio, a stateful HTTP session) or per request (stateless HTTP,
 * every 2026-07-28 request); the same tools and the same runner in every era.
 */
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

export function createMcpServer(options: McpFaceOptions, settings: McpServerSettings): McpServer {
  const { catalog, runtime, version, stateCodec } = options;
  const { era } = settings;
  const server = new McpServer(
    { name: 'crdb-tls', title: 'CockroachDB TLS', version },
    { capabilities: { tools: {} }, requestState: { verify: (state, ctx) => stateCodec.verify(state, ctx) } },
  );
  const requesterOf = (ctx: ServerContext) => settings.principal ?? `${os.userInfo().username} via ${clientName(server, era, ctx) ?? 'an MCP client'}`;

  for (const entry of runtime.runner.visible(catalog)) {
    server.registerTool(
      entry.name,
      {
        title: entry.title,
        description: entry.description,
        inputSchema: preparedSchema(entry.inputSchema, async () => publicInputSchema(await entry.load())),
        outputSchema: preparedSchema(entry.outputSchema, async () => publicOutputSchema(await entry.load())),
        annotations: { title: entry.title, ...entry.annotations },
      },
      async (args: Record<string, unknown>, ctx: ServerContext): Promise<CallToolResult | InputRequiredResult> => {
        const tool = await entry.load();
        const progress = progressReporter(ctx);
        const toolCtx: ToolContext = {
          config: runtime.config,
          paths: runtime.paths,
          log: runtime.log,
          store: runtime.runner.store,
          requester: requesterOf(ctx),
          signal: ctx.mcpReq.signal,
          ...(progress ? { progress: progress.report } : {}),
        };
        const state = ctx.mcpReq.requestState<ConfirmationState>();
        const finish = async (outcome: RunResult) => {
          await progress?.flushed();
          return toCallToolResult(outcome);
        };
        if (state !== undefined) return finish(await answerConfirmation({ tool, args, state, ctx, toolCtx, runner: runtime.runner }));
        const outcome = await runtime.runner.run(tool, args, toolCtx);
        // A client that can show a form gets the confirmation as an input request; any other
        // keeps the answer as it is (confirmation_required, for a person to approve out of band).
        if (outcome.ok && outcome.output.status === 'confirmation_required' && clientCanElicit(server, era, ctx)) {
          await progress?.flushed();
          return askForConfirmation({ tool, args, outcome: outcome.output, ctx, stateCodec, requester: toolCtx.requester });
        }
        const result = await finish(outcome);
        const picture = outcome.ok ? await pictureOf(tool, args, outcome.output, runtime) : null;
        if (picture) result.content.push({ type: 'image', data: picture.data.toString('base64'), mimeType: picture.mimeType }, { type: 'text', text: picture.alt });
        return result;
      },
    );
  }
  attachApps(server, era, version);
  return server;
}
