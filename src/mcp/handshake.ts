import { declaresApps } from './apps-extension.js';

/**
 * The first two answers of a 2025-era stdio connection — `initialize` and the first `tools/list` —
 * as the SDK gives them, prepared at build time (handshake-capture.ts, scripts/build.mjs), so that
 * `crdb-tls mcp` answers them before it has loaded the SDK (~1 MB of code and zod schemas);
 * src/cli/mcp-stdio-start.ts then hands the connection to the SDK, which sees every message
 * from the first. Anything this module does not recognise exactly is left to the SDK.
 */
export interface PreparedHandshake {
  /** Protocol versions the SDK answers an initialize with as they were asked for. */
  versions: string[];
  /** The initialize result, its protocolVersion to be set to the one asked for. */
  initializeResult: Record<string, unknown>;
  /** The tools/list result for a client without MCP Apps and read-only off, as JSON. */
  toolsResult: string;
  /** The tools read-only mode leaves listed. */
  readOnlyTools: string[];
  /** The `_meta` of each tool that shows an MCP Apps page, for a client that declared the extension. */
  appsMeta: Record<string, Record<string, unknown>>;
}

export interface ListVariant {
  readOnly: boolean;
  apps: boolean;
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => Boolean(value) && typeof value === 'object' && !Array.isArray(value);
const onlyKeys = (value: Json, allowed: readonly string[]) => Object.keys(value).every((key) => allowed.includes(key));
const isId = (id: unknown) => (typeof id === 'string' && id.length <= 200) || (typeof id === 'number' && Number.isSafeInteger(id));

/**
 * An initialize request answered here, or undefined for the SDK to answer: only the plain shape
 * every 2025 client sends (no `_meta`, capabilities of objects, clientInfo of strings), so that
 * nothing the SDK would refuse or treat differently is answered as if it were valid.
 */
export function preparedInitialize(message: unknown, prepared: PreparedHandshake): { id: string | number; version: string; apps: boolean } | undefined {
  if (!isRecord(message) || !onlyKeys(message, ['jsonrpc', 'id', 'method', 'params']) || message.jsonrpc !== '2.0' || message.method !== 'initialize' || !isId(message.id)) return undefined;
  const params = message.params;
  if (!isRecord(params) || !onlyKeys(params, ['protocolVersion', 'capabilities', 'clientInfo'])) return undefined;
  const { protocolVersion, capabilities, clientInfo } = params;
  if (typeof protocolVersion !== 'string' || !prepared.versions.includes(protocolVersion)) return undefined;
  if (!isRecord(capabilities) || !Object.values(capabilities).every(isRecord)) return undefined;
  if (!isRecord(clientInfo) || !onlyKeys(clientInfo, ['name', 'version', 'title']) || !Object.values(clientInfo).every((v) => typeof v === 'string') || typeof clientInfo.name !== 'string' || typeof clientInfo.version !== 'string') return undefined;
  return { id: message.id as string | number, version: protocolVersion, apps: declaresApps(capabilities) };
}

/** `notifications/initialized`, which needs no answer. */
export function isInitializedNotification(message: unknown): boolean {
  return isRecord(message) && onlyKeys(message, ['jsonrpc', 'method', 'params']) && message.jsonrpc === '2.0' && message.method === 'notifications/initialized' && (message.params === undefined || (isRecord(message.params) && Object.keys(message.params).length === 0));
}

/** The id of a first tools/list (no cursor, no `_meta`), or undefined. */
export function preparedToolsList(message: unknown): string | number | undefined {
  if (!isRecord(message) || !onlyKeys(message, ['jsonrpc', 'id', 'method', 'params']) || message.jsonrpc !== '2.0' || message.method !== 'tools/list' || !isId(message.id)) return undefined;
  if (message.params !== undefined && !(isRecord(message.params) && Object.keys(message.params).length === 0)) return undefined;
  return message.id as string | number;
}

export function initializeResponse(prepared: PreparedHandshake, id: string | number, version: string): string {
  return `${JSON.stringify({ jsonrpc: '2.0', id, result: { protocolVersion: version, ...prepared.initializeResult } })}\n`;
}

/** The tools/list result of a variant, as the SDK gives it (scripts/build.mjs checks each variant against the SDK). */
export function toolsListResult(prepared: PreparedHandshake, variant: ListVariant): string {
  if (!variant.readOnly && !variant.apps) return prepared.toolsResult;
  const result = JSON.parse(prepared.toolsResult) as { tools: Array<Json & { name: string }> };
  const tools = result.tools
    .filter((tool) => !variant.readOnly || prepared.readOnlyTools.includes(tool.name))
    .map((tool) => (variant.apps && prepared.appsMeta[tool.name] ? { ...tool, _meta: prepared.appsMeta[tool.name] } : tool));
  return JSON.stringify({ ...result, tools });
}

export function toolsListResponse(prepared: PreparedHandshake, id: string | number, variant: ListVariant): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${toolsListResult(prepared, variant)}}\n`;
}
