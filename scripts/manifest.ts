// `npm run manifest`: rewrites the `tools` list and `version` of manifest.json (the MCP Bundle
// manifest) from the tool catalog and package.json, so that the bundle declares exactly the tools
// `crdb-tls mcp` lists. `npm run manifest -- --check` changes nothing and exits 1 when they differ.
// test/faces/mcp-bundle.test.ts compares the manifest with the live server's tools/list.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalog } from '../tools/catalog.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MANIFEST = path.join(REPO, 'manifest.json');

/** What the bundle shows a person for each tool: its name and its title (the description is for models). */
function manifestTools(tools: ReadonlyArray<{ name: string; title?: string | undefined }>): Array<{ name: string; description: string }> {
  return tools.map((tool) => ({ name: tool.name, description: tool.title ?? tool.name }));
}

const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Record<string, unknown>;
const version = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const updated = { ...manifest, version, tools: manifestTools(catalog) };
const before = JSON.stringify(manifest, null, 2) + '\n';
const after = JSON.stringify(updated, null, 2) + '\n';

if (process.argv.includes('--check')) {
  if (before !== after) {
    process.stderr.write('manifest.json is out of date with the tool catalog or package.json; run: npm run manifest\n');
    process.exit(1);
  }
  process.stderr.write('manifest.json is up to date\n');
} else if (before !== after) {
  fs.writeFileSync(MANIFEST, after);
  process.stderr.write(`manifest.json: ${catalog.length} tools, version ${version}\n`);
} else {
  process.stderr.write('manifest.json already up to date\n');
}
