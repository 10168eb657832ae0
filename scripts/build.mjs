// Bundles the CLI, every face and the catalog into one file (DESIGN.md §8: cold start matters).
import { build } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const outfile = 'dist/crdb-tls.mjs';
const result = await build({
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
  // Written below, each file replaced in one rename: a build while the bundle runs (`npm pack`
  // in test/faces/npm-package.test.ts builds while other test files start crdb-tls) never lets a
  // process read half a bundle.
  write: false,
});
mkdirSync(path.dirname(outfile), { recursive: true });
for (const file of result.outputFiles) {
  const temp = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temp, file.contents, { mode: file.path.endsWith('.mjs') ? 0o755 : 0o644 });
  renameSync(temp, file.path);
}
