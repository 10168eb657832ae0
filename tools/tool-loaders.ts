import type { ToolDefinition } from '../src/core/tool.js';

/**
 * How to load each tool. Each is a dynamic import, so the bundle splits a tool (its zod schemas,
 * its domain code, its libraries) into chunks that load when the tool is first called.
 */
export const LOADERS: Record<string, () => Promise<{ default: unknown }>> = {
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

const loaded = new Map<string, Promise<ToolDefinition>>();

/**
 * A tool's definition by name, loaded on its first call. Needs no listing: the CLI runs one tool
 * and never pays for the 24 listings with their JSON Schemas (tools/listings.ts).
 */
export function loadTool(name: string): Promise<ToolDefinition> | undefined {
  const loader = LOADERS[name];
  if (!loader) return undefined;
  let definition = loaded.get(name);
  if (!definition) {
    definition = loader().then(({ default: tool }) => {
      const found = tool as ToolDefinition;
      if (found.name !== name) throw new Error(`tools/tool-loaders.ts loads ${found.name} for ${name}`);
      return found;
    });
    loaded.set(name, definition);
  }
  return definition;
}
