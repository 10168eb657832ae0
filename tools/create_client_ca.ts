import { defineTool } from '../src/core/tool.js';
import { assessCreateCa, createCa } from '../src/pki/create-ca.js';
import { CaInput, CaOutput, caOptions, summarizeCa } from './create_ca.js';

export default defineTool({
  name: 'create_client_ca',
  title: 'Create a separate CockroachDB client CA',
  description:
    'Creates ca-client.crt, the CA CockroachDB uses to verify client certificates when it is present (and that create_client_cert then signs with), like `cockroach cert create-client-ca`. ' +
    'Same rules as create_ca: overwrite puts the new CA first and keeps the old ones; an existing key needs allow_ca_key_reuse. ' +
    'Example: { "certs_dir": "certs", "ca_key": "my-safe-directory/ca-client.key" }',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  effects: 'writes-files',
  input: CaInput,
  output: CaOutput,
  assess: (input, ctx) => assessCreateCa(caOptions('client-ca', input, ctx)),
  run: (input, ctx) => createCa(caOptions('client-ca', input, ctx)),
  summary: summarizeCa,
});
