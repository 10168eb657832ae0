import * as z from 'zod';
import { defineTool } from '../src/core/tool.js';
import { CertificateInfo } from '../src/pki/schemas.js';
import { assessCreateCa, createCa, type CreateCaOptions } from '../src/pki/create-ca.js';
import { CA_LIFETIME, caKeyField, certsDirField, keySizeField, lifetimeField, lifetimeMs, overwriteField, resolveCaKey, resolveCertsDir } from './inputs.js';
import type { ToolContext } from '../src/core/tool.js';

export const CaInput = z.object({
  certs_dir: certsDirField,
  ca_key: caKeyField,
  key_size: keySizeField,
  lifetime: lifetimeField(CA_LIFETIME),
  overwrite: overwriteField.describe('If ca.crt exists: put the new CA first and keep the old CAs after it (rotation)'),
  allow_ca_key_reuse: z.boolean().default(false).describe('Sign the new CA with the existing key at ca_key instead of refusing'),
});
export const CaOutput = z.object({
  certificate_file: z.string(),
  key_file: z.string(),
  key_reused: z.boolean(),
  bundle: z.array(CertificateInfo).describe('The bundle after the write: the new CA first'),
});

export function caOptions(kind: CreateCaOptions['kind'], input: z.infer<typeof CaInput>, ctx: ToolContext): CreateCaOptions {
  return {
    kind,
    certsDir: resolveCertsDir(input.certs_dir, ctx),
    caKeyPath: resolveCaKey(input.ca_key, ctx),
    keySize: input.key_size,
    lifetimeMs: lifetimeMs(input.lifetime),
    overwrite: input.overwrite,
    allowKeyReuse: input.allow_ca_key_reuse,
    watch: { signal: ctx.signal, progress: ctx.progress },
    insideRoots: ctx.paths.insideRootsCheck,
  };
}

export function summarizeCa(output: z.infer<typeof CaOutput>): string {
  const [ca, ...kept] = output.bundle;
  return [
    `Wrote ${output.certificate_file}: ${ca?.subject}, expires ${ca?.not_after} (SHA-256 ${ca?.sha256_fingerprint})`,
    output.key_reused ? `Signed with the existing key ${output.key_file}.` : `New CA key: ${output.key_file} (mode 0600; keep it safe and outside the certs dir).`,
    ...(kept.length ? [`Kept ${kept.length} older CA certificate(s) after it, so certificates they signed stay trusted.`] : []),
  ].join('\n');
}

export default defineTool({
  name: 'create_ca',
  title: 'Create a CockroachDB CA',
  description:
    'Creates the cluster CA (ca.crt in the certs dir, key at ca_key) exactly as `cockroach cert create-ca` does: CN=Cockroach CA, O=Cockroach, CA:TRUE pathlen 1, RSA. ' +
    'With overwrite on an existing ca.crt the new CA is put first and the old ones kept (the first step of a CA rotation). ' +
    'Refuses an existing CA key unless allow_ca_key_reuse. Example: { "certs_dir": "certs", "ca_key": "my-safe-directory/ca.key" }',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  effects: 'writes-files',
  input: CaInput,
  output: CaOutput,
  assess: (input, ctx) => assessCreateCa(caOptions('ca', input, ctx)),
  run: (input, ctx) => createCa(caOptions('ca', input, ctx)),
  summary: summarizeCa,
});
