import { XMLParser } from 'fast-xml-parser';
import { statusFor, DEFAULT_THRESHOLDS, type Inventory, type InventoryItem } from '../../src/rotation/items.js';

/** Inventories made up for the timeline's tests: certificates at chosen days from now. */

export const NOW = new Date('2026-12-03T12:00:00Z');
const DAY_MS = 86_400_000;

export function item(days: number | null, options: Partial<InventoryItem> = {}): InventoryItem {
  const notAfter = days === null ? null : new Date(NOW.getTime() + days * DAY_MS).toISOString();
  const seconds = days === null ? null : Math.floor(days * 86_400);
  return {
    source: 'certs_dir',
    location: '/srv/certs',
    what: `client.u${Math.abs(days ?? 0)}.crt (client certificate for u${Math.abs(days ?? 0)})`,
    usage: 'Client',
    path: `/srv/certs/client.u${Math.abs(days ?? 0)}.crt`,
    position: 0,
    subject: 'CN=u',
    issuer: 'O=Cockroach,CN=Cockroach CA',
    serial: '01',
    sha256_fingerprint: `fp${days}`,
    not_after: notAfter,
    seconds_left: seconds,
    days_left: seconds === null ? null : Math.floor(seconds / 86_400),
    status: seconds === null ? 'error' : statusFor(seconds, DEFAULT_THRESHOLDS),
    error: seconds === null ? 'not a certificate' : null,
    ...options,
  };
}

export function inventory(items: InventoryItem[]): Inventory {
  const counts = { ok: 0, warn: 0, fail: 0, expired: 0, error: 0 };
  for (const i of items) counts[i.status]++;
  return { generated_at: NOW.toISOString(), thresholds: DEFAULT_THRESHOLDS, items, sources: [], counts, earliest: null };
}

type Node = Record<string, unknown>;

/** The SVG as a tree (attributes prefixed with @), with every element as an array so that walking it is uniform. */
export function parseSvg(svg: string): Node {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute, preserveOrder: false, textNodeName: '#text' });
  const doc = parser.parse(svg, true) as Node;
  return (doc.svg as Node[])[0]!;
}

/** Every element of the tree with `name`, anywhere below `node`. */
export function findAll(node: Node, predicate: (name: string, el: Node) => boolean): Node[] {
  const found: Node[] = [];
  const walk = (n: Node) => {
    for (const [key, value] of Object.entries(n)) {
      if (key.startsWith('@') || key === '#text' || !Array.isArray(value)) continue;
      for (const child of value as Node[]) {
        if (typeof child !== 'object' || child === null) continue;
        if (predicate(key, child)) found.push(child);
        walk(child);
      }
    }
  };
  walk(node);
  return found;
}

/** All text of an element and below it. */
export function textOf(node: Node): string {
  const parts: string[] = [];
  const walk = (n: unknown) => {
    if (typeof n === 'string' || typeof n === 'number') parts.push(String(n));
    else if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') for (const [k, v] of Object.entries(n)) if (!k.startsWith('@')) walk(v);
  };
  walk(node);
  return parts.join(' ');
}
