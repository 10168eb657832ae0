import { Command, InvalidArgumentError } from 'commander';
import { ToolError } from '../core/errors.js';
import { MAX_PASTED_TEXT } from '../core/read-file.js';
import type { Runtime } from '../core/runtime.js';
import type { ToolDefinition } from '../core/tool.js';
import { EXIT_FAILED, EXIT_OK, invokeTool } from './invoke.js';
import { readStdin } from './stdin.js';
import { writeErr } from './terminal.js';

/** A tool by name, loaded on first use. */
type Lookup = (name: string) => Promise<ToolDefinition>;
type Options = Record<string, unknown>;

function splitKeyValue(flag: string, value: string, allowBare: boolean): [string, string] {
  const eq = value.indexOf('=');
  // A ToolError rather than commander's InvalidArgumentError, whose message repeats the argument:
  // a malformed --param may well hold a password.
  if (eq === 0 || (eq < 0 && !allowBare)) throw new ToolError('invalid_input', `${flag} expects name=value`, `For example ${flag} topic_name=orders; the value is percent-encoded for you.`);
  return eq < 0 ? [value, ''] : [value.slice(0, eq), value.slice(eq + 1)];
}

/** `--param k=v --param k=v2` → { k: ["v", "v2"] }; the value may hold any character, including '='. */
const param = (value: string, previous: Record<string, string | string[]> = {}) => {
  const [name, given] = splitKeyValue('--param', value, false);
  const before = previous[name];
  return { ...previous, [name]: before === undefined ? given : [...(Array.isArray(before) ? before : [before]), given] };
};

/** `--option updated --option resolved=10s` → { updated: "", resolved: "10s" }; each option once. */
const option = (value: string, previous: Record<string, string> = {}) => {
  const [name, given] = splitKeyValue('--option', value, true);
  if (name in previous) throw new InvalidArgumentError(`option ${name} is given more than once.`);
  return { ...previous, [name]: given };
};
const repeated = (value: string, previous: string[] = []) => [...previous, value];

const defined = (record: Options) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));

/** `crdb-tls changefeed-uri encode|decode`: changefeed sink URIs with TLS material. */
export function changefeedCommands(tool: Lookup, runtime: () => Promise<Runtime>, setExit: (code: number) => void): Command {
  const group = new Command('changefeed-uri').description('build and explain CockroachDB changefeed sink URIs (Kafka, webhook, schema registry) with TLS certificates');

  group.addCommand(new Command('encode')
    .description('build a kafka:// or webhook-https:// sink URI with the CA, client certificate and key embedded as CockroachDB decodes them, checked first; prints the URI redacted unless --reveal')
    .requiredOption('--sink <url>', 'kafka://host:port, or https://host/path (webhook)')
    .option('--ca <file>', 'CA certificate of the broker or endpoint (PEM or DER file, or PEM text)')
    .option('--cert <file>', 'client certificate for mutual TLS')
    .option('--key <file>', 'unencrypted private key of the client certificate')
    .option('--param <name=value>', 'another sink query parameter, given raw (repeatable): topic_name=orders, sasl_password=...', param)
    .option('--schema-registry <url>', 'Confluent schema registry URL (https://host:8081)')
    .option('--registry-ca <file>', 'CA certificate of the schema registry')
    .option('--registry-cert <file>', 'client certificate for the schema registry')
    .option('--registry-key <file>', 'key of the schema registry client certificate')
    .option('--table <name>', 'table to watch (repeatable); given, the CREATE CHANGEFEED statement is printed', repeated)
    .option('--option <name[=value]>', 'WITH option (repeatable): updated, resolved=10s, format=avro', option)
    .option('--reveal', 'print the full URI and statement, which hold the private key or password')
    .option('--reveal-to <file>', 'with --reveal: write them to this new 0600 file instead of printing them')
    .option('--json', 'print the structured result as JSON')
    .action(async (options: Options) => {
      const input = defined({
        sink: options.sink, ca: options.ca, cert: options.cert, key: options.key, params: options.param,
        schema_registry: options.schemaRegistry, registry_ca: options.registryCa, registry_cert: options.registryCert, registry_key: options.registryKey,
        tables: options.table, options: options.option, reveal: options.reveal === true ? true : undefined,
        reveal_to: options.revealTo,
      });
      const exitCodeOf = (output: Record<string, unknown>) => {
        if (output.encoded === true) return EXIT_OK;
        // The report is on stdout; say on stderr (one line) why there is no URI, for when stdout is captured.
        const codes = (output.problems as Array<{ level: string; code: string }>).filter((p) => p.level === 'error').map((p) => p.code);
        writeErr(`crdb-tls: not encoded: ${codes.join(', ')} — fix ${codes.length === 1 ? 'it' : 'them'} first (see the report)\n`);
        return EXIT_FAILED;
      };
      setExit(await invokeTool(tool('encode_changefeed_uri'), input, await runtime(), { json: Boolean(options.json), exitCodeOf }));
    }));

  group.addCommand(new Command('decode')
    .description('explain a sink URI or a whole CREATE CHANGEFEED statement: parameters, certificates, key, and every mistake with its fix; exits 1 when there is an error')
    .argument('[uri]', 'the sink URI or the statement (quote it for the shell), or - to read it from stdin; with no argument and a pipe, stdin is read')
    .option('--json', 'print the structured result as JSON')
    .addHelpText('after', '\nA URI with a key or password in it lands in shell history and in ps on the command line; pipe it in instead:\n  pbpaste | crdb-tls changefeed-uri decode -')
    .action(async (argument: string | undefined, options: Options, command: Command) => {
      let uri: string;
      if (argument !== undefined && argument !== '-') uri = argument;
      else if (argument === '-' || !process.stdin.isTTY) {
        // Only the newline that ends the paste is dropped: breaks inside the URI are what decode looks for.
        uri = (await readStdin(MAX_PASTED_TEXT)).replace(/[\r\n]+$/, '');
      } else {
        command.error('decode needs the URI or statement: give it as an argument (quoted), or pipe it in: ... | crdb-tls changefeed-uri decode -', { exitCode: 2, code: 'crdb-tls.missingUri' });
      }
      if (uri.trim() === '') command.error('decode got an empty URI (stdin was empty): give it as an argument or pipe it in', { exitCode: 2, code: 'crdb-tls.emptyUri' });
      setExit(await invokeTool(tool('decode_changefeed_uri'), { uri }, await runtime(), { json: Boolean(options.json), exitCodeOf: (output) => (output.ok === true ? EXIT_OK : EXIT_FAILED) }));
    }));

  return group;
}
