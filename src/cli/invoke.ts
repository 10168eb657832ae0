import os from 'node:os';
import type { Runtime } from '../core/runtime.js';
import type { ToolContext, ToolDefinition } from '../core/tool.js';
import { askOnTerminal, promptHidden } from './prompt.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface InvokeOptions {
  json: boolean;
  /** --yes: the person running the command confirmed in advance (scripts). */
  yes?: boolean;
  /** Decides a successful output's exit code (e.g. list_certs with --fail-within). */
  exitCodeOf?: (output: Record<string, unknown>) => number;
}

const onTerminal = () => Boolean(process.stdin.isTTY && process.stderr.isTTY);

/** Runs one tool for a CLI verb: prints its summary (or exactly its structured output with --json) and returns the exit code. */
export async function invokeTool(tool: ToolDefinition, input: Record<string, unknown>, runtime: Runtime, options: InvokeOptions): Promise<number> {
  const askPerson = options.yes ? async () => 'accept' as const : onTerminal() ? askOnTerminal : undefined;
  const ctx: ToolContext = {
    config: runtime.config,
    paths: runtime.paths,
    log: runtime.log,
    store: runtime.runner.store,
    requester: os.userInfo().username,
    ...(process.stdin.isTTY ? { promptSecret: promptHidden } : {}),
    ...(askPerson ? { askPerson } : {}),
    progress: (message: string) => void process.stderr.write(`crdb-tls: ${message}\n`),
  };
  const outcome = await runtime.runner.run(tool, input, ctx);
  if (!outcome.ok) {
    const { code, message, hint } = outcome.error;
    process.stderr.write(`crdb-tls: ${message}${hint ? ` — ${hint}` : ''}\n`);
    if (options.json) process.stdout.write(JSON.stringify({ error: outcome.error }, null, 2) + '\n');
    return code === 'invalid_input' || code === 'input_too_large' ? EXIT_USAGE : EXIT_FAILED;
  }
  const { output } = outcome;
  if (output.status === 'confirmation_required') {
    // No terminal to ask and no --yes: refuse, and show what would have happened.
    const confirmation = output.confirmation as { severity: string; impact: string; changes: string[]; rollback: string };
    process.stderr.write(
      `crdb-tls: not done: this ${confirmation.severity}-severity change needs confirmation; re-run with --yes to confirm (or --dry-run to only look)\n` +
        `  Impact:   ${confirmation.impact}\n  Changes:  ${confirmation.changes.join('; ')}\n  Rollback: ${confirmation.rollback}\n`,
    );
    if (options.json) process.stdout.write(JSON.stringify(output, null, 2) + '\n');
    return EXIT_FAILED;
  }
  if (output.status === 'refused') {
    process.stderr.write(`crdb-tls: ${outcome.text}\n`);
    if (options.json) process.stdout.write(JSON.stringify(output, null, 2) + '\n');
    return EXIT_FAILED;
  }
  process.stdout.write(options.json ? JSON.stringify(output, null, 2) + '\n' : outcome.text + '\n');
  return options.exitCodeOf?.(output) ?? EXIT_OK;
}
