/** The MCP Apps extension as a client declares it (apps.ts); apart so that the stdio start (handshake.ts) can tell without the SDK. */
export const APPS_EXTENSION = 'io.modelcontextprotocol/ui';
export const APP_MIME_TYPE = 'text/html;profile=mcp-app';

const asRecord = (value: unknown): Record<string, unknown> | undefined => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);

/** Whether a client's capabilities declare MCP Apps with HTML pages (the spec's `mimeTypes` is required). */
export function declaresApps(capabilities: unknown): boolean {
  const settings = asRecord(asRecord(asRecord(capabilities)?.extensions)?.[APPS_EXTENSION]);
  return Array.isArray(settings?.mimeTypes) && settings.mimeTypes.includes(APP_MIME_TYPE);
}
