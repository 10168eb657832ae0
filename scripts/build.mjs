// Bundles the CLI, every face and the catalog into one file (DESIGN.md §8: cold start matters).
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { appsViewPlugin } from './apps-view-plugin.mjs';

const outfile = 'dist/crdb-tls.mjs';
await build({
  entryPoints: ['src/cli/bin.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  // Bundled CommonJS packages (pg, forge) call require(); give ESM one.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __crdbTlsRequire } from 'node:module';\nconst require = __crdbTlsRequire(import.meta.url);" },
  logLevel: 'warning',
  // Bolt (with express, the Web API client, undici) is ~2.9 MB: bundled, every start parses it, the
  // MCP face's cold start included (+~50 ms measured). It stays a dependency, loaded only by
  // `crdb-tls slack` (src/slack/app.ts) from node_modules.
  // resvg is a native addon (a prebuilt .node per platform in its npm package): it cannot be
  // bundled, and loads only when a PNG timeline is asked for (src/rotation/timeline-png.ts).
  external: ['@slack/bolt', '@resvg/resvg-js'],
  // MCP App pages' scripts, bundled for the browser and inlined as strings (src/mcp/apps.ts).
  plugins: [appsViewPlugin],
});
chmodSync(outfile, 0o755);
