import * as z from 'zod';
import { defineTool } from '../src/core/tool.js';
import { ClientCaStatus, getClientCa } from '../src/cloud/client-ca.js';
import { CertificateInfo } from '../src/pki/schemas.js';
import { cloudApi, clusterIdField } from './cloud-inputs.js';

export default defineTool({
  name: 'get_client_ca',
  title: 'Show a Cloud cluster\'s Client CA',
  description:
    'Reads the Client CA of a CockroachDB Cloud Advanced cluster through the Cloud API (needs COCKROACH_API_KEY): its status (NOT_SET, PENDING, IS_SET, FAILED) and each CA certificate with subject, fingerprint and expiry. ' +
    'The Client CA is what the cluster trusts to sign SQL client certificates. Refuses Basic/Standard clusters, which have no Client CA. ' +
    'Use it before set_client_ca or remove_client_ca, or to follow a PENDING change. Example: { "cluster_id": "5e6b1f0a-6f2c-4c35-9d0e-2f3c8a7b9d10" }',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  effects: 'network',
  input: z.object({ cluster_id: clusterIdField }),
  output: z.object({
    cluster_id: z.string(),
    plan: z.string().nullable(),
    status: ClientCaStatus,
    certificates: z.array(CertificateInfo),
    pem: z.string().describe('The PEM bundle as the Cloud holds it (public certificates)'),
    parse_error: z.string().optional(),
  }),
  run: (input, ctx) => getClientCa(cloudApi(ctx, true), input.cluster_id),
  summary: (out) =>
    [
      `Client CA of cluster ${out.cluster_id}${out.plan ? ` (${out.plan})` : ''}: ${out.status}`,
      ...out.certificates.map((c) => `  ${c.subject}  SHA-256 ${c.sha256_fingerprint}  expires ${c.not_after} (${c.days_left} days)`),
      ...(out.parse_error ? [`  The PEM could not be read: ${out.parse_error}`] : []),
      ...(out.status === 'PENDING' ? ['A change is in progress; read it again in a few seconds.'] : []),
      ...(out.status === 'FAILED' ? ['The last change failed; the cluster may still trust its previous Client CA.'] : []),
    ].join('\n'),
});
