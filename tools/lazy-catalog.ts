import type { ToolEntry } from '../src/core/tool-listing.js';
import { LISTINGS } from './listings.js';
import { LOADERS, loadTool } from './tool-loaders.js';

function entryOf(listing: (typeof LISTINGS)[number]): ToolEntry {
  if (!LOADERS[listing.name]) throw new Error(`tool ${listing.name} is in the catalog but has no loader in tools/tool-loaders.ts`);
  return { ...listing, load: () => loadTool(listing.name)! };
}

/**
 * The catalog as the faces start with it: every tool's listing at hand (prepared at build time),
 * each tool's code loaded on its first call. tools/catalog.ts stays the eager catalog for tests
 * and for faces that load everything up front (Slack).
 */
export const lazyCatalog: ToolEntry[] = LISTINGS.map(entryOf);

export function findEntry(name: string): ToolEntry | undefined {
  return lazyCatalog.find((entry) => entry.name === name);
}
