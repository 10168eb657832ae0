import os from 'node:os';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/log.js';
import { AllowedPaths } from '../core/paths.js';
import { runTool } from '../core/runner.js';
import type { ToolContext, ToolDefinition } from '../core/tool.js';
import { promptHidden } from './prompt.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface CliEnvironment {
  config: Config;
  log: Logger;
}

export interface InvokeOptions {
  json: boolean;
  /** Decides a successful output's exit code (e.g. list_certs with --fail-within). */
  exitCodeOf?: (output: Record<string, unknown>) => number;
}

/** Runs one tool for a CLI verb: prints its summary (or exactly its structured output with --json) and returns the exit code. */
export async function invokeTool(tool: ToolDefinition, input: Record<string, unknown>, env: CliEnvironment, options: InvokeOptions): Promise<number> {
  const ctx: ToolContext = {
    config: env.config,
    paths: new AllowedPaths(env.config.roots),
    log: env.log,
    requester: os.userInfo().username,
    ...(process.stdin.isTTY ? { promptSecret: promptHidden } : {}),
  };
  const outcome = await runTool(tool, input, ctx);
  if (!outcome.ok) {
    const { code, message, hint } = outcome.error;
    process.stderr.write(`crdb-tls: ${message}${hint ? ` — ${hint}` : ''}\n`);
    if (options.json) process.stdout.write(JSON.stringify({ error: outcome.error }, null, 2) + '\n');
    return code === 'invalid_input' ? EXIT_USAGE : EXIT_FAILED;
  }
  process.stdout.write(options.json ? JSON.stringify(outcome.output, null, 2) + '\n' : outcome.text + '\n');
  const status = outcome.output.status;
  if (status === 'refused' || status === 'confirmation_required') return EXIT_FAILED;
  return options.exitCodeOf?.(outcome.output) ?? EXIT_OK;
}
