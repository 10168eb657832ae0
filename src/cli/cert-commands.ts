import { Command, InvalidArgumentError } from 'commander';
import type { ToolDefinition } from '../core/tool.js';
import type { Runtime } from '../core/runtime.js';
import { EXIT_FAILED, EXIT_OK, invokeTool } from './invoke.js';

/** A tool by name, loaded on first use. */
type Lookup = (name: string) => Promise<ToolDefinition>;
type Options = Record<string, unknown>;

const integer = (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
};
/** `--tenant-scope 1,2 --tenant-scope 3` → ["1","2","3"], as cockroach takes a comma list. */
const commaList = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

/** Drops options the person did not give, so the tool's own defaults apply. */
const defined = (record: Options) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));

function signingOptions(command: Command, lifetime: string): Command {
  return command
    .option('--certs-dir <dir>', 'certs directory (default: $COCKROACH_CERTS_DIR or ~/.cockroach-certs)')
    .option('--ca-key <file>', 'CA private key (default: $COCKROACH_CA_KEY)')
    .option('--key-size <bits>', 'RSA key size', integer)
    .option('--lifetime <duration>', `certificate lifetime (default ${lifetime})`)
    .option('--overwrite', 'replace existing files')
    .option('--dry-run', 'only show what would change, and its severity; change nothing')
    .option('--yes', 'confirm a change that needs confirmation without asking (for scripts)')
    .option('--json', 'print the structured result as JSON');
}

function signingInput(options: Options): Options {
  return defined({ certs_dir: options.certsDir, ca_key: options.caKey, key_size: options.keySize, lifetime: options.lifetime, overwrite: options.overwrite, dry_run: options.dryRun });
}

/** `crdb-tls cert ...`: the verbs of `cockroach cert`, same flag names, plus --json. */
export function certCommands(tool: Lookup, runtime: () => Promise<Runtime>, setExit: (code: number) => void): Command {
  const cert = new Command('cert').description('create, list and inspect CockroachDB certificates (cockroach cert compatible)');
  const run = async (name: string, input: Options, options: Options, exitCodeOf?: (o: Options) => number) =>
    setExit(await invokeTool(tool(name), input, await runtime(), { json: Boolean(options.json), yes: Boolean(options.yes), ...(exitCodeOf ? { exitCodeOf } : {}) }));
  const add = (command: Command) => cert.addCommand(command);

  for (const [verb, toolName, what] of [['create-ca', 'create_ca', 'the cluster CA (ca.crt)'], ['create-client-ca', 'create_client_ca', 'a separate client CA (ca-client.crt)']] as const) {
    add(signingOptions(new Command(verb), '87840h')
      .description(`create ${what}; with --overwrite the new CA goes first and the old CAs are kept`)
      .option('--allow-ca-key-reuse', 'use the existing key at --ca-key instead of refusing')
      .action((options: Options) => run(toolName, { ...signingInput(options), ...defined({ allow_ca_key_reuse: options.allowCaKeyReuse }) }, options))
      );
  }

  add(signingOptions(new Command('create-node'), '43920h')
    .description('create node.crt/node.key for the given host names and IP addresses')
    .argument('<hosts...>', 'every DNS name and IP address the node is reached by')
    .action((hosts: string[], options: Options) => run('create_node_cert', { ...signingInput(options), hosts }, options))
    );

  add(signingOptions(new Command('create-client'), '43920h')
    .description('create client.USER.crt/.key for a SQL user, or sign a CSR with --csr FILE --out FILE')
    .argument('[user]', 'SQL user name (case-folded: Alice → alice)')
    .option('--also-generate-pkcs8-key', 'also write client.USER.key.pk8 (PKCS#8 DER, for Java)')
    .option('--also-generate-pkcs12', 'also write client.USER.p12 (for DBeaver, Java keystores, .NET)')
    .option('--p12-password-file <file>', 'file holding the PKCS#12 password (prompted on a terminal otherwise)')
    .option('--tenant-scope <ids>', 'tenant IDs the certificate is limited to (comma list)', commaList)
    .option('--csr <file>', 'sign this certificate signing request instead of generating a key')
    .option('--out <file>', 'where to write the certificate signed from --csr')
    .action((user: string | undefined, options: Options) =>
      run('create_client_cert', {
        ...signingInput(options),
        ...defined({
          user,
          also_generate_pkcs8_key: options.alsoGeneratePkcs8Key,
          also_generate_pkcs12: options.alsoGeneratePkcs12,
          p12_password_file: options.p12PasswordFile,
          tenant_scope: options.tenantScope,
          csr: options.csr,
          out: options.out,
        }),
      }, options))
    );

  add(new Command('list')
    .description('list the certificates of a certs dir with days left and problems found')
    .option('--certs-dir <dir>', 'certs directory (default: $COCKROACH_CERTS_DIR or ~/.cockroach-certs)')
    .option('--fail-within <duration>', 'exit 1 when a certificate expires within this time (e.g. 30d)')
    .option('--json', 'print the structured result as JSON')
    .action((options: Options) =>
      run('list_certs', defined({ certs_dir: options.certsDir, fail_within: options.failWithin }), options, (output) =>
        Array.isArray(output.expiring_within_threshold) && output.expiring_within_threshold.length > 0 ? EXIT_FAILED : EXIT_OK))
    );

  add(new Command('inspect')
    .description('show the fields, fingerprints and problems of a certificate file; verify it with --ca')
    .argument('<file>', 'PEM or DER certificate (or bundle)')
    .option('--ca <file>', 'CA certificate(s) to verify the chain against')
    .option('--json', 'print the structured result as JSON')
    .addHelpText('after', '\nExit codes: 0 shown (and, with --ca, the chain verifies); 1 the chain does not verify against --ca, or the file holds no certificate; 2 bad usage.')
    // Like `openssl verify`, a chain that does not verify is a failure a script can test for.
    .action((file: string, options: Options) =>
      run('inspect_certificate', defined({ certificate: file, ca: options.ca }), options, (output) => ((output.chain as { verified?: boolean } | null)?.verified === false ? EXIT_FAILED : EXIT_OK)))
    );

  return cert;
}
