// Runs the CLI in a child that records every module file it loads (a module.register load hook,
// and require's cache at exit), so that a test can tell which path answered: a lane
// (src/cli/*-lane.ts) loads neither commander nor zod, the full CLI loads both.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI_BUNDLE, cliEnv, type CliResult } from './cli.js';

const LOAD_RECORDER = `data:text/javascript,${encodeURIComponent(`
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
// What require() loaded (the installed command and its diagnose lane are CommonJS), at exit.
const cache = createRequire(pathToFileURL(process.cwd() + '/').href).cache;
process.on('exit', () => {
  if (process.env.LOAD_RECORD) for (const file of Object.keys(cache)) fs.appendFileSync(process.env.LOAD_RECORD, pathToFileURL(file).href + '\\n');
});
register('data:text/javascript,' + encodeURIComponent(\`
import fs from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:') && process.env.LOAD_RECORD) fs.appendFileSync(process.env.LOAD_RECORD, url + '\\\\n');
  return next(url, context);
}\`));
`)}`;

export interface RecordedRun extends CliResult {
  /** The npm packages whose code the child loaded (from each loaded chunk's source map). */
  packages: Set<string>;
  /** Every module file the child loaded, as file: URLs. */
  files: string[];
}

let runs = 0;
/** `node dist/crdb-tls.cjs ...args` (or another `entry`) in `dir` (which also keeps the load records), with `input` on stdin. */
export function runRecordingLoads(dir: string, args: string[], input = '', env: NodeJS.ProcessEnv = {}, entry = CLI_BUNDLE): Promise<RecordedRun> {
  const record = path.join(dir, `loads-${process.pid}-${runs++}.txt`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', LOAD_RECORDER, entry, ...args], { cwd: dir, env: cliEnv({ LOAD_RECORD: record, ...env }) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.stdin.on('error', () => {}); // a child that exits before reading all of a large input
    child.stdin.end(input);
    child.on('exit', (status) => {
      const loaded = fs.existsSync(record) ? fs.readFileSync(record, 'utf8').trim().split('\n') : [];
      fs.rmSync(record, { force: true });
      resolve({ status: status ?? 128, stdout, stderr, packages: packagesIn(loaded), files: loaded });
    });
  });
}

function packagesIn(urls: string[]): Set<string> {
  const packages = new Set<string>();
  for (const url of urls) {
    const map = `${new URL(url).pathname}.map`;
    if (!fs.existsSync(map)) continue;
    for (const source of (JSON.parse(fs.readFileSync(map, 'utf8')) as { sources: string[] }).sources) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source);
      if (match) packages.add(match[1]!);
    }
  }
  return packages;
}

/** A lane answered: neither commander nor zod was loaded. */
export const laneAnswered = (result: RecordedRun) => !result.packages.has('commander') && !result.packages.has('zod');

/**
 * The installed command's diagnose lane answered (src/cli/launcher.ts): its CommonJS bundle was
 * required, and no ES module chunk was loaded at all (the start-up it saves is the ESM loader's).
 */
export const diagnoseLaneAnswered = (result: RecordedRun) =>
  laneAnswered(result) && result.files.some((url) => /\/chunks\/diagnose-lane-[A-Z0-9]+\.cjs$/.test(url)) && !result.files.some((url) => url.endsWith('.mjs'));
