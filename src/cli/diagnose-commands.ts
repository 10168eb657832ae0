import { Command, InvalidArgumentError, Option } from 'commander';
import type { Runtime } from '../core/runtime.js';
import type { ToolDefinition } from '../core/tool.js';
import type { Diagnosis } from '../diagnose/schema.js';
import { choicesOf } from './choices.js';
import { cliNextStep } from './next-steps.js';
import { invokeTool } from './invoke.js';
import { errorTextOf } from './stdin.js';

/** A tool by name, loaded on first use. */
type Lookup = (name: string) => Promise<ToolDefinition>;
type Options = Record<string, unknown>;

const defined = (record: Options) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));

const port = (value: string) => {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new InvalidArgumentError('expected a port number (1-65535).');
  return Number(value);
};

/** `crdb-tls diagnose` and `crdb-tls connection-string`: the diagnosis verbs. */
export function diagnoseCommands(tool: Lookup, runtime: () => Promise<Runtime>, setExit: (code: number) => void): Command[] {
  const diagnose = new Command('diagnose')
    .description('explain a TLS / connection error text and say exactly what to change for your client')
    .argument('[text...]', 'the error text (quote it), or - to read it from stdin; with no text and a pipe, stdin is read')
    .addOption(new Option('--client <client>', 'the client that printed it (detected from the text otherwise)').choices(choicesOf('diagnose_error', 'client')))
    .option('--connection-string <settings>', 'the connection settings used (URL, key=value or .NET form; the password is never shown)')
    .addOption(new Option('--deployment <kind>', 'where the cluster runs').choices(choicesOf('diagnose_error', 'deployment')))
    .option('--json', 'print the structured diagnosis as JSON')
    .addHelpText('after', '\nExamples:\n  crdb-tls diagnose "x509: certificate signed by unknown authority" --client go-pgx\n  kubectl logs deploy/api | crdb-tls diagnose --json\n  pbpaste | crdb-tls diagnose - --connection-string "$DATABASE_URL"\n\nExit codes: 0 diagnosed (also when the code is unknown), 1 failed, 2 bad usage or input (e.g. text over 1 MiB).')
    .action(async (text: string[], options: Options, command: Command) => {
      // The diagnosis code loads only now, with the tool (the bundle keeps it out of start-up).
      const [{ MAX_ERROR_TEXT_BYTES }, { renderDiagnosis }] = await Promise.all([import('../diagnose/limits.js'), import('../diagnose/text.js')]);
      const errorText = await errorTextOf(text, MAX_ERROR_TEXT_BYTES);
      if (errorText === undefined) {
        command.error('diagnose needs the error text: give it as an argument (quoted), or pipe it in: ... | crdb-tls diagnose -', { exitCode: 2, code: 'crdb-tls.missingText' });
      }
      if (errorText.trim() === '') {
        command.error('diagnose got no error text (stdin was empty): give the text as an argument or pipe it in', { exitCode: 2, code: 'crdb-tls.emptyText' });
      }
      setExit(await invokeTool(tool('diagnose_error'), defined({
        error_text: errorText,
        client: options.client,
        connection_string: options.connectionString,
        deployment: options.deployment,
      }), await runtime(), { json: Boolean(options.json), render: (output) => renderDiagnosis(output as unknown as Diagnosis, { nextStep: cliNextStep }) }));
    });

  const connectionString = new Command('connection-string')
    .description('print correct verify-full TLS connection settings for a client (self-hosted or CockroachDB Cloud)')
    .addOption(new Option('--client <client>', 'the client or driver').choices(choicesOf('connection_string', 'client')).makeOptionMandatory())
    .requiredOption('--host <host>', 'host name the client dials (a name in the node certificate)')
    .option('--port <port>', 'SQL port (default 26257)', port)
    .option('--user <user>', 'SQL user (default: from client.USER.crt, else root)')
    .option('--database <name>', 'database (default defaultdb)')
    .option('--ca <file>', 'CA certificate that signed the node certificates')
    .option('--cert <file>', 'client certificate (needs --key)')
    .option('--key <file>', 'client private key, PEM as CockroachDB writes it (needs --cert)')
    .option('--cluster <routing-id>', 'CockroachDB Cloud routing id (<cluster-name>-<tenant id>), for clients without SNI')
    .addOption(new Option('--deployment <kind>', 'cloud or self-hosted (default: cloud for *.cockroachlabs.cloud or with --cluster)').choices(choicesOf('connection_string', 'deployment')))
    .option('--json', 'print the structured result as JSON')
    .action(async (options: Options) =>
      setExit(await invokeTool(tool('connection_string'), defined({
        client: options.client,
        host: options.host,
        port: options.port,
        user: options.user,
        database: options.database,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        cluster: options.cluster,
        deployment: options.deployment,
      }), await runtime(), { json: Boolean(options.json) })));

  return [diagnose, connectionString];
}
