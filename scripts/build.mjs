// Bundles the CLI, every face and the catalog into one file (DESIGN.md §8: cold start matters).
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

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
});
chmodSync(outfile, 0o755);
