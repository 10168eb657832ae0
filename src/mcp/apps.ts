import { CLIENT_CAPABILITIES_META_KEY, ProtocolError, ProtocolErrorCode, type McpServer, type ServerContext } from '@modelcontextprotocol/server';
import { APP_MIME_TYPE, APPS_EXTENSION, declaresApps } from './apps-extension.js';

/**
 * MCP Apps (the `io.modelcontextprotocol/ui` extension, SEP-1865, stable 2026-01-26;
 * modelcontextprotocol/ext-apps specification/2026-01-26/apps.mdx): check_expiry names a `ui://`
 * page in its `_meta.ui.resourceUri`, and a host that renders MCP Apps shows the tool's result
 * through that page, the expiry timeline to explore (src/rotation/timeline-explorer.ts).
 *
 * A progressive enhancement, decided per request from what the client declared (its initialize
 * capabilities on the 2025 era, the request's `_meta` envelope on 2026-07-28): a client that does
 * not declare the extension with the page's MIME type sees no `_meta.ui` on the tool, no `ui://`
 * entry in resources/list, and a read of the page is refused; the text (and the PNG with
 * `chart: true`) stay the answer for it, as for every client.
 */

const EXPIRY_TIMELINE_URI = 'ui://crdb-tls/expiry-timeline.html';
/** The flat key hosts older than the stable spec read; the ext-apps server helpers write both. */
const LEGACY_RESOURCE_URI_KEY = 'ui/resourceUri';

/** Which tool shows its result through which page. */
const PAGE_OF_TOOL: Record<string, string> = { check_expiry: EXPIRY_TIMELINE_URI };

/** The protocol era an instance serves (server.ts's Era, spelled out: server.ts imports this file). */
type Era = 'legacy' | 'modern';
type Json = Record<string, unknown>;
const asRecord = (value: unknown): Json | undefined => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined);

function clientHasApps(server: McpServer, era: Era, ctx: ServerContext): boolean {
  const capabilities = era === 'modern' ? asRecord(ctx.mcpReq.envelope)?.[CLIENT_CAPABILITIES_META_KEY] : server.server.getClientCapabilities();
  return declaresApps(capabilities);
}

/** The page: self-contained (its script and style inline, nothing fetched), so the spec's restrictive default CSP fits it. */
async function timelinePage(version: string): Promise<string> {
  // Built by scripts/apps-view-plugin.mjs into the bundle; imported on the first read only.
  const { default: script } = await import('crdb-tls-view:./apps-view.ts');
  const inline = script.replace(/<\/(script)/gi, '<\\/$1');
  return `<!DOCTYPE html>
<html lang="en" data-version="${version.replace(/[^\w.+-]/g, '')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Certificate expiry timeline</title>
<style>
:root { color-scheme: light; font-family: var(--font-sans, 'DejaVu Sans', Verdana, Arial, sans-serif); color: var(--color-text-primary, #171717); background: var(--color-background-primary, #fff); }
body { margin: 0; padding: 12px; }
.sources { border: 1px solid var(--color-border-primary, #ccd); border-radius: var(--border-radius-md, 6px); margin: 0 0 10px; padding: 6px 10px; display: flex; flex-wrap: wrap; gap: 4px 18px; }
.sources label { font-size: 14px; cursor: pointer; }
.chart { overflow-x: auto; }
.chart svg { max-width: 100%; height: auto; display: block; }
g.cert { cursor: pointer; outline: none; }
.chart .window, .chart .tick, .chart .today { pointer-events: none; }
g.cert:hover > rect.hit, g.cert:focus > rect.hit, g.cert.selected > rect.hit { fill: rgba(0, 114, 178, 0.08); }
g.cert:hover > text, g.cert:focus > text, g.cert.selected > text { text-decoration: underline; }
.details { border-top: 2px solid var(--color-border-primary, #ccd); margin-top: 10px; padding-top: 6px; min-height: 6em; font-size: 14px; }
.details h2 { font-size: 16px; margin: 4px 0 8px; }
.details dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
.details dt { font-weight: bold; }
.details dd { margin: 0; overflow-wrap: anywhere; }
.hint, .empty, #status { color: var(--color-text-secondary, #555); }
#status { white-space: pre-wrap; }
</style>
</head>
<body>
<p id="status">Waiting for the check's result…</p>
<main id="timeline"></main>
<script>${inline}</script>
</body>
</html>
`;
}

/** A protocol request handler, as the SDK stores it (a protected accessor of its Protocol class). */
type StoredHandler = (request: never, ctx: ServerContext) => Promise<Json>;
function storedHandler(server: McpServer, method: string): StoredHandler {
  const handler = (server.server as unknown as { _getRequestHandler(method: string): StoredHandler | undefined })._getRequestHandler(method);
  if (!handler) throw new Error(`MCP Apps: no ${method} handler to extend`);
  return handler;
}

/**
 * Registers the pages and makes tools/list and resources/list answer each client by what it
 * declared. Call it after every tool is registered (it extends the tools/list handler in place).
 */
/** The page, made once per process (stateless HTTP builds a server per request). */
let page: Promise<string> | undefined;

export function attachApps(server: McpServer, era: Era, version: string): void {
  server.registerResource(
    'expiry_timeline',
    EXPIRY_TIMELINE_URI,
    {
      title: 'Certificate expiry timeline',
      description: "check_expiry's result as a timeline to explore: point at or Tab to a certificate for its details, tick sources to filter. Needs nothing from the network.",
      mimeType: APP_MIME_TYPE,
      _meta: { ui: { prefersBorder: true } },
    },
    async (uri, ctx) => {
      if (!clientHasApps(server, era, ctx)) {
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `${uri.href} is an MCP Apps page: it is read by hosts that declare the ${APPS_EXTENSION} extension with ${APP_MIME_TYPE}, and this client did not`, { uri: uri.href });
      }
      page ??= timelinePage(version).catch((error: unknown) => {
        page = undefined;
        throw error;
      });
      // No csp block: the page needs no origin at all, which is the spec's restrictive default.
      return { contents: [{ uri: uri.href, mimeType: APP_MIME_TYPE, text: await page, _meta: { ui: { prefersBorder: true } } }] };
    },
  );

  const listTools = storedHandler(server, 'tools/list');
  server.server.setRequestHandler('tools/list', async (request, ctx) => {
    const result = (await listTools(request as never, ctx)) as { tools: Array<Json & { name: string }> };
    if (!clientHasApps(server, era, ctx)) return result as never;
    const tools = result.tools.map((tool) => {
      const uri = PAGE_OF_TOOL[tool.name];
      if (!uri) return tool;
      const meta = asRecord(tool._meta) ?? {};
      return { ...tool, _meta: { ...meta, ui: { ...asRecord(meta.ui), resourceUri: uri }, [LEGACY_RESOURCE_URI_KEY]: uri } };
    });
    return { ...result, tools } as never;
  });

  const listResources = storedHandler(server, 'resources/list');
  server.server.setRequestHandler('resources/list', async (request, ctx) => {
    const result = (await listResources(request as never, ctx)) as { resources: Array<{ uri: string }> };
    if (clientHasApps(server, era, ctx)) return result as never;
    return { ...result, resources: result.resources.filter((resource) => !resource.uri.startsWith('ui://')) } as never;
  });
}
