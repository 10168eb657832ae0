// Where a start-up's time goes: runs the built bundle under `node --cpu-prof` and prints the top
// self-time functions and source modules (mapped through the bundle's source map, so a function in
// dist/crdb-tls.mjs shows as the src/ or node_modules/ file it came from).
//
//   node --import tsx bench/profile-startup.ts version          crdb-tls --version
//   node --import tsx bench/profile-startup.ts help             crdb-tls --help (the CLI, no tool)
//   node --import tsx bench/profile-startup.ts diagnose         crdb-tls diagnose "<one typical text>"
//   node --import tsx bench/profile-startup.ts mcp              crdb-tls mcp: initialize + tools/list, then stdin closes
//   PROFILE_CERTS_DIR=D node --import tsx bench/profile-startup.ts list   crdb-tls cert list --certs-dir D --json
//   PROFILE_CERTS_DIRS=D1:D2 node --import tsx bench/profile-startup.ts inventory   crdb-tls rotate check --certs-dir D1 --certs-dir D2 --within 1d --json
//   ... [--top N] [--runs N] [--bundle FILE]                    (mean self times of N runs, default 5; another build's entry, e.g. main's, to compare)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CLI_BUNDLE, REPO_ROOT, Scratch, checkBundle } from './harness.js';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const TYPICAL_TEXT = 'psql: error: connection to server at "db.internal" (10.0.0.5), port 26257 failed: SSL error: certificate verify failed';
const SCENARIOS: Record<string, string[]> = { version: ['--version'], help: ['--help'], diagnose: ['diagnose', TYPICAL_TEXT], mcp: ['mcp'], ...(process.env.PROFILE_CERTS_DIR ? { list: ['cert', 'list', '--certs-dir', process.env.PROFILE_CERTS_DIR, '--json'] } : {}),
  ...(process.env.PROFILE_CERTS_DIRS ? { inventory: ['rotate', 'check', ...process.env.PROFILE_CERTS_DIRS.split(':').flatMap((dir) => ['--certs-dir', dir]), '--within', '1d', '--json'] } : {}),
};

const sourceMaps = new Map<string, SourceMap | null>();
/** The checkout the profiled bundle was built in (its dist/ parent): module names are relative to it. */
let bundleRoot: string | undefined;
function sourceMapOf(url: string): SourceMap | null {
  if (!sourceMaps.has(url)) {
    let map: SourceMap | null = null;
    try {
      const file = fileURLToPath(url);
      if (fs.existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = null;
    }
    sourceMaps.set(url, map);
  }
  return sourceMaps.get(url)!;
}

/** The module a frame belongs to: a source file (via the source map), a node: built-in, or V8's own work. */
function moduleOf(frame: CallFrame): string {
  if (frame.url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (frame.url.startsWith('node:')) return frame.url;
  const map = frame.url.startsWith('file:') ? sourceMapOf(frame.url) : null;
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string } | undefined;
  const file = entry?.originalSource ? entry.originalSource.replace(/^file:\/\//, '') : frame.url.replace(/^file:\/\//, '');
  const absolute = path.resolve(path.dirname(fileURLToPath(frame.url)), file);
  const relative = path.relative(bundleRoot ?? REPO_ROOT, absolute);
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(relative);
  return pkg ? `npm:${pkg[1]}` : relative;
}

function runOnce(bundle: string, args: string[], dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, bundle, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}: ${stderr.slice(-500)}`))));
    if (args[0] !== 'mcp') {
      // Drained, or a command that prints more than a pipe holds (cert list of 1,000) never exits.
      child.stdout.resume();
      child.stdin.end();
      return;
    }
    const send = (m: unknown) => child.stdin.write(JSON.stringify(m) + '\n');
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('"id":1') && !stdout.includes('"id":2')) {
        if (!stdout.includes('sent-2')) {
          stdout += 'sent-2';
          send({ jsonrpc: '2.0', method: 'notifications/initialized' });
          send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
        }
      } else if (stdout.includes('"id":2')) child.stdin.end();
    });
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'profile', version: '1' } } });
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const scenario = argv[0] ?? 'mcp';
  const args = SCENARIOS[scenario];
  if (!args) throw new Error(`unknown scenario ${scenario} (known: ${Object.keys(SCENARIOS).join(', ')})`);
  const option = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
  const top = option('--top', 15);
  const runs = option('--runs', 5);
  const bundle = argv.includes('--bundle') ? path.resolve(argv[argv.indexOf('--bundle') + 1]!) : CLI_BUNDLE;
  if (bundle === CLI_BUNDLE) checkBundle();
  bundleRoot = path.dirname(path.dirname(bundle));
  const scratch = new Scratch('crdb-tls-profile-');
  try {
    const dir = scratch.dir('profiles');
    const env: NodeJS.ProcessEnv = { ...process.env, CRDB_TLS_STATE_DIR: scratch.dir('state'), CRDB_TLS_ROOTS: process.env.PROFILE_CERTS_DIR ?? scratch.dir('work') };
    // As bench/ runs the CLI: without roots (a person at a shell), unless a list names its dir.
    if (scenario === 'inventory') delete env.CRDB_TLS_ROOTS;
    for (let i = 0; i < runs; i++) await runOnce(bundle, args, dir, env);
    const byFunction = new Map<string, number>();
    const byModule = new Map<string, number>();
    let total = 0;
    for (const file of fs.readdirSync(dir)) {
      const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
      const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
      const selfUs = new Map<number, number>();
      profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
      total += profile.endTime - profile.startTime;
      for (const [id, us] of selfUs) {
        const frame = nodes.get(id)!.callFrame;
        const module = moduleOf(frame);
        const fn = `${frame.functionName || '(anonymous)'} ${module}`;
        byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
        byModule.set(module, (byModule.get(module) ?? 0) + us);
      }
    }
    const ms = (us: number) => `${(us / 1000 / runs).toFixed(1)} ms`;
    const list = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `  ${ms(v).padStart(9)}  ${k}`).join('\n');
    process.stdout.write(`${path.relative(process.cwd(), bundle)} ${args.join(' ').slice(0, 40)}: profiled ${ms(total)} a run (mean of ${runs}; --cpu-prof from main-script start to exit)\n`);
    process.stdout.write(`top self time by module:\n${list(byModule)}\ntop self time by function:\n${list(byFunction)}\n`);
  } finally {
    scratch.dispose();
  }
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) await main();
