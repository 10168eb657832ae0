import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { findEntry, lazyCatalog } from '../../tools/lazy-catalog.js';
import { ToolError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import type { Runtime } from '../core/runtime.js';
import { certCommands } from './cert-commands.js';
import { configCommand } from './config-command.js';
import { confirmCommand } from './confirm-command.js';
import { changefeedCommands } from './changefeed-commands.js';
import { cloudCommands } from './cloud-commands.js';
import { diagnoseCommands } from './diagnose-commands.js';
import { netCommands } from './net-commands.js';
import { rotateCommands } from './rotate-commands.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, invokeTool } from './invoke.js';
import { slackCommand } from './slack-command.js';
import { mcpCommand } from './mcp-command.js';
import { printable } from '../core/unicode.js';
import { writeErr } from './terminal.js';

/** A tool by name, loaded on its first call (its chunk of the bundle, its zod schemas, its domain code). */
function toolByName(name: string) {
  const entry = findEntry(name);
  if (!entry) throw new Error(`no tool ${name} in the catalog`);
  return entry.load();
}

/** The single `crdb-tls` entry point: CLI verbs, and `mcp` to serve the catalog over stdio. */
export async function main(argv: string[]): Promise<number> {
  const log = createLogger();
  let exitCode = EXIT_OK;
  const setExit = (code: number) => {
    exitCode = code;
  };
  // Opened on first use, so that --help and usage errors never touch the state dir or a database.
  let runtime: Promise<Runtime> | undefined;
  const cliRuntime = () => (runtime ??= import('../core/runtime.js').then(({ createRuntime }) => createRuntime('cli', process.env, log)));
  const program = new Command('crdb-tls')
    .description('CockroachDB TLS made painless: certificates, diagnosis and rotation')
    .version(packageJson.version, '-v, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // One line that says what was wrong and where to look, instead of commander's two.
      outputError: (message, write) => write(printable(`crdb-tls: ${message.replace(/^error: /, '').trim()} (see --help)\n`)),
    });

  const add = (...commands: Command[]) => commands.forEach((command) => program.addCommand(command));
  // Each top-level verb and how to build it, in the order help lists them.
  const verbs: Array<[readonly string[], () => void]> = [
    [['cert'], () => add(certCommands(toolByName, cliRuntime, setExit))],
    [['changefeed-uri'], () => add(changefeedCommands(toolByName, cliRuntime, setExit))],
    [['cloud'], () => add(cloudCommands(toolByName, cliRuntime, setExit))],
    [['diagnose', 'connection-string'], () => add(...diagnoseCommands(toolByName, cliRuntime, setExit))],
    [['probe', 'test-connection'], () => add(...netCommands(toolByName, cliRuntime, setExit))],
    [['rotate'], () => add(rotateCommands(toolByName, cliRuntime, setExit))],
    [['audit'], () => {
      program
        .command('audit')
        .description('show recent gated actions: who asked, who confirmed, what happened')
        .option('--limit <n>', 'how many events', (value) => Number(value))
        .option('--tool <name>', 'only events of this tool')
        .option('--json', 'print the structured result as JSON')
        .action(async (options: { limit?: number; tool?: string; json?: boolean }) =>
          setExit(await invokeTool(toolByName('audit_log'), { ...(options.limit !== undefined ? { limit: options.limit } : {}), ...(options.tool ? { tool: options.tool } : {}) }, await cliRuntime(), { json: Boolean(options.json) })));
    }],
    [['confirm'], () => add(confirmCommand(cliRuntime, setExit))],
    [['mcp'], () => add(mcpCommand(log, packageJson.version))],
    [['slack'], () => add(slackCommand(log))],
    [['config'], () => add(configCommand(lazyCatalog, setExit))],
  ];
  // A run that names its verb first builds that verb alone (start-up: an IDE spawning `mcp`, a
  // script running `diagnose`); anything else (--help, `help`, a top-level option, a typo) builds
  // every verb, so that help and suggestions see them all.
  const named = verbs.find(([names]) => names.includes(argv[0] ?? ''));
  for (const [, build] of named ? [named] : verbs) build();

  // Every subcommand exits through exitOverride so that commander's codes map onto ours.
  const override = (command: Command) => {
    command.exitOverride().configureOutput(program.configureOutput()).showSuggestionAfterError(true);
    command.commands.forEach(override);
  };
  program.commands.forEach(override);

  try {
    await program.parseAsync(argv, { from: 'user' });
    if (runtime) await (await runtime).close();
  } catch (error) {
    if (error instanceof CommanderError) {
      const benign = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code);
      return benign ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof ToolError) {
      writeErr(`crdb-tls: ${error.message}${error.hint ? ` — ${error.hint}` : ''}\n`);
      return error.code === 'invalid_input' ? EXIT_USAGE : EXIT_FAILED;
    }
    log.error({ err: error }, 'unexpected failure');
    writeErr(`crdb-tls: internal error: ${(error as Error).message} — this is a bug; run with CRDB_TLS_LOG_LEVEL=debug for details\n`);
    return 1;
  }
  return exitCode;
}
