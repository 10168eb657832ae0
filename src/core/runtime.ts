import { policyFromEnv, PolicyError } from '../gate/policy.js';
import { cleanStaging } from '../pki/staging.js';
import { openStore } from '../store/open.js';
import { loadConfig, startupStagingDirs, type Config, type Face } from './config.js';
import { ToolError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { AllowedPaths } from './paths.js';
import { Runner } from './runner.js';

/** What every face needs, built once from the environment. */
export interface Runtime {
  config: Config;
  log: Logger;
  paths: AllowedPaths;
  runner: Runner;
  close(): Promise<void>;
}

export async function createRuntime(face: Face, env: NodeJS.ProcessEnv = process.env, log: Logger = createLogger()): Promise<Runtime> {
  const config = loadConfig(face, env);
  let policy;
  try {
    policy = policyFromEnv(env);
  } catch (error) {
    if (error instanceof PolicyError) throw new ToolError('invalid_input', error.message, 'Fix the variable; see the README configuration table.');
    throw error;
  }
  let store;
  try {
    store = await openStore({ databaseUrl: config.databaseUrl, stateDir: config.stateDir });
  } catch (error) {
    throw new ToolError('internal', `cannot open the store at CRDB_TLS_DATABASE_URL: ${(error as Error).message}`, 'Check that the database is reachable and the URL (user, TLS settings) is right.');
  }
  // Confirmations are bound to the face that asked: MCP over stdio and over HTTP are one face to the gate.
  const runner = new Runner(policy, store, undefined, { face: face === 'mcp-http' ? 'mcp' : face });
  await removeLeftStaging(config, log);
  return { config, log, paths: new AllowedPaths(config.roots), runner, close: () => store.close() };
}

/**
 * Staging copies a killed write left behind (a private key among them, issue 14) go at start-up
 * from the places certificates usually are: the default certs dir and the roots (their top level
 * only: a root may be a big working directory). Every write also cleans its own directories first.
 */
async function removeLeftStaging(config: Config, log: Logger): Promise<void> {
  await Promise.all(startupStagingDirs(config).map(async (dir) => {
    const { removed, restored } = await cleanStaging(dir).catch(() => ({ removed: [], restored: [] }));
    if (restored.length > 0) log.warn({ dir, restored }, 'undid the files an interrupted write had placed');
    if (removed.length > 0) log.info({ dir, removed }, 'removed staging copies left by an interrupted write');
  }));
}
