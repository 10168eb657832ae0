import { policyFromEnv, PolicyError } from '../gate/policy.js';
import { openStore } from '../store/open.js';
import { loadConfig, type Config, type Face } from './config.js';
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
  const runner = new Runner(policy, store, undefined, { face });
  return { config, log, paths: new AllowedPaths(config.roots), runner, close: () => store.close() };
}
