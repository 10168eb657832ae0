import { Command, InvalidArgumentError, Option } from 'commander';
import type { Runtime } from '../core/runtime.js';
import type { ToolDefinition } from '../core/tool.js';
import { choicesOf } from './choices.js';
import { EXIT_FAILED, EXIT_OK, invokeTool } from './invoke.js';
import { readStdin } from './stdin.js';

/** test_connection's url limit: a longer one reaches the tool and is refused as too large. */
const MAX_URL_CHARS = 16_384;

/** A tool by name, loaded on first use. */
type Lookup = (name: string) => Promise<ToolDefinition>;
type Options = Record<string, unknown>;

const defined = (record: Options) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));

const milliseconds = (value: string) => {
  if (!/^\d{1,6}$/.test(value) || Number(value) < 100) throw new InvalidArgumentError('expected milliseconds (100 or more).');
  return Number(value);
};

const port = (value: string) => {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new InvalidArgumentError('expected a port number (1-65535).');
  return Number(value);
};

/** Exit 0 when the tool found nothing wrong, 1 when it found a fault (scripts and CI checks can rely on it). */
const okOrFault = (output: Record<string, unknown>) => (output.ok === true ? EXIT_OK : EXIT_FAILED);

const EXIT_HELP = '\n\nExit codes: 0 the server speaks TLS, the chain verifies against the CA, the host name matches and (with --cert) the client certificate is accepted; 1 a fault was found (the output names its diagnosis code and fix steps) or the probe failed; 2 bad usage.';

/** `crdb-tls probe` and `crdb-tls test-connection`: the network checks. */
export function netCommands(tool: Lookup, runtime: () => Promise<Runtime>, setExit: (code: number) => void): Command[] {
  const probe = new Command('probe')
    .description('probe a server\'s TLS like `openssl s_client -starttls postgres`: SSLRequest, handshake, chain, verification, host name, client certificate')
    .argument('<host[:port]>', 'the node or load balancer (port default 26257; [v6]:port for IPv6)')
    .option('--ca <file>', 'CA certificate to verify the server against (default: Node\'s bundled public CAs)')
    .option('--cert <file>', 'client certificate to present (needs --key)')
    .option('--key <file>', 'client private key (needs --cert)')
    .option('--servername <name>', 'SNI and the name checked against the certificate (default: the host)')
    .option('--user <user>', 'SQL user of the test login (default: the client certificate\'s CN, else root)')
    .option('--database <name>', 'database of the test login (default defaultdb)')
    .option('--timeout <ms>', 'budget for the whole probe (default 5000)', milliseconds)
    .option('--no-client-ca-names', 'skip reading the client-CA names (saves a second handshake under TLS 1.3)')
    .addOption(new Option('--client <client>', 'write the fix steps for this client').choices(choicesOf('probe_server', 'client')))
    .option('--json', 'print the structured report as JSON')
    .addHelpText('after', `\nExamples:\n  crdb-tls probe db.example.com --ca certs/ca.crt\n  crdb-tls probe 10.0.0.5:26257 --servername db.example.com --ca certs/ca.crt --cert certs/client.app.crt --key certs/client.app.key --json${EXIT_HELP}`)
    .action(async (target: string, options: Options, command: Command) => {
      const { splitHostPort } = await import('../connection/pasted-parts.js');
      const { host, port: parsedPort } = splitHostPort(target);
      if (!host || (target.trim().includes(':') && !target.trim().startsWith('[') && target.indexOf(':') === target.lastIndexOf(':') && parsedPort === null)) {
        command.error(`probe: ${JSON.stringify(target)} is not HOST or HOST:PORT (port 1-65535)`, { exitCode: 2, code: 'crdb-tls.badTarget' });
      }
      if (Boolean(options.cert) !== Boolean(options.key)) command.error('probe: --cert and --key go together', { exitCode: 2, code: 'crdb-tls.certKey' });
      setExit(await invokeTool(tool('probe_server'), defined({
        host,
        port: parsedPort ?? undefined,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        servername: options.servername,
        user: options.user,
        database: options.database,
        timeout_ms: options.timeout,
        client_ca_names: options.clientCaNames === false ? false : undefined,
        client: options.client,
      }), await runtime(), { json: Boolean(options.json), exitCodeOf: okOrFault }));
    });

  const testConnection = new Command('test-connection')
    .description('log in for real with node-postgres using the TLS settings of a connection URL, run SELECT version(), and diagnose a failure')
    .argument('<url>', 'connection URL or libpq keyword string (postgresql://user@host:26257/db?sslmode=verify-full&sslrootcert=...), or - to read it from stdin so that a password stays out of ps and the shell history; the password is never shown')
    .option('--host <host>', 'override the host')
    .option('--port <port>', 'override the port', port)
    .option('--user <user>', 'override the user')
    .option('--database <name>', 'override the database')
    .addOption(new Option('--sslmode <mode>', 'override sslmode (libpq meaning)').choices(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']))
    .option('--ca <file>', 'override sslrootcert')
    .option('--cert <file>', 'override sslcert')
    .option('--key <file>', 'override sslkey')
    .option('--timeout <ms>', 'budget for connecting and the query (default 10000)', milliseconds)
    .addOption(new Option('--client <client>', 'write the fix steps for this client').choices(choicesOf('test_connection', 'client')))
    .option('--json', 'print the structured report as JSON')
    .addHelpText('after', '\nExamples:\n  crdb-tls test-connection "postgresql://app@db.example.com:26257/defaultdb?sslmode=verify-full&sslrootcert=certs/ca.crt&sslcert=certs/client.app.crt&sslkey=certs/client.app.key"\n  crdb-tls test-connection - --json < url.txt    (the URL, with its password, read from stdin)\n\nPasswords: PGPASSWORD and ~/.pgpass are used on the CLI unless CRDB_TLS_PASSWORD_HOSTS is set (then only for those hosts); no password is sent over sslmode=disable, allow or prefer.\n\nExit codes: 0 logged in, 1 the login failed (the output names the diagnosis and the fix steps), 2 bad usage.')
    .action(async (given: string, options: Options, command: Command) => {
      const url = given === '-' ? (await readStdin(MAX_URL_CHARS)).replace(/[\r\n]+$/, '') : given;
      if (url.trim() === '') command.error('test-connection: no connection URL on stdin', { exitCode: 2, code: 'crdb-tls.noUrl' });
      setExit(await invokeTool(tool('test_connection'), defined({
        url,
        host: options.host,
        port: options.port,
        user: options.user,
        database: options.database,
        sslmode: options.sslmode,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        timeout_ms: options.timeout,
        client: options.client,
      }), await runtime(), { json: Boolean(options.json), exitCodeOf: okOrFault }));
    });

  return [probe, testConnection];
}
