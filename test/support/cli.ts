// Runs the real CLI (dist/crdb-tls.cjs, the command package.json's bin installs, which runs the
// ESM bundle dist/crdb-tls.mjs for all but a plain diagnose: src/cli/launcher.ts) in a child process,
// so tests see exactly what a person at a shell sees: exit code, stdout, stderr and the files.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The `crdb-tls` command as installed (package.json bin). */
export const CLI_BUNDLE = path.join(REPO_ROOT, 'dist', 'crdb-tls.cjs');

export interface CliOptions {
  /** Working directory of the child (relative paths in args resolve against it). */
  cwd?: string;
  /** The child's whole environment; default: this process's, less the variables that change CLI defaults. */
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin (which is a pipe, never a TTY, so the CLI never prompts). */
  input?: string;
  uid?: number;
  gid?: number;
  /** Milliseconds before the child is killed; default 60 s. */
  timeoutMs?: number;
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Variables that would silently change what the CLI does (default certs dir, CA key, allowed roots). */
const AMBIENT_VARIABLES = ['COCKROACH_CERTS_DIR', 'COCKROACH_CA_KEY', 'CRDB_TLS_ROOTS', 'CRDB_TLS_DATABASE_URL', 'CRDB_TLS_READ_ONLY', 'CRDB_TLS_CONFIRM_THRESHOLD', 'CRDB_TLS_NETWORK_ALLOW', 'CRDB_TLS_PASSWORD_HOSTS'];

/** One audit/state dir per test process, so tests never write into the developer's ~/.local/state. */
let stateDir: string | undefined;
export function testStateDir(): string {
  if (!stateDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crdb-tls-state-'));
    stateDir = dir;
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return stateDir;
}

export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of AMBIENT_VARIABLES) delete env[name];
  return { ...env, CRDB_TLS_STATE_DIR: testStateDir(), ...extra };
}

/**
 * Copies the built command (both entries and the chunks, no source maps) into `dir`, as an install
 * would lay it out; returns the path of the copied command. Files 0644, the command and dirs 0755.
 */
export function copyBuiltCommand(dir: string): string {
  const dist = path.dirname(CLI_BUNDLE);
  for (const entry of ['crdb-tls.cjs', 'crdb-tls.mjs']) {
    fs.copyFileSync(path.join(dist, entry), path.join(dir, entry));
    fs.chmodSync(path.join(dir, entry), 0o755);
  }
  const chunks = path.join(dir, 'chunks');
  fs.mkdirSync(chunks, { mode: 0o755 });
  fs.chmodSync(chunks, 0o755);
  for (const name of fs.readdirSync(path.join(dist, 'chunks'))) {
    if (name.endsWith('.map')) continue;
    fs.copyFileSync(path.join(dist, 'chunks', name), path.join(chunks, name));
    fs.chmodSync(path.join(chunks, name), 0o644);
  }
  return path.join(dir, path.basename(CLI_BUNDLE));
}

function assertBuilt(): void {
  if (!fs.existsSync(CLI_BUNDLE)) throw new Error(`${CLI_BUNDLE} does not exist: run \`npm run build\` first`);
}

/** `node dist/crdb-tls.cjs ...args`; never throws for a non-zero exit (that is for the test to judge). */
export function runCli(args: string[], opts: CliOptions = {}): CliResult {
  assertBuilt();
  const result = spawnSync(process.execPath, [CLI_BUNDLE, ...args], {
    cwd: opts.cwd,
    env: opts.env ?? cliEnv(),
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
  });
  if (result.error) throw new Error(`could not run crdb-tls ${args.join(' ')}: ${result.error.message}`);
  const status = result.status ?? (result.signal ? 128 : 1);
  if (result.signal) {
    return { status, stdout: result.stdout, stderr: `${result.stderr}\n[killed by ${result.signal}]` };
  }
  return { status, stdout: result.stdout, stderr: result.stderr };
}

/** Like runCli, but throws (with the command, exit code and stderr) unless the exit code is 0. */
export function runCliOk(args: string[], opts: CliOptions = {}): CliResult {
  const result = runCli(args, opts);
  if (result.status !== 0) {
    throw new Error(`crdb-tls ${args.join(' ')} exited ${result.status}\nstderr: ${result.stderr}\nstdout: ${result.stdout}`);
  }
  return result;
}

/** A refusal is one `crdb-tls: ` line on stderr and a non-zero exit. */
export function assertCliRefused(result: CliResult, pattern: RegExp): void {
  assert.notEqual(result.status, 0, 'the command must fail');
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
  assert.match(lines[0]!, /^crdb-tls: /);
  assert.match(lines[0]!, pattern);
}

/**
 * Like runCli without blocking this process (a server the test runs here must keep answering the
 * child). With `shellPipe` ("| head -1") the output goes through that pipe in bash, as a person
 * types it, and the status is crdb-tls's own (PIPESTATUS[0]), not the last command's.
 */
export function runCliAsync(args: string[], opts: CliOptions & { shellPipe?: string } = {}): Promise<CliResult> {
  assertBuilt();
  const [command, argv] = opts.shellPipe !== undefined
    ? ['bash', ['-c', `"$0" "$@" ${opts.shellPipe}; exit "\${PIPESTATUS[0]}"`, process.execPath, CLI_BUNDLE, ...args]]
    : [process.execPath, [CLI_BUNDLE, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv as string[], { cwd: opts.cwd, env: opts.env ?? cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(opts.input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`crdb-tls ${args.join(' ')} still running after ${opts.timeoutMs ?? 60_000} ms: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      resolve({ status: status ?? 128, stdout, stderr: signal ? `${stderr}\n[killed by ${signal}]` : stderr });
    });
  });
}
