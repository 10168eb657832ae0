import os from 'node:os';
import { logsWritten } from '../core/log.js';
import type { Runtime } from '../core/runtime.js';
import type { ToolContext, ToolDefinition } from '../core/tool.js';
import { askOnTerminal, promptHidden } from './prompt.js';
import { writeErr, writeJson, writeOut } from './terminal.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface InvokeOptions {
  json: boolean;
  /** --yes: the person running the command confirmed in advance (scripts). */
  yes?: boolean;
  /** Decides a successful output's exit code (e.g. list_certs with --fail-within). */
  exitCodeOf?: (output: Record<string, unknown>) => number;
  /** The CLI's own text for a successful output, instead of the tool's summary (e.g. next steps as crdb-tls commands). */
  render?: (output: Record<string, unknown>) => string;
}

const onTerminal = () => Boolean(process.stdin.isTTY && process.stderr.isTTY);

/** Runs one tool for a CLI verb: prints its summary (or exactly its structured output with --json) and returns the exit code. */
export async function invokeTool(loading: ToolDefinition | Promise<ToolDefinition>, input: Record<string, unknown>, runtime: Runtime, options: InvokeOptions): Promise<number> {
  const tool = await loading;
  const askPerson = options.yes ? async () => 'accept' as const : onTerminal() ? askOnTerminal : undefined;
  const ctx: ToolContext = {
    config: runtime.config,
    paths: runtime.paths,
    log: runtime.log,
    store: runtime.runner.store,
    requester: os.userInfo().username,
    ...(process.stdin.isTTY ? { promptSecret: promptHidden } : {}),
    ...(askPerson ? { askPerson, askPersonChannel: options.yes ? ('cli_yes' as const) : ('cli_prompt' as const) } : {}),
    progress: (message: string) => writeErr(`crdb-tls: ${message}\n`),
  };
  const stop = stopOnSignals();
  ctx.signal = stop.signal;
  const outcome = await runtime.runner.run(tool, input, ctx).finally(stop.dispose);
  if (!outcome.ok) {
    const { code, message, hint } = outcome.error;
    await logsWritten();
    writeErr(`crdb-tls: ${message}${hint ? ` — ${hint}` : ''}\n`);
    if (options.json) writeJson({ error: outcome.error });
    if (code === 'cancelled') return stop.exitCode();
    return code === 'invalid_input' || code === 'input_too_large' ? EXIT_USAGE : EXIT_FAILED;
  }
  const { output } = outcome;
  if (output.status === 'confirmation_required') {
    // No terminal to ask and no --yes: refuse, and show what would have happened.
    const confirmation = output.confirmation as { severity: string; impact: string; changes: string[]; rollback: string };
    writeErr(
      `crdb-tls: not done: this ${confirmation.severity}-severity change needs confirmation; re-run with --yes to confirm (or --dry-run to only look)\n` +
        `  Impact:   ${confirmation.impact}\n  Changes:  ${confirmation.changes.join('; ')}\n  Rollback: ${confirmation.rollback}\n`,
    );
    if (options.json) writeJson(output);
    return EXIT_FAILED;
  }
  if (output.status === 'refused') {
    writeErr(`crdb-tls: ${outcome.text}\n`);
    if (options.json) writeJson(output);
    return EXIT_FAILED;
  }
  if (options.json) writeJson(output);
  else writeOut((options.render ? options.render(output) : outcome.text) + '\n');
  return options.exitCodeOf?.(output) ?? EXIT_OK;
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

/** The signal behind an exit code of 128 + its number, for the signals the CLI stops on. */
export function signalOfExitCode(code: number): keyof typeof SIGNAL_NUMBERS | undefined {
  return (Object.keys(SIGNAL_NUMBERS) as Array<keyof typeof SIGNAL_NUMBERS>).find((name) => 128 + SIGNAL_NUMBERS[name] === code);
}

/**
 * The first Ctrl-C (or SIGTERM) asks the running tool to stop, so staged files are removed and the
 * audit trail records the end of the call; a second one quits at once.
 */
function stopOnSignals(): { signal: AbortSignal; dispose: () => void; exitCode: () => number } {
  const controller = new AbortController();
  let received: keyof typeof SIGNAL_NUMBERS = 'SIGINT';
  const onSignal = (name: keyof typeof SIGNAL_NUMBERS) => {
    if (controller.signal.aborted) {
      // Quit at once: with no listener left the signal's default action ends the process.
      process.removeAllListeners(name);
      process.kill(process.pid, name);
      return;
    }
    received = name;
    writeErr(`crdb-tls: ${name === 'SIGINT' ? 'interrupted' : 'terminated'}; stopping (again to quit at once)\n`);
    controller.abort(new Error(`stopped by ${name}`));
  };
  const listeners = Object.keys(SIGNAL_NUMBERS).map((name) => {
    const listener = () => onSignal(name as keyof typeof SIGNAL_NUMBERS);
    process.on(name, listener);
    return [name, listener] as const;
  });
  return {
    signal: controller.signal,
    dispose: () => listeners.forEach(([name, listener]) => process.off(name, listener)),
    exitCode: () => 128 + SIGNAL_NUMBERS[received],
  };
}
