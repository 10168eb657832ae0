import type { ToolDefinition } from '../src/core/tool.js';
import type { ToolEntry } from '../src/core/tool-listing.js';
import { LISTINGS } from './listings.js';

/**
 * How to load each tool. Each is a dynamic import, so the bundle splits a tool (its zod schemas,
 * its domain code, its libraries) into chunks that load when the tool is first called.
 */
const LOADERS: Record<string, () => Promise<{ default: unknown }>> = {
  create_ca: () => import('./create_ca.js'),
  create_client_ca: () => import('./create_client_ca.js'),
  create_node_cert: () => import('./create_node_cert.js'),
  create_client_cert: () => import('./create_client_cert.js'),
  list_certs: () => import('./list_certs.js'),
  inspect_certificate: () => import('./inspect_certificate.js'),
  audit_log: () => import('./audit_log.js'),
  encode_changefeed_uri: () => import('./encode_changefeed_uri.js'),
  decode_changefeed_uri: () => import('./decode_changefeed_uri.js'),
  diagnose_error: () => import('./diagnose_error.js'),
  connection_string: () => import('./connection_string.js'),
  probe_server: () => import('./probe_server.js'),
  test_connection: () => import('./test_connection.js'),
  download_ca: () => import('./download_ca.js'),
  get_client_ca: () => import('./get_client_ca.js'),
  set_client_ca: () => import('./set_client_ca.js'),
  remove_client_ca: () => import('./remove_client_ca.js'),
  check_expiry: () => import('./check_expiry.js'),
  plan_rotation: () => import('./plan_rotation.js'),
  get_rotation_plan: () => import('./get_rotation_plan.js'),
  apply_rotation_step: () => import('./apply_rotation_step.js'),
  rollback_rotation_step: () => import('./rollback_rotation_step.js'),
  prune_rotation_backups: () => import('./prune_rotation_backups.js'),
  reload_node_certs: () => import('./reload_node_certs.js'),
};

function entryOf(listing: (typeof LISTINGS)[number]): ToolEntry {
  const loader = LOADERS[listing.name];
  if (!loader) throw new Error(`tool ${listing.name} is in the catalog but has no loader in tools/lazy-catalog.ts`);
  let loaded: Promise<ToolDefinition> | undefined;
  return {
    ...listing,
    load: () =>
      (loaded ??= loader().then(({ default: tool }) => {
        const definition = tool as ToolDefinition;
        if (definition.name !== listing.name) throw new Error(`tools/lazy-catalog.ts loads ${definition.name} for ${listing.name}`);
        return definition;
      })),
  };
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
