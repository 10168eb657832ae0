import * as z from 'zod';
import { MAX_PASTED_TEXT } from '../src/core/read-file.js';
import { defineTool, type ToolContext } from '../src/core/tool.js';
import { ClientCaStatus, assessSetClientCa, setClientCa, type SetClientCaOptions } from '../src/cloud/client-ca.js';
import { CertificateInfo } from '../src/pki/schemas.js';
import { bundleFromInput, clientCertsFromInput, cloudApi, clusterIdField, timeoutSecondsField } from './cloud-inputs.js';

const Input = z.object({
  cluster_id: clusterIdField,
  cert_file: z.string().min(1).optional().describe('PEM file with the CA certificate(s) to trust for client certificates (e.g. certs/ca-client.crt); or give pem'),
  pem: z.string().min(1).max(MAX_PASTED_TEXT).optional().describe('The CA certificate(s) as PEM text, instead of cert_file'),
  verify_client_certs: z.array(z.string().min(1)).max(50).optional().describe('Client certificate files that must keep working: a warning names each one the new bundle would not verify'),
  timeout_seconds: timeoutSecondsField,
});

async function options(input: z.infer<typeof Input>, ctx: ToolContext): Promise<SetClientCaOptions> {
  return {
    clusterId: input.cluster_id,
    bundle: await bundleFromInput(input, ctx),
    verify: await clientCertsFromInput(input.verify_client_certs, ctx),
    wait: { timeoutMs: input.timeout_seconds * 1000, progress: ctx.progress, signal: ctx.signal },
  };
}

export default defineTool({
  name: 'set_client_ca',
  title: 'Set a Cloud cluster\'s Client CA',
  description:
    'Uploads the CA certificate(s) a CockroachDB Cloud Advanced cluster trusts for SQL client certificates, through the Cloud API (needs COCKROACH_API_KEY with Cluster Admin or Cluster Operator): ' +
    'POST the first time, PATCH after (what `ccloud cluster networking client-ca-cert set|update` do), then follows the asynchronous status until IS_SET. ' +
    'The bundle is checked first: CA certificates only, none expired, no duplicates. Severity follows the effect: first upload low; a bundle that keeps every CA now set medium; one that drops a CA now set high, naming it. ' +
    'To rotate, upload old + new CA together first, move clients to the new CA, then upload the new CA alone. Refuses Basic/Standard clusters. ' +
    'Example: { "cluster_id": "5e6b1f0a-6f2c-4c35-9d0e-2f3c8a7b9d10", "cert_file": "certs/ca-client.crt", "verify_client_certs": ["certs/client.app.crt"] }',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  effects: 'cloud-write',
  input: Input,
  output: z.object({
    cluster_id: z.string(),
    method: z.enum(['POST', 'PATCH']).nullable().describe('null when the cluster already trusted exactly this bundle'),
    action: z.enum(['set', 'updated', 'unchanged']),
    status: ClientCaStatus,
    certificates: z.array(CertificateInfo).describe('The bundle now set'),
    added: z.array(CertificateInfo),
    dropped: z.array(CertificateInfo),
    previous_pem: z.string().describe('The bundle set before this call (empty if none): upload it again to roll back'),
    warnings: z.array(z.string()),
    requests_sent: z.number().int(),
    checks: z.number().int().describe('Status reads until the change settled'),
    elapsed_ms: z.number().int(),
  }),
  assess: async (input, ctx) => assessSetClientCa(cloudApi(ctx, true), await options(input, ctx)),
  run: async (input, ctx) => setClientCa(cloudApi(ctx, true), await options(input, ctx)),
  summary: (out) => {
    const head = out.action === 'unchanged'
      ? `Cluster ${out.cluster_id} already trusts exactly this Client CA bundle; nothing was sent.`
      : `Client CA of cluster ${out.cluster_id} ${out.action === 'set' ? 'set' : 'updated'} (${out.method}); status ${out.status} after ${Math.round(out.elapsed_ms / 1000)} s.`;
    return [
      head,
      ...out.certificates.map((c) => `  trusts ${c.subject}  SHA-256 ${c.sha256_fingerprint}  expires ${c.not_after}`),
      ...(out.action !== 'unchanged' ? out.dropped.map((c) => `  no longer trusts ${c.subject}  SHA-256 ${c.sha256_fingerprint}`) : []),
      ...out.warnings.map((w) => `Warning: ${w}`),
    ].join('\n');
  },
});
