import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { loadTool } from '../../tools/tool-loaders.js';
import { ToolError } from '../core/errors.js';
import { createLogger, logsWritten } from '../core/log.js';
import type { Runtime } from '../core/runtime.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, invokeTool } from './invoke.js';
import { printable } from '../core/unicode.js';
import { writeErr } from './terminal.js';

/** A tool by name, loaded on its first call (its chunk of the bundle, its zod schemas, its domain code). */
function toolByName(name: string) {
  const loading = loadTool(name);
  if (!loading) throw new Error(`no tool ${name} in the catalog`);
  return loading;
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
  // Each top-level verb: its module, loaded only when the verb is built (start-up: `diagnose` never
  // compiles the rotation commands, `mcp` never loads readline or child_process for `confirm`),
  // then how to build it from that module; in the order help lists them.
  const verb = <M>(names: readonly string[], load: () => Promise<M>, build: (module: M) => void) => ({
    names,
    /** Loads the module; resolves with the verb's builder. */
    prepare: async () => {
      const module = await load();
      return () => build(module);
    },
  });
  const noModule = async () => undefined;
  const verbs = [
    verb(['cert'], () => import('./cert-commands.js'), (m) => add(m.certCommands(toolByName, cliRuntime, setExit))),
    verb(['changefeed-uri'], () => import('./changefeed-commands.js'), (m) => add(m.changefeedCommands(toolByName, cliRuntime, setExit))),
    verb(['cloud'], () => import('./cloud-commands.js'), (m) => add(m.cloudCommands(toolByName, cliRuntime, setExit))),
    verb(['diagnose', 'connection-string'], () => import('./diagnose-commands.js'), (m) => add(...m.diagnoseCommands(toolByName, cliRuntime, setExit))),
    verb(['probe', 'test-connection'], () => import('./net-commands.js'), (m) => add(...m.netCommands(toolByName, cliRuntime, setExit))),
    verb(['rotate'], () => import('./rotate-commands.js'), (m) => add(m.rotateCommands(toolByName, cliRuntime, setExit))),
    verb(['audit'], noModule, () => {
      program
        .command('audit')
        .description('show recent gated actions: who asked, who confirmed, what happened')
        .option('--limit <n>', 'how many events', (value) => Number(value))
        .option('--tool <name>', 'only events of this tool')
        .option('--json', 'print the structured result as JSON')
        .action(async (options: { limit?: number; tool?: string; json?: boolean }) =>
          setExit(await invokeTool(toolByName('audit_log'), { ...(options.limit !== undefined ? { limit: options.limit } : {}), ...(options.tool ? { tool: options.tool } : {}) }, await cliRuntime(), { json: Boolean(options.json) })));
    }),
    verb(['confirm'], () => import('./confirm-command.js'), (m) => add(m.confirmCommand(cliRuntime, setExit))),
    verb(['mcp'], () => import('./mcp-command.js'), (m) => add(m.mcpCommand(log, packageJson.version))),
    verb(['slack'], () => import('./slack-command.js'), (m) => add(m.slackCommand(log))),
    verb(['config'], () => Promise.all([import('./config-command.js'), import('../../tools/lazy-catalog.js')]), ([m, { lazyCatalog }]) => add(m.configCommand(lazyCatalog, setExit))),
  ];
  // A run that names its verb first builds that verb alone (start-up: an IDE spawning `mcp`, a
  // script running `diagnose`); anything else (--help, `help`, a top-level option, a typo) builds
  // every verb, so that help and suggestions see them all: modules loaded together, verbs added in order.
  const named = verbs.find(({ names }) => names.includes(argv[0] ?? ''));
  const chosen = named ? [named] : verbs;
  for (const build of await Promise.all(chosen.map((v) => v.prepare()))) build();

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
    // The last line a person reads is why the command stopped: lines logged before it (pino loads
    // on the first one, src/core/log.ts) are written first.
    await logsWritten();
    if (error instanceof ToolError) {
      writeErr(`crdb-tls: ${error.message}${error.hint ? ` — ${error.hint}` : ''}\n`);
      return error.code === 'invalid_input' ? EXIT_USAGE : EXIT_FAILED;
    }
    log.error({ err: error }, 'unexpected failure');
    await logsWritten();
    writeErr(`crdb-tls: internal error: ${(error as Error).message} — this is a bug; run with CRDB_TLS_LOG_LEVEL=debug for details\n`);
    return 1;
  }
  return exitCode;
}
