import * as z from 'zod';
import { CloudApiClient } from '../src/cloud/api-client.js';
import { validateCaBundle, type CaBundle } from '../src/cloud/ca-bundle.js';
import type { ClientCertToVerify } from '../src/cloud/client-ca.js';
import { cloudSettings, requireApiKey } from '../src/cloud/credentials.js';
import { ToolError, fileSystemError } from '../src/core/errors.js';
import { readBoundedFile } from '../src/core/read-file.js';
import type { ToolContext } from '../src/core/tool.js';
import { parseCertificates } from '../src/pki/certificate.js';

/** Input fields and plumbing the Cloud tools share. */
export const clusterIdField = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'a cluster ID is letters, digits and dashes: the UUID in the Cloud Console URL')
  .describe('CockroachDB Cloud cluster ID: the UUID in the Console URL (…/cluster/<id>/overview), not the routing ID (name-1234) of connection strings');

/** Terraform's cockroach_client_ca_cert waits 10 minutes for the change to settle (client_ca_cert_resource.go). */
export const timeoutSecondsField = z.number().int().min(1).max(3600).default(600).describe('How long to wait for the asynchronous change to settle (PENDING → IS_SET / NOT_SET), in seconds');

/** A Cloud API client for this call: COCKROACH_SERVER, the key (when `withKey`), the call's cancellation and log. */
export function cloudApi(ctx: ToolContext, withKey: boolean): CloudApiClient {
  const settings = cloudSettings(ctx.config);
  const apiKey = withKey ? requireApiKey(settings) : undefined;
  return new CloudApiClient({ server: settings.server, apiKey, signal: ctx.signal, log: ctx.log });
}

/** The client with the key when one is configured, else undefined (for optional lookups). */
export function optionalCloudApi(ctx: ToolContext): CloudApiClient | undefined {
  const settings = cloudSettings(ctx.config);
  return settings.apiKey ? new CloudApiClient({ server: settings.server, apiKey: settings.apiKey, signal: ctx.signal, log: ctx.log }) : undefined;
}

async function readAllowed(file: string, what: string, ctx: ToolContext): Promise<{ path: string; contents: Buffer }> {
  const resolved = ctx.paths.resolve(file, what);
  try {
    return { path: resolved, contents: await readBoundedFile(resolved, what) };
  } catch (error) {
    throw fileSystemError(error, resolved, `read ${what}`);
  }
}

/** The bundle to upload, from exactly one of cert_file or pem, validated (reference §4.2: PEM CA certificates). */
export async function bundleFromInput(input: { cert_file?: string | undefined; pem?: string | undefined }, ctx: ToolContext): Promise<CaBundle> {
  if ((input.cert_file === undefined) === (input.pem === undefined)) {
    throw new ToolError('invalid_input', 'give exactly one of cert_file (a file path) and pem (the PEM text)', 'Example: { "cluster_id": "…", "cert_file": "certs/ca-client.crt" }');
  }
  if (input.pem !== undefined) return validateCaBundle(input.pem, 'the pem input', { expired: 'refuse' });
  const { path, contents } = await readAllowed(input.cert_file!, 'CA certificate file', ctx);
  return validateCaBundle(contents, path, { expired: 'refuse' });
}

export async function clientCertsFromInput(files: string[] | undefined, ctx: ToolContext): Promise<ClientCertToVerify[]> {
  const result: ClientCertToVerify[] = [];
  for (const file of files ?? []) {
    const { path, contents } = await readAllowed(file, 'client certificate', ctx);
    result.push({ source: path, certificates: parseCertificates(contents, path) });
  }
  return result;
}
