import * as z from 'zod';
import { ToolError, fileSystemError } from '../src/core/errors.js';
import { readBoundedFile } from '../src/core/read-file.js';
import { defineTool, type ToolContext } from '../src/core/tool.js';
import { assessCreateClient, assessSignCsr, createClientCert, signClientCsr } from '../src/pki/create-leaf.js';
import { LEAF_LIFETIME, caKeyField, certsDirField, keySizeField, lifetimeField, lifetimeMs, overwriteField, resolveCaKey, resolveCertsDir } from './inputs.js';
import { LeafOutput, summarizeLeaf } from './leaf-output.js';

const Input = z.object({
  user: z.string().optional().describe('SQL user name (case-folded like CockroachDB: Alice → alice). With csr it may be left out (the user is the CSR\'s CN); when given, the CSR\'s CN must be this user'),
  certs_dir: certsDirField,
  ca_key: caKeyField,
  key_size: keySizeField,
  lifetime: lifetimeField(LEAF_LIFETIME),
  overwrite: overwriteField,
  also_generate_pkcs8_key: z.boolean().default(false).describe('Also write client.USER.key.pk8 (PKCS#8 DER) for Java / pgJDBC'),
  also_generate_pkcs12: z.boolean().default(false).describe('Also write client.USER.p12 for DBeaver, Java keystores and .NET'),
  p12_password_file: z.string().optional().describe('File holding the PKCS#12 password (first line)'),
  tenant_scope: z.array(z.string()).default([]).describe('Tenant IDs the certificate is limited to (none: every tenant)'),
  csr: z.string().optional().describe('Sign this CSR file instead of generating a key: the private key stays with its owner'),
  out: z.string().optional().describe('Where to write the certificate signed from csr'),
});
type Input = z.infer<typeof Input>;

async function p12Password(input: Input, ctx: ToolContext): Promise<string | undefined> {
  if (!input.also_generate_pkcs12) return undefined;
  if (input.p12_password_file) {
    const file = ctx.paths.resolve(input.p12_password_file, 'p12 password file');
    const text = (await readBoundedFile(file, 'p12 password file', { allowPipe: true }).catch((error) => { throw fileSystemError(error, file, 'read'); })).toString('utf8');
    const password = text.split(/\r?\n/)[0] ?? '';
    if (!password) throw new ToolError('invalid_input', `p12 password file ${file} is empty`, 'Put the password on its first line.');
    return password;
  }
  if (ctx.promptSecret) return ctx.promptSecret('Password for the PKCS#12 file: ');
  throw new ToolError('invalid_input', 'a password for the PKCS#12 file is needed', 'Pass --p12-password-file (p12_password_file) naming a file that holds it.');
}

async function plan(input: Input, ctx: ToolContext, withSecrets: boolean) {
  const certsDir = resolveCertsDir(input.certs_dir, ctx);
  const common = { certsDir, caKeyPath: resolveCaKey(input.ca_key, ctx), lifetimeMs: lifetimeMs(input.lifetime), overwrite: input.overwrite, tenantScopes: input.tenant_scope, watch: { signal: ctx.signal, progress: ctx.progress }, insideRoots: ctx.paths.insideRootsCheck };
  if (input.csr !== undefined) {
    if (!input.out) throw new ToolError('invalid_input', 'signing a CSR needs an output file', 'Pass --out FILE (out) for the signed certificate.');
    if (input.also_generate_pkcs8_key || input.also_generate_pkcs12) throw new ToolError('invalid_input', 'key formats cannot be produced from a CSR', 'The key stays with the CSR\'s owner; they convert it themselves.');
    return { kind: 'csr' as const, options: { ...common, user: input.user, csrPath: ctx.paths.resolve(input.csr, 'CSR'), outPath: ctx.paths.resolve(input.out, 'output file') } };
  }
  if (!input.user) throw new ToolError('invalid_input', 'the SQL user name is required', 'Pass the user, e.g. crdb-tls cert create-client alice, or a CSR with --csr.');
  const password = withSecrets ? await p12Password(input, ctx) : input.also_generate_pkcs12 ? '' : undefined;
  return { kind: 'key' as const, options: { ...common, user: input.user, keySize: input.key_size, pkcs8: input.also_generate_pkcs8_key, ...(password !== undefined ? { pkcs12Password: password } : {}) } };
}

export default defineTool({
  name: 'create_client_cert',
  title: 'Create a CockroachDB client certificate',
  description:
    'Creates client.USER.crt and client.USER.key (CN = the SQL user, clientAuth) like `cockroach cert create-client`, signed by ca-client.crt when present, else ca.crt. ' +
    'Optional PKCS#8 DER key for Java and PKCS#12 for DBeaver/.NET. With csr + out it signs a certificate request instead, so the private key never leaves its owner. ' +
    'With csr, the certificate is for the CSR\'s CN: a user given too must match it, or nothing is signed. Certificates for root, admin or node (the node identity) are high severity. Example: { "user": "alice", "certs_dir": "certs", "ca_key": "my-safe-directory/ca.key" }',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  effects: 'writes-files',
  input: Input,
  output: LeafOutput,
  async assess(input, ctx) {
    const planned = await plan(input, ctx, false);
    return planned.kind === 'csr' ? assessSignCsr(planned.options) : assessCreateClient(planned.options);
  },
  async run(input, ctx) {
    const planned = await plan(input, ctx, true);
    return planned.kind === 'csr' ? signClientCsr(planned.options) : createClientCert(planned.options);
  },
  summary: summarizeLeaf,
});
