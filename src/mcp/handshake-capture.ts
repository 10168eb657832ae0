import assert from 'node:assert/strict';
import { SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Runtime } from '../core/runtime.js';
import { Runner } from '../core/runner.js';
import type { ToolEntry } from '../core/tool-listing.js';
import type { Store } from '../store/types.js';
import { APP_MIME_TYPE, APPS_EXTENSION } from './apps-extension.js';
import { toolsListResult, type ListVariant, type PreparedHandshake } from './handshake.js';
import { createMcpServer } from './server.js';

type Json = Record<string, unknown>;

/** One connection through the SDK's own stdio entry, over a transport that only collects: the answers a client would read. */
async function answersOf(options: { catalog: ToolEntry[]; version: string; readOnly: boolean }, messages: Json[]): Promise<Map<unknown, Json>> {
  const answers = new Map<unknown, Json>();
  const transport: Transport = {
    start: async () => undefined,
    close: async () => transport.onclose?.(),
    send: async (message: JSONRPCMessage) => {
      // As the wire carries it: undefined fields are gone.
      const reply = JSON.parse(JSON.stringify(message)) as Json;
      if ('id' in reply) answers.set(reply.id, reply);
    },
  };
  // Listing needs the policy only: nothing here runs a tool or opens the store.
  const runner = new Runner({ threshold: 'medium', readOnly: options.readOnly, confirmationTtlMs: 600_000 }, {} as Store, undefined, { face: 'mcp' });
  const runtime = { runner } as unknown as Runtime;
  const stateCodec = { mint: async () => '', verify: async () => undefined } as never;
  const handle = serveStdio(({ era }) => createMcpServer({ catalog: options.catalog, runtime, version: options.version, stateCodec }, { era }), { transport });
  for (const message of messages) {
    transport.onmessage?.(message as JSONRPCMessage);
    // Each answer before the next message, as a client waits for it.
    const id = message.id;
    for (let turn = 0; id !== undefined && !answers.has(id) && turn < 1000; turn++) await new Promise((resolve) => setImmediate(resolve));
  }
  await handle.close();
  return answers;
}

const initialize = (version: string, apps: boolean): Json => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: version, capabilities: apps ? { extensions: { [APPS_EXTENSION]: { mimeTypes: [APP_MIME_TYPE] } } } : {}, clientInfo: { name: 'capture', version: '1' } },
});
const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' };
const TOOLS_LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list' };

/** What the SDK answers, per variant: initialize and tools/list. */
export async function sdkAnswers(catalog: ToolEntry[], version: string, protocolVersion: string, variant: ListVariant): Promise<{ initialize: Json; toolsList: Json }> {
  const answers = await answersOf({ catalog, version, readOnly: variant.readOnly }, [initialize(protocolVersion, variant.apps), INITIALIZED, TOOLS_LIST]);
  return { initialize: answers.get(1)!, toolsList: answers.get(2)! };
}

const VARIANTS: ListVariant[] = [
  { readOnly: false, apps: false },
  { readOnly: true, apps: false },
  { readOnly: false, apps: true },
  { readOnly: true, apps: true },
];

/**
 * The handshake as the SDK answers it today, in the compact form handshake.ts rebuilds each
 * variant from; throws if a rebuilt variant differs from what the SDK answers (then the build fails).
 */
export async function captureHandshake(catalog: ToolEntry[], version: string): Promise<PreparedHandshake> {
  const base = await sdkAnswers(catalog, version, SUPPORTED_PROTOCOL_VERSIONS[0]!, VARIANTS[0]!);
  const baseTools = (base.toolsList.result as { tools: Array<Json & { name: string }> }).tools;
  const readOnly = await sdkAnswers(catalog, version, SUPPORTED_PROTOCOL_VERSIONS[0]!, VARIANTS[1]!);
  const apps = await sdkAnswers(catalog, version, SUPPORTED_PROTOCOL_VERSIONS[0]!, VARIANTS[2]!);
  const appsTools = (apps.toolsList.result as { tools: Array<Json & { name: string; _meta?: Json }> }).tools;
  const { protocolVersion: _asked, ...initializeResult } = base.initialize.result as Json;
  const prepared: PreparedHandshake = {
    versions: [],
    initializeResult,
    toolsResult: JSON.stringify(base.toolsList.result),
    readOnlyTools: (readOnly.toolsList.result as { tools: Array<{ name: string }> }).tools.map((tool) => tool.name),
    appsMeta: Object.fromEntries(appsTools.filter((tool, i) => JSON.stringify(tool) !== JSON.stringify(baseTools[i])).map((tool) => [tool.name, tool._meta ?? {}])),
  };
  for (const protocolVersion of SUPPORTED_PROTOCOL_VERSIONS) {
    for (const variant of VARIANTS) {
      const answers = await sdkAnswers(catalog, version, protocolVersion, variant);
      const result = answers.initialize.result as Json | undefined;
      // Only a version the SDK agrees to as asked is answered before it loads.
      if (result?.protocolVersion !== protocolVersion) break;
      assert.deepEqual(result, { ...initializeResult, protocolVersion }, `the initialize result for ${protocolVersion} differs with ${JSON.stringify(variant)}`);
      assert.deepEqual(JSON.parse(toolsListResult(prepared, variant)), answers.toolsList.result, `the prepared tools/list differs from the SDK's for ${JSON.stringify(variant)}`);
      if (variant === VARIANTS.at(-1)) prepared.versions.push(protocolVersion);
    }
  }
  return prepared;
}
