import path from 'node:path';
import * as z from 'zod';
import { defineTool, type ToolContext } from '../src/core/tool.js';
import { assessDownloadCa, defaultTrustFile, downloadCa, type DownloadCaOptions } from '../src/cloud/cluster-ca.js';
import { CertificateInfo } from '../src/pki/schemas.js';
import { cloudApi, clusterIdField, optionalCloudApi } from './cloud-inputs.js';

const Input = z.object({
  cluster_id: clusterIdField,
  out: z.string().min(1).optional().describe('Where to save the CA (default: ~/.postgresql/root.crt, %APPDATA%\\postgresql\\root.crt on Windows, where libpq looks)'),
  replace: z.boolean().default(false).describe('Replace the file instead of appending to it (drops every CA it holds now)'),
});

const Output = z.object({
  cluster_id: z.string(),
  file: z.string(),
  action: z.enum(['created', 'appended', 'replaced', 'unchanged']),
  certificates: z.array(CertificateInfo).describe('The CA certificate(s) the Cloud serves for the cluster'),
  added: z.array(CertificateInfo).describe('Certificates written to the file by this call'),
  dropped: z.array(CertificateInfo).describe('Certificates the file held and no longer holds (replace only)'),
  certificates_in_file: z.number().int(),
  plan: z.string().nullable().describe('The cluster plan (BASIC, STANDARD, ADVANCED), when it could be read'),
  download_needed: z.boolean().nullable().describe('false for Basic/Standard (publicly trusted certificates), true for Advanced, null when unknown'),
  notes: z.array(z.string()),
});

function options(input: z.infer<typeof Input>, ctx: ToolContext): DownloadCaOptions {
  const fallback = defaultTrustFile();
  const file = ctx.paths.resolve(input.out ?? fallback, 'CA file');
  return { clusterId: input.cluster_id, file, replace: input.replace, isDefaultFile: file === path.resolve(fallback), insideRoots: ctx.paths.insideRootsCheck };
}

export default defineTool({
  name: 'download_ca',
  title: 'Download a Cloud cluster\'s CA certificate',
  description:
    'Downloads the CA certificate of a CockroachDB Cloud cluster (public endpoint, no key needed), checks that it is a CA, shows its fingerprint and expiry, and saves it where libpq looks by default ' +
    '(~/.postgresql/root.crt; %APPDATA%\\postgresql\\root.crt on Windows) or at out. That file is shared by every libpq connection, so an existing file is appended to (medium), never overwritten unless replace (high); ' +
    'nothing is written when the CA is already there. Says when the download is not needed (Basic/Standard clusters use publicly trusted certificates). ' +
    'Use it for "certificate signed by unknown authority" against an Advanced cluster. Example: { "cluster_id": "5e6b1f0a-6f2c-4c35-9d0e-2f3c8a7b9d10" }',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  effects: 'writes-files',
  input: Input,
  output: Output,
  assess: (input, ctx) => assessDownloadCa(cloudApi(ctx, false), options(input, ctx)),
  run: (input, ctx) => downloadCa(cloudApi(ctx, false), optionalCloudApi(ctx), options(input, ctx)),
  summary: (out) => {
    const verb = { created: 'Saved', appended: 'Appended to', replaced: 'Replaced', unchanged: 'Already in' }[out.action];
    return [
      `${verb} ${out.file}: the CA of cluster ${out.cluster_id}${out.action === 'unchanged' ? ' (nothing written)' : ''}.`,
      ...out.certificates.map((c) => `  ${c.subject}  SHA-256 ${c.sha256_fingerprint}  expires ${c.not_after} (${c.days_left} days)`),
      ...(out.action === 'appended' ? [`The file now holds ${out.certificates_in_file} CA certificate(s); the ones it held before are kept.`] : []),
      ...(out.dropped.length ? [`Dropped from the file: ${out.dropped.map((c) => `${c.subject} (SHA-256 ${c.sha256_fingerprint})`).join('; ')}`] : []),
      ...out.notes,
    ].join('\n');
  },
});
