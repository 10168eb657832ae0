// Bundles the CLI, every face and the catalog (DESIGN.md §8: cold start matters), split so that a
// command loads only what it needs: dist/crdb-tls.mjs is the entry (`--version` needs nothing
// else), dist/chunks/ hold the rest, loaded by dynamic import when first needed — the CLI's
// commands, the MCP SDK when serving MCP, each tool's code (its zod schemas, its domain, forge,
// pg) on its first call. Runs under tsx (`npm run build`): it imports the catalog to prepare every
// tool's listing (name, words, JSON Schemas) once here, so that no face converts zod schemas at start.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { LISTINGS } from '../tools/listings.ts';
import { INPUT_CHOICES } from '../tools/input-choices.ts';
import { enginePhrases } from '../src/diagnose/engine.ts';
import { PhraseMatcher } from '../src/diagnose/matcher.ts';
import { CATALOG_SAME_TEXT, CATALOG_SIGNALS } from '../src/diagnose/catalog/derived.ts';
import { isDeepStrictEqual } from 'node:util';
import { appsViewPlugin } from './apps-view-plugin.mjs';
import { captureHandshake } from '../src/mcp/handshake-capture.ts';
import { lazyCatalog } from '../tools/lazy-catalog.ts';
import packageJson from '../package.json' with { type: 'json' };

const outdir = 'dist';
const entry = `${outdir}/crdb-tls.mjs`;

/** tools/listings.ts computes the listings from the zod schemas; the bundle gets the values computed here instead. */
const preparedListings = {
  name: 'prepared-listings',
  setup(b) {
    b.onLoad({ filter: /[\\/]tools[\\/]listings\.ts$/ }, () => ({
      // JSON.parse of a string: V8 reads it faster than the same object as a literal.
      contents: `// Prepared by scripts/build.mjs from the zod schemas of every tool.\nexport const LISTINGS = JSON.parse(${JSON.stringify(JSON.stringify(LISTINGS))});\n`,
      loader: 'js',
    }));
    // The CLI's option choices alone (a few hundred bytes), so that `crdb-tls diagnose` loads no listing.
    b.onLoad({ filter: /[\\/]tools[\\/]input-choices\.ts$/ }, () => ({
      contents: `// Prepared by scripts/build.mjs from the tools' listings.\nexport const INPUT_CHOICES = ${JSON.stringify(INPUT_CHOICES)};\n`,
      loader: 'js',
    }));
  },
};

/**
 * The diagnosis engine's phrase automaton, made here once (src/diagnose/matcher-table.ts): a
 * `crdb-tls diagnose` of one text then takes the table instead of spending ~10 ms building it.
 */
const preparedMatcher = {
  name: 'prepared-matcher',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]diagnose[\\/]prepared-matcher\.ts$/ }, () => ({
      // JSON.parse of a string (~100 KB): V8 reads it faster than the same object as a literal.
      contents: `// Prepared by scripts/build.mjs from the engine's phrases.\nexport const PREPARED_MATCHER = JSON.parse(${JSON.stringify(JSON.stringify(new PhraseMatcher(enginePhrases().phrases).toTable()))});\n`,
      loader: 'js',
    }));
  },
};

/**
 * What the engine takes from the message catalog (src/diagnose/catalog/derived.ts), computed here:
 * the bundle holds the values, not the JSON files and the comparison of every phrase with every rule's.
 */
const preparedCatalog = {
  name: 'prepared-catalog',
  setup(b) {
    const values = { CATALOG_SIGNALS, CATALOG_SAME_TEXT };
    const json = JSON.stringify(values);
    if (!isDeepStrictEqual(JSON.parse(json), values)) throw new Error('src/diagnose/catalog/derived.ts: its values do not survive JSON; the build cannot prepare them');
    b.onLoad({ filter: /[\\/]src[\\/]diagnose[\\/]catalog[\\/]derived\.ts$/ }, () => ({
      contents: `// Prepared by scripts/build.mjs from the message catalog.\nconst values = JSON.parse(${JSON.stringify(json)});\nexport const CATALOG_SIGNALS = values.CATALOG_SIGNALS;\nexport const CATALOG_SAME_TEXT = values.CATALOG_SAME_TEXT;\n`,
      loader: 'js',
    }));
  },
};

/**
 * The stdio handshake (initialize, the first tools/list) as the SDK answers it, captured here
 * through the SDK itself (src/mcp/handshake-capture.ts, which fails the build if the compact form
 * does not give back every variant exactly): `crdb-tls mcp` answers it before loading the SDK.
 */
const preparedHandshake = {
  name: 'prepared-handshake',
  async setup(b) {
    const handshake = await captureHandshake(lazyCatalog, packageJson.version);
    b.onLoad({ filter: /[\\/]src[\\/]mcp[\\/]prepared-handshake\.ts$/ }, () => ({
      contents: `// Prepared by scripts/build.mjs through the MCP SDK.\nexport const PREPARED_HANDSHAKE = JSON.parse(${JSON.stringify(JSON.stringify(handshake))});\n`,
      loader: 'js',
    }));
  },
};

/**
 * The SDK's `_shims` module (Node's process and the default JSON Schema validator, Ajv) is replaced
 * by src/mcp/form-validator.ts, which loads Ajv only when a form is about to be shown.
 */
const lazyFormValidator = {
  name: 'lazy-form-validator',
  setup(b) {
    b.onResolve({ filter: /^@modelcontextprotocol\/server\/_shims$/ }, () => ({ path: path.resolve('src/mcp/form-validator.ts') }));
  },
};

// Chunk names carry a content hash: an old chunk is never mistaken for a new one, and a rebuild
// leaves no stale chunk behind (removed after the new files are in place, below).
const result = await build({
  metafile: Boolean(process.env.CRDB_TLS_BUILD_META),
  entryPoints: { 'crdb-tls': 'src/cli/bin.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  // appsViewPlugin: MCP App pages' scripts, bundled for the browser and inlined as strings (src/mcp/apps.ts).
  plugins: [preparedListings, preparedMatcher, preparedCatalog, preparedHandshake, lazyFormValidator, appsViewPlugin],
  // Bundled CommonJS packages (pg, forge) call require(); give ESM one (in every chunk).
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __crdbTlsRequire } from 'node:module';\nconst require = __crdbTlsRequire(import.meta.url);" },
  logLevel: 'warning',
  // Bolt (with express, the Web API client, undici) is ~2.9 MB; it stays a dependency, loaded only
  // by `crdb-tls slack` (src/slack/app.ts) from node_modules.
  // resvg is a native addon (a prebuilt .node per platform in its npm package): it cannot be
  // bundled, and loads only when a PNG timeline is asked for (src/rotation/timeline-png.ts).
  external: ['@slack/bolt', '@resvg/resvg-js'],
  write: false, // written below
});
/**
 * The installed command (package.json `bin`, src/cli/launcher.ts) and the diagnose lane it
 * require()s, each one CommonJS file without splitting: `crdb-tls diagnose` then starts without
 * Node's ES module loader. The lane is built first, so that the launcher can name its file.
 * createRequire takes a path as well as a URL: the lane's one `import.meta.url` becomes __filename.
 */
const commonJs = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'linked', legalComments: 'none', logLevel: 'warning', write: false };
const laneBuild = await build({
  ...commonJs,
  entryPoints: { 'diagnose-lane': 'src/cli/diagnose-lane.ts' },
  outdir: `${outdir}/chunks`,
  outExtension: { '.js': '.cjs' },
  entryNames: '[name]-[hash]',
  define: { 'import.meta.url': '__filename' },
  plugins: [preparedListings, preparedMatcher, preparedCatalog],
});
const laneFile = laneBuild.outputFiles.find((file) => file.path.endsWith('.cjs'));
const launcherBuild = await build({
  ...commonJs,
  entryPoints: { 'crdb-tls': 'src/cli/launcher.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  banner: { js: '#!/usr/bin/env node' },
  plugins: [
    {
      name: 'launcher-targets',
      setup(b) {
        b.onResolve({ filter: /^\.\/diagnose-lane\.js$/ }, () => ({ path: `./chunks/${path.basename(laneFile.path)}`, external: true }));
        b.onResolve({ filter: /^\.\/bin\.js$/ }, () => ({ path: `./${path.basename(entry)}`, external: true }));
      },
    },
  ],
});
const launcher = `${outdir}/crdb-tls.cjs`;
// Chunks first, then the ESM entry, then the launcher that imports it.
const writeOrder = (file) => (file.path.endsWith(launcher) ? 2 : file.path.endsWith(entry) ? 1 : 0);

// Each file is replaced in one rename, chunks before the entry that imports them, and only then
// are chunks of older builds removed: a build while the bundle runs (`npm pack` in
// test/faces/npm-package.test.ts builds while other test files start crdb-tls) never lets a
// process read half a file or miss a chunk (an unchanged source keeps its chunk's name).
const written = new Set();
for (const file of [...result.outputFiles, ...laneBuild.outputFiles, ...launcherBuild.outputFiles].sort((a, b) => writeOrder(a) - writeOrder(b))) {
  mkdirSync(path.dirname(file.path), { recursive: true });
  const temp = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temp, file.contents, { mode: writeOrder(file) > 0 ? 0o755 : 0o644 });
  renameSync(temp, file.path);
  written.add(path.resolve(file.path));
}
const chunks = path.join(outdir, 'chunks');
mkdirSync(chunks, { recursive: true });
for (const name of readdirSync(chunks)) {
  if (!written.has(path.resolve(chunks, name))) rmSync(path.join(chunks, name), { force: true });
}
// CRDB_TLS_BUILD_META=FILE writes esbuild's metafile (which source went into which chunk) for analysis.
if (process.env.CRDB_TLS_BUILD_META) writeFileSync(process.env.CRDB_TLS_BUILD_META, JSON.stringify(result.metafile));
