import { Command, InvalidArgumentError } from 'commander';
import type { Runtime } from '../core/runtime.js';
import type { ToolDefinition } from '../core/tool.js';
import { parseDuration } from '../pki/duration.js';
import { invokeTool } from './invoke.js';

/** A tool by name, loaded on first use. */
type Lookup = (name: string) => Promise<ToolDefinition>;
type Options = Record<string, unknown>;

const defined = (record: Options) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
const repeated = (value: string, previous: string[] = []) => [...previous, value];
/** `--timeout 10m` / `90s` / `600` (seconds) → whole seconds. */
const seconds = (value: string) => {
  try {
    return /^\d+$/.test(value) ? Number(value) : Math.ceil(parseDuration(value, '--timeout') / 1000);
  } catch {
    throw new InvalidArgumentError('expected a duration such as 10m, 90s or 600.');
  }
};

function gated(command: Command): Command {
  return command
    .option('--dry-run', 'only show what would change, and its severity; change nothing')
    .option('--yes', 'confirm a change that needs confirmation without asking (for scripts)')
    .option('--json', 'print the structured result as JSON');
}

/**
 * `crdb-tls cloud ...`: CockroachDB Cloud through its API. The Client CA verbs are what
 * `ccloud cluster networking client-ca-cert get|set|update|delete` do (reference §4.2; there is
 * no `ccloud cluster cert set-client-ca`), with set choosing POST or PATCH by itself.
 */
export function cloudCommands(tool: Lookup, runtime: () => Promise<Runtime>, setExit: (code: number) => void): Command {
  const cloud = new Command('cloud').description('CockroachDB Cloud: download a cluster\'s CA, manage its Client CA (COCKROACH_API_KEY, COCKROACH_SERVER)');
  const run = async (name: string, input: Options, options: Options) =>
    setExit(await invokeTool(tool(name), input, await runtime(), { json: Boolean(options.json), yes: Boolean(options.yes) }));

  const ca = new Command('ca').description('the CA certificate that signs the cluster\'s server certificates');
  ca.addCommand(gated(new Command('download'))
    .description('save the cluster CA where libpq looks (~/.postgresql/root.crt), appending to an existing file')
    .argument('<cluster-id>', 'the cluster ID (UUID in the Cloud Console URL)')
    .option('--out <file>', 'save here instead of ~/.postgresql/root.crt')
    .option('--replace', 'replace the file instead of appending (drops every CA it holds now)')
    .action((clusterId: string, options: Options) =>
      run('download_ca', defined({ cluster_id: clusterId, out: options.out, replace: options.replace, dry_run: options.dryRun }), options)));
  cloud.addCommand(ca);

  const clientCa = new Command('client-ca').description('the CA(s) the cluster trusts for SQL client certificates (Advanced clusters)');
  clientCa.addCommand(new Command('get')
    .description('show the Client CA and its status (NOT_SET, PENDING, IS_SET, FAILED)')
    .argument('<cluster-id>', 'the cluster ID (UUID in the Cloud Console URL)')
    .option('--json', 'print the structured result as JSON')
    .action((clusterId: string, options: Options) => run('get_client_ca', { cluster_id: clusterId }, options)));
  clientCa.addCommand(gated(new Command('set'))
    .description('upload the Client CA bundle (POST the first time, PATCH after) and wait until it is IS_SET')
    .argument('<cluster-id>', 'the cluster ID (UUID in the Cloud Console URL)')
    .requiredOption('--cert-file <file>', 'PEM file with the CA certificate(s) to trust')
    .option('--verify-client-cert <file>', 'a client certificate that must keep working (repeatable): warns if the bundle would not verify it', repeated)
    .option('--timeout <duration>', 'how long to wait for the change to settle (default 10m)', seconds)
    .action((clusterId: string, options: Options) =>
      run('set_client_ca', defined({ cluster_id: clusterId, cert_file: options.certFile, verify_client_certs: options.verifyClientCert, timeout_seconds: options.timeout, dry_run: options.dryRun }), options)));
  clientCa.addCommand(gated(new Command('remove'))
    .description('remove the Client CA and wait until it is NOT_SET (certificate logins stop working)')
    .argument('<cluster-id>', 'the cluster ID (UUID in the Cloud Console URL)')
    .option('--timeout <duration>', 'how long to wait for the change to settle (default 10m)', seconds)
    .action((clusterId: string, options: Options) =>
      run('remove_client_ca', defined({ cluster_id: clusterId, timeout_seconds: options.timeout, dry_run: options.dryRun }), options)));
  cloud.addCommand(clientCa);
  return cloud;
}
