// What every benchmark shares: timing a spawned process or an in-process call, interleaving the
// contenders, temp dirs that are always removed (they hold private keys), and the machine facts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { formatMs, summarize, type Summary } from './stats.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The `crdb-tls` command as installed (package.json bin, src/cli/launcher.ts): what the CLI rows run. */
export const CLI_BUNDLE = path.join(REPO_ROOT, 'dist', 'crdb-tls.cjs');
/** The ESM entry, as the README's MCP configurations and the MCP Bundle's manifest run it: what the MCP rows run. */
export const MCP_ENTRY = path.join(REPO_ROOT, 'dist', 'crdb-tls.mjs');

/** One line of the results table: our median against the peer's, both measured in this run. */
export interface BenchRow {
  id: string;
  benchmark: string;
  ours: Summary;
  peer: Summary;
  ours_command: string;
  peer_command: string;
}

/** What one benchmark file returns: its rows and what a reader must know to interpret them. */
export interface BenchResult {
  rows: BenchRow[];
  notes: string[];
}

/** A positive whole number from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name}=${raw} is not a positive whole number`);
  return Number(raw);
}

export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** The CLI's environment: no CRDB_TLS_ROOTS, which would confine it away from the temp dirs. */
export function cliEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.CRDB_TLS_ROOTS;
  return env;
}

/**
 * Variables of this machine's environment that change the start-up of every node process, ours and
 * its peers alike: NODE_EXTRA_CA_CERTS is read and parsed at each start (nodejs/node#23354 moved it
 * there from first use; #40524 is the slow start it causes with OpenSSL 3), and NODE_OPTIONS can
 * preload anything. The baseline was measured without them (a bare node start of 68 ms).
 */
const NODE_START_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'] as const;

/**
 * Removes NODE_START_VARIABLES from this process's environment, which every contender inherits, so
 * that each run measures the same node; returns a note with what they cost a bare node start here
 * (interleaved, `runs` each), or nothing when none is set.
 */
export function neutralNodeEnvironment(runs: number): string[] {
  const set = NODE_START_VARIABLES.filter((name) => process.env[name]);
  if (set.length === 0) return [];
  const neutral = { ...process.env };
  for (const name of set) delete neutral[name];
  const withThem: number[] = [];
  const without: number[] = [];
  for (let i = -1; i < runs; i++) {
    const a = timeSpawn(process.execPath, ['-e', ''], { env: process.env }).ms;
    const b = timeSpawn(process.execPath, ['-e', ''], { env: neutral }).ms;
    if (i >= 0) {
      withThem.push(a);
      without.push(b);
    }
  }
  const shown = set.map((name) => `${name}=${process.env[name]}`);
  const them = set.length === 1 ? 'it' : 'them';
  for (const name of set) delete process.env[name];
  return [`this machine sets ${shown.join(' and ')}; a bare \`node -e ''\` took ${formatMs(summarize(withThem).median)} with ${them} and ${formatMs(summarize(without).median)} without (medians of ${runs}, interleaved). Every process here ran without ${them}, as the issue's baseline was measured.`];
}

export interface SpawnTiming {
  ms: number;
  stdout: string;
}

/**
 * Runs a program to completion and returns its wall time (spawn to exit, so process start-up is
 * included). Throws with its stderr when it fails: a failed run must never count as a fast one.
 */
export function timeSpawn(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; captureStdout?: boolean } = {}): SpawnTiming {
  const start = performance.now();
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', options.captureStdout ? 'pipe' : 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  const ms = performance.now() - start;
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}: ${result.stderr.trim()}`);
  return { ms, stdout: options.captureStdout ? result.stdout : '' };
}

let fullCollection: (() => void) | undefined;
/**
 * A full garbage collection, untimed, before an in-process sample: the sample then starts from a
 * collected heap as a fresh process would, instead of paying for what earlier benchmarks in this
 * process left (after the issue rows, in-process listing medians went from ~145 to 216–328 ms). The
 * collections the measured code causes itself still count.
 */
export function collectGarbage(): void {
  if (!fullCollection) {
    v8.setFlagsFromString('--expose-gc');
    fullCollection = vm.runInNewContext('gc') as () => void;
  }
  fullCollection();
}

export async function timeAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/**
 * A contender does its untimed setup itself and returns the milliseconds of the part that counts,
 * or null when it sits this iteration out (a slow peer measured fewer times).
 */
export type Contender = (iteration: number) => Promise<number | null> | number | null;

/**
 * Runs every contender `runs` times, interleaved (A B C, B C A, C A B, ...) so that a slow phase of
 * a shared machine hits all of them alike instead of whichever happened to run then.
 */
export async function interleave<K extends string>(label: string, runs: number, contenders: Record<K, Contender>): Promise<Record<K, number[]>> {
  const names = Object.keys(contenders) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < runs; i++) {
    const shift = i % names.length;
    for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
      const ms = await contenders[name](i);
      if (ms !== null) samples[name].push(ms);
    }
    if ((i + 1) % Math.max(1, Math.ceil(runs / 4)) === 0 || i + 1 === runs) progress(`${label}: ${i + 1}/${runs} runs`);
  }
  return samples;
}

/** Temp dirs under one root, removed on exit and on Ctrl-C: they hold private keys. */
export class Scratch {
  readonly root: string;
  private readonly cleanup = () => fs.rmSync(this.root, { recursive: true, force: true });
  private readonly onSignal = () => {
    this.cleanup();
    process.exit(130);
  };

  constructor(prefix: string) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    process.on('exit', this.cleanup);
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  dir(name: string): string {
    const dir = path.join(this.root, name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  fresh(prefix: string): string {
    return fs.mkdtempSync(path.join(this.root, prefix));
  }

  dispose(): void {
    this.cleanup();
    process.off('exit', this.cleanup);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

let cachedOpensslVersion: string | undefined;

export function opensslVersion(): string {
  if (cachedOpensslVersion) return cachedOpensslVersion;
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error('openssl is not installed or not on PATH; the peer benchmarks need it (apt-get install openssl)');
  cachedOpensslVersion = r.stdout.trim();
  return cachedOpensslVersion;
}

/** OpenSSL 3 writes PKCS#8 from genrsa unless told -traditional; CockroachDB writes PKCS#1. */
export function genrsaArgs(keyFile: string, bits: number): string[] {
  const major = Number(/^OpenSSL (\d+)\./.exec(opensslVersion())?.[1] ?? '1');
  return ['genrsa', ...(major >= 3 ? ['-traditional'] : []), '-out', keyFile, String(bits)];
}

export interface Machine {
  node: string;
  node_openssl: string;
  openssl_cli: string;
  cpus: number;
  cpu_model: string;
  os: string;
}

export function machineInfo(): Machine {
  const cpus = os.cpus();
  return {
    node: process.version,
    node_openssl: process.versions.openssl ?? 'unknown',
    openssl_cli: opensslVersion(),
    cpus: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

export function row(id: string, benchmark: string, ours: number[], peer: number[], ours_command: string, peer_command: string): BenchRow {
  return { id, benchmark, ours: summarize(ours), peer: summarize(peer), ours_command, peer_command };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Exits when the CLI bundle the spawned rows run is missing, and warns when it is older than the sources. */
export function checkBundle(): void {
  if (!fs.existsSync(CLI_BUNDLE)) {
    process.stderr.write(`bench: ${CLI_BUNDLE} does not exist; run npm run build (npm run bench does it)\n`);
    process.exit(1);
  }
  const sources = Math.max(newestMtime(path.join(REPO_ROOT, 'src')), newestMtime(path.join(REPO_ROOT, 'tools')));
  if (fs.statSync(CLI_BUNDLE).mtimeMs < sources) progress(`WARNING: ${path.relative(REPO_ROOT, CLI_BUNDLE)} is older than src/ or tools/; the CLI rows measure a stale bundle (npm run build)`);
}

/** peer/ours: above 1 ours is faster by that factor; below 1 ours is slower. */
export function ratioText(r: BenchRow): string {
  const ratio = r.peer.median / r.ours.median;
  // A linearity row compares ours on a big input (scaled down) with ours on a small one: not a race.
  if (r.id.endsWith('-linear')) return `${ratio.toFixed(2)} (1 = linear, below 1 = grows faster than the input)`;
  return ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${ratio.toFixed(2)}× = ${(1 / ratio).toFixed(1)}× slower`;
}

export const medianRange = (s: Summary) => `${formatMs(s.median)} (${formatMs(s.min)} – ${formatMs(s.max)})`;

/**
 * Each benchmark file ends with this, so that it also runs on its own (`node --import tsx
 * bench/<name>.ts [--json]`): then it prints its rows and notes, or with --json its result.
 * Imported by bench/run.ts, `moduleUrl` is not the script node started, and it does nothing.
 */
export async function runWhenInvokedDirectly(moduleUrl: string, bench: () => Promise<BenchResult>): Promise<void> {
  const script = process.argv[1];
  if (script === undefined || path.resolve(script) !== fileURLToPath(moduleUrl)) return;
  checkBundle();
  const environment = neutralNodeEnvironment(10);
  const result = await bench();
  result.notes.unshift(...environment);
  if (process.argv.includes('--json')) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  for (const r of result.rows) {
    process.stdout.write(`${r.benchmark}: ours ${medianRange(r.ours)}, peer ${medianRange(r.peer)} — ${ratioText(r)}\n  ours: ${r.ours_command}\n  peer: ${r.peer_command}\n`);
  }
  for (const note of result.notes) process.stdout.write(`- ${note}\n`);
}
