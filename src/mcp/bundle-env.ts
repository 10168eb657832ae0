import path from 'node:path';

/** `${user_config.x}`, `${HOME}`, ... left as they were written in manifest.json (MANIFEST.md, variable substitution). */
const PLACEHOLDER = /\$\{(?:user_config\.[^}]*|__dirname|HOME|DESKTOP|DOCUMENTS|DOWNLOADS|pathSeparator|\/)\}/;
/** Only our own variables are judged; anything else in the environment passes untouched. */
const OURS = /^(CRDB_TLS_|COCKROACH_)/;
/** Variables that hold a path list (CRDB_TLS_ROOTS): an unfilled entry is dropped, the others kept. */
const PATH_LISTS = new Set(['CRDB_TLS_ROOTS']);

/**
 * The environment as the MCP Bundle meant it. Some hosts pass an optional `user_config` field the
 * person left blank through as the literal text `${user_config.name}` instead of an empty string;
 * taken at face value that would become a certs dir named "${user_config.certs_dir}" or a Cloud API
 * key that is sent and refused. Such a value counts as unset.
 */
export function withoutUnfilledPlaceholders(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (!OURS.test(name) || !PLACEHOLDER.test(value)) {
      out[name] = value;
    } else if (PATH_LISTS.has(name)) {
      const kept = value.split(path.delimiter).filter((entry) => entry !== '' && !PLACEHOLDER.test(entry));
      if (kept.length) out[name] = kept.join(path.delimiter);
    }
  }
  return out;
}
