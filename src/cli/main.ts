import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { catalog, findTool } from '../../tools/catalog.js';
import { loadConfig } from '../core/config.js';
import { createLogger } from '../core/log.js';
import { certCommands } from './cert-commands.js';
import { EXIT_OK, EXIT_USAGE } from './invoke.js';

function toolByName(name: string) {
  const tool = findTool(name);
  if (!tool) throw new Error(`no tool ${name} in the catalog`);
  return tool;
}

/** The single `crdb-tls` entry point: CLI verbs, and `mcp` to serve the catalog over stdio. */
export async function main(argv: string[]): Promise<number> {
  const log = createLogger();
  let exitCode = EXIT_OK;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const program = new Command('crdb-tls')
    .description('CockroachDB TLS made painless: certificates, diagnosis and rotation')
    .version(packageJson.version, '-v, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // One line that says what was wrong and where to look, instead of commander's two.
      outputError: (message, write) => write(`crdb-tls: ${message.replace(/^error: /, '').trim()} (see --help)\n`),
    });

  program.addCommand(certCommands(toolByName, { config: loadConfig('cli'), log }, setExit));
  program
    .command('mcp')
    .description('serve the tool catalog to an MCP client over stdio (stdout is the protocol; logs go to stderr)')
    .action(async () => {
      const { serveStdio } = await import('../mcp/stdio.js');
      await serveStdio({ catalog, config: loadConfig('mcp'), log, version: packageJson.version });
    });

  // Every subcommand exits through exitOverride so that commander's codes map onto ours.
  const override = (command: Command) => {
    command.exitOverride().configureOutput(program.configureOutput()).showSuggestionAfterError(true);
    command.commands.forEach(override);
  };
  program.commands.forEach(override);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      const benign = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code);
      return benign ? EXIT_OK : EXIT_USAGE;
    }
    log.error({ err: error }, 'unexpected failure');
    process.stderr.write(`crdb-tls: internal error: ${(error as Error).message} — this is a bug; run with CRDB_TLS_LOG_LEVEL=debug for details\n`);
    return 1;
  }
  return exitCode;
}
