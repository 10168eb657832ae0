import * as z from 'zod';
import { defineTool, type ToolContext } from '../src/core/tool.js';
import { ClientCaStatus, assessRemoveClientCa, removeClientCa, type RemoveClientCaOptions } from '../src/cloud/client-ca.js';
import { CertificateInfo } from '../src/pki/schemas.js';
import { cloudApi, clusterIdField, timeoutSecondsField } from './cloud-inputs.js';

const Input = z.object({ cluster_id: clusterIdField, timeout_seconds: timeoutSecondsField });

const options = (input: z.infer<typeof Input>, ctx: ToolContext): RemoveClientCaOptions => ({
  clusterId: input.cluster_id,
  wait: { timeoutMs: input.timeout_seconds * 1000, progress: ctx.progress, signal: ctx.signal },
});

export default defineTool({
  name: 'remove_client_ca',
  title: 'Remove a Cloud cluster\'s Client CA',
  description:
    'Removes the Client CA of a CockroachDB Cloud Advanced cluster through the Cloud API (DELETE, what `ccloud cluster networking client-ca-cert delete` does) and follows the status until NOT_SET. ' +
    'Afterwards no SQL client can log in with a certificate (passwords still work): always high severity, confirmed by a person. The removed bundle is returned for rollback. ' +
    'Example: { "cluster_id": "5e6b1f0a-6f2c-4c35-9d0e-2f3c8a7b9d10" }',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  effects: 'cloud-write',
  input: Input,
  output: z.object({
    cluster_id: z.string(),
    action: z.enum(['removed', 'unchanged']),
    status: ClientCaStatus,
    removed: z.array(CertificateInfo),
    previous_pem: z.string().describe('The bundle that was set (empty if none): upload it again to roll back'),
    requests_sent: z.number().int(),
    checks: z.number().int(),
    elapsed_ms: z.number().int(),
  }),
  assess: (input, ctx) => assessRemoveClientCa(cloudApi(ctx, true), options(input, ctx)),
  run: (input, ctx) => removeClientCa(cloudApi(ctx, true), options(input, ctx)),
  summary: (out) =>
    out.action === 'unchanged'
      ? `Cluster ${out.cluster_id} has no Client CA; nothing was sent.`
      : [`Client CA of cluster ${out.cluster_id} removed; status ${out.status} after ${Math.round(out.elapsed_ms / 1000)} s. Certificate logins are refused from now on.`, ...out.removed.map((c) => `  no longer trusts ${c.subject}  SHA-256 ${c.sha256_fingerprint}`)].join('\n'),
});
