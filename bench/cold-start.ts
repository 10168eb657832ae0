// MCP cold start: what an IDE waits for when it spawns a server. Time from spawn to the answer of
// tools/list (after initialize and notifications/initialized), the same raw newline-delimited
// JSON-RPC client for each server, the same number of runs, interleaved:
//   - ours: `node dist/crdb-tls.mjs mcp` (the whole bundle, every tool registered);
//   - the official @modelcontextprotocol/server-filesystem from npm, run with node directly (no
//     npx resolution in the timing): `node node_modules/@modelcontextprotocol/server-filesystem/dist/index.js <dir>`;
//   - a bare `node -e ''` (spawn to exit): the floor any Node server starts from.
// And the CLI's start-up against the same bare node start, spawn to exit, as the installed command
// (dist/crdb-tls.cjs) runs: `crdb-tls --version` (which loads nothing but that file) and
// `crdb-tls diagnose` of one typical pasted error (the file and the diagnose lane's CommonJS bundle).
// Each MCP run then makes one tools/call (ours: diagnose_error of the typical text; the filesystem
// server: list_allowed_directories), timed from the same spawn: the cost of whatever the start
// leaves for later shows there. Each run checks that tools/list listed tools and that the call
// answered what it should, so a crash never counts as a fast start.
//
// Runs inside bench/run.ts (`npm run bench -- --only cold-start`) or on its own:
//   node --import tsx bench/cold-start.ts [--json]      (BENCH_COLD_RUNS, default 20)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI_BUNDLE, MCP_ENTRY, REPO_ROOT, Scratch, envInt, interleave, progress, row, runWhenInvokedDirectly, timeSpawn, type BenchResult } from './harness.js';
import { formatMs, summarize } from './stats.js';

const FILESYSTEM_SERVER = path.join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js');
const PROTOCOL_VERSION = '2025-06-18';
const TIMEOUT_MS = 30_000;
/** One typical pasted error (the CLI start-up row): what a person runs `crdb-tls diagnose` on. */
const TYPICAL_ERROR = 'psql: error: connection to server at "db.internal" (10.0.0.5), port 26257 failed: x509: certificate signed by unknown authority';

const OUR_FIRST_CALL: FirstCall = { name: 'diagnose_error', arguments: { error_text: TYPICAL_ERROR }, expect: /untrusted_server_ca/ };
const FILESYSTEM_FIRST_CALL: FirstCall = { name: 'list_allowed_directories', arguments: {}, expect: /Allowed directories/i };

export interface ColdStartOptions {
  runs: number;
  warmups: number;
}

/** A first tools/call after the listing, and a pattern its result must match (a failed call never counts). */
export interface FirstCall {
  name: string;
  arguments: Record<string, unknown>;
  expect: RegExp;
}

/**
 * Spawns `command args`, sends initialize, then (on its answer) notifications/initialized and
 * tools/list, then `firstCall` if given; resolves with the milliseconds from spawn to the
 * tools/list answer (and to the call's answer) and the tool count.
 */
export function timeToToolsList(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, firstCall?: FirstCall): Promise<{ ms: number; callMs: number; tools: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let done = false;
    let listed = { ms: 0, tools: 0 };
    const finish = (error: Error | null, value?: { ms: number; callMs: number; tools: number }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      if (error) reject(error);
      else resolve(value!);
    };
    const timer = setTimeout(() => finish(new Error(`${command} ${args.join(' ')}: no answer within ${TIMEOUT_MS} ms; stderr: ${stderr.slice(-500)}`)), TIMEOUT_MS);
    const send = (message: unknown) => child.stdin.write(JSON.stringify(message) + '\n');
    child.on('error', (error) => finish(error));
    child.on('exit', (code) => finish(new Error(`${command} ${args.join(' ')} exited ${code} before answering; stderr: ${stderr.slice(-500)}`)));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      let newline: number;
      while ((newline = stdout.indexOf('\n')) >= 0) {
        const line = stdout.slice(0, newline);
        stdout = stdout.slice(newline + 1);
        const message = JSON.parse(line) as { id?: number; result?: { tools?: unknown[]; isError?: boolean }; error?: unknown };
        if (message.id === 1) {
          if (!message.result) return finish(new Error(`initialize failed: ${line.slice(0, 300)}`));
          send({ jsonrpc: '2.0', method: 'notifications/initialized' });
          send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
        } else if (message.id === 2) {
          listed = { ms: performance.now() - started, tools: message.result?.tools?.length ?? 0 };
          if (listed.tools === 0) return finish(new Error(`tools/list listed no tools: ${line.slice(0, 300)}`));
          if (!firstCall) return finish(null, { ...listed, callMs: 0 });
          send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: firstCall.name, arguments: firstCall.arguments } });
        } else if (message.id === 3 && firstCall) {
          const callMs = performance.now() - started;
          if (!message.result || message.result.isError || !firstCall.expect.test(line)) return finish(new Error(`tools/call ${firstCall.name} failed: ${line.slice(0, 300)}`));
          finish(null, { ...listed, callMs });
        }
      }
    });
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'crdb-tls-cold-start-bench', version: '1.0.0' } } });
  });
}

export async function benchColdStart(options: ColdStartOptions): Promise<BenchResult> {
  if (!fs.existsSync(FILESYSTEM_SERVER)) throw new Error(`${FILESYSTEM_SERVER} is missing: npm ci installs the devDependency @modelcontextprotocol/server-filesystem`);
  const scratch = new Scratch('crdb-tls-bench-cold-');
  try {
    const work = scratch.dir('work');
    const env: NodeJS.ProcessEnv = { ...process.env, CRDB_TLS_STATE_DIR: scratch.dir('state'), CRDB_TLS_ROOTS: work };
    for (const name of ['CRDB_TLS_READ_ONLY', 'CRDB_TLS_DATABASE_URL']) delete env[name];
    const toolCounts = { ours: 0, filesystem: 0 };
    // The first call as well: what the fast opening leaves to the SDK is paid there.
    const calls = { ours: [] as number[], filesystem: [] as number[] };
    const ours = async () => {
      const { ms, callMs, tools } = await timeToToolsList(process.execPath, [MCP_ENTRY, 'mcp'], env, work, OUR_FIRST_CALL);
      toolCounts.ours = tools;
      calls.ours.push(callMs);
      return ms;
    };
    const filesystem = async () => {
      const { ms, callMs, tools } = await timeToToolsList(process.execPath, [FILESYSTEM_SERVER, work], env, work, FILESYSTEM_FIRST_CALL);
      toolCounts.filesystem = tools;
      calls.filesystem.push(callMs);
      return ms;
    };
    const bare = () => timeSpawn(process.execPath, ['-e', ''], { cwd: work }).ms;
    const cliEnvironment = { ...env };
    delete cliEnvironment.CRDB_TLS_ROOTS;
    const version = () => timeSpawn(process.execPath, [CLI_BUNDLE, '--version'], { cwd: work, env: cliEnvironment }).ms;
    const diagnose = () => {
      const run = timeSpawn(process.execPath, [CLI_BUNDLE, 'diagnose', TYPICAL_ERROR], { cwd: work, env: cliEnvironment, captureStdout: true });
      if (!run.stdout.startsWith('untrusted_server_ca')) throw new Error(`crdb-tls diagnose answered something else: ${run.stdout.slice(0, 300)}`);
      return run.ms;
    };
    for (let w = 0; w < options.warmups; w++) {
      await ours();
      await filesystem();
      bare();
      version();
      diagnose();
    }
    calls.ours.length = 0;
    calls.filesystem.length = 0;
    progress(`cold start: spawn → initialize → tools/list answered, and CLI start-ups; ${options.runs} runs each`);
    const samples = await interleave('cold start', options.runs, { ours, filesystem, bare, version, diagnose });
    const oursCommand = 'node dist/crdb-tls.mjs mcp';
    const filesystemVersion = (JSON.parse(fs.readFileSync(path.join(path.dirname(FILESYSTEM_SERVER), '..', 'package.json'), 'utf8')) as { version: string }).version;
    const filesystemCommand = `node node_modules/@modelcontextprotocol/server-filesystem/dist/index.js DIR (${filesystemVersion})`;
    const bareSummary = summarize(samples.bare);
    return {
      rows: [
        row('cold-start-filesystem', 'MCP cold start: spawn → tools/list answered, vs the official filesystem server', samples.ours, samples.filesystem, oursCommand, filesystemCommand),
        row('first-call-filesystem', 'MCP first call: spawn → initialize, tools/list, one tools/call answered, vs the official filesystem server', calls.ours, calls.filesystem, `${oursCommand}: diagnose_error of one typical text`, `${filesystemCommand}: list_allowed_directories`),
        row('cold-start-node', 'MCP cold start vs a bare node start (spawn → exit)', samples.ours, samples.bare, oursCommand, "node -e ''"),
        row('cli-version-node', 'CLI start-up: crdb-tls --version vs a bare node start (spawn → exit)', samples.version, samples.bare, 'node dist/crdb-tls.cjs --version', "node -e ''"),
        row('cli-diagnose-node', 'CLI start-up: crdb-tls diagnose of one typical text vs a bare node start (spawn → exit)', samples.diagnose, samples.bare, `node dist/crdb-tls.cjs diagnose '${TYPICAL_ERROR}'`, "node -e ''"),
      ],
      notes: [
        `cold start: ours lists ${toolCounts.ours} tools, the filesystem server ${toolCounts.filesystem}; same raw JSON-RPC client (initialize, notifications/initialized, tools/list), ${options.runs} runs each, interleaved.`,
        `cold start: above a bare node start (median ${formatMs(bareSummary.median)}), ours adds ${formatMs(summarize(samples.ours).median - bareSummary.median)} and the filesystem server ${formatMs(summarize(samples.filesystem).median - bareSummary.median)}.`,
      ],
    };
  } finally {
    scratch.dispose();
  }
}

await runWhenInvokedDirectly(import.meta.url, () => benchColdStart({ runs: envInt('BENCH_COLD_RUNS', 20), warmups: envInt('BENCH_WARMUPS', 1) }));
