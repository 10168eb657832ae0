import type { Inventory } from '../rotation/items.js';
import { mountTimelineExplorer } from '../rotation/timeline-explorer.js';

/**
 * The script of the check_expiry MCP App page (bundled by scripts/apps-view-plugin.mjs into the
 * page, inline: the page loads nothing). It speaks the View side of MCP Apps (SEP-1865, stable
 * 2026-01-26, modelcontextprotocol/ext-apps specification/2026-01-26/apps.mdx) over postMessage
 * with the host: `ui/initialize` → `ui/notifications/initialized`, then draws the timeline from
 * the `structuredContent` of `ui/notifications/tool-result`; it answers `ping` and
 * `ui/resource-teardown` and reports its size (`ui/notifications/size-changed`). The spec says a
 * View needs no SDK for this; the ext-apps App class would add ~540 kB to a page of ~60.
 */

const APPS_PROTOCOL_VERSION = '2026-01-26';

type Message = { jsonrpc: '2.0'; id?: number | string; method?: string; params?: Record<string, unknown>; result?: unknown; error?: { message?: string } };

const root = document.getElementById('timeline')!;
const status = document.getElementById('status')!;
const host = window.parent;
let nextId = 1;
const pending = new Map<number, (message: Message) => void>();

const send = (message: Omit<Message, 'jsonrpc'>) => host.postMessage({ jsonrpc: '2.0', ...message }, '*');
const request = (method: string, params: Record<string, unknown>) =>
  new Promise<Message>((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    send({ id, method, params });
  });

/** check_expiry's structured result holds the inventory; its shape is checked enough to draw it (zod would triple the page). */
function inventoryIn(structured: unknown): Inventory | null {
  const inventory = (structured as { inventory?: Partial<Inventory> } | undefined)?.inventory;
  const ok = inventory && typeof inventory.generated_at === 'string' && Array.isArray(inventory.items) && typeof inventory.thresholds?.warn_days === 'number' && typeof inventory.counts === 'object';
  return ok ? (inventory as Inventory) : null;
}

function showResult(params: Record<string, unknown> | undefined) {
  const inventory = inventoryIn(params?.structuredContent);
  if (!inventory) {
    // An error result (or another tool's): its words are the answer; show them as text.
    const words = ((params?.content ?? []) as Array<{ type?: string; text?: string }>).filter((c) => c.type === 'text').map((c) => c.text ?? '');
    status.textContent = words.join('\n') || 'This result holds no expiry inventory to draw.';
    root.replaceChildren();
    return;
  }
  status.textContent = '';
  mountTimelineExplorer(root, inventory);
}

window.addEventListener('message', (event: MessageEvent) => {
  if (event.source !== host) return; // only the host speaks to this page
  const message = event.data as Message;
  if (!message || message.jsonrpc !== '2.0') return;
  if (message.method === undefined && typeof message.id === 'number') {
    pending.get(message.id)?.(message);
    pending.delete(message.id);
    return;
  }
  switch (message.method) {
    case 'ui/notifications/tool-result':
      showResult(message.params);
      break;
    case 'ui/notifications/tool-cancelled':
      status.textContent = 'The check was cancelled.';
      break;
    case 'ui/resource-teardown':
    case 'ping':
      if (message.id !== undefined) send({ id: message.id, result: {} });
      break;
    default:
      // Requests this View does not serve get the JSON-RPC answer for that, notifications are ignored.
      if (message.id !== undefined && message.method !== undefined) send({ id: message.id, error: { code: -32601, message: `Method not found: ${message.method}` } } as never);
  }
});

let lastSize = '';
new ResizeObserver(() => {
  const width = Math.ceil(document.documentElement.scrollWidth);
  const height = Math.ceil(document.documentElement.scrollHeight);
  if (`${width}x${height}` === lastSize) return;
  lastSize = `${width}x${height}`;
  send({ method: 'ui/notifications/size-changed', params: { width, height } });
}).observe(document.documentElement);

void request('ui/initialize', {
  appInfo: { name: 'crdb-tls expiry timeline', version: document.documentElement.dataset.version ?? 'unknown' },
  appCapabilities: { availableDisplayModes: ['inline'] },
  protocolVersion: APPS_PROTOCOL_VERSION,
}).then((answer) => {
  if (answer.error) {
    status.textContent = `The host refused this view: ${answer.error.message ?? 'no reason given'}`;
    return;
  }
  send({ method: 'ui/notifications/initialized', params: {} });
});
