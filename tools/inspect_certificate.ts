import * as z from 'zod';
import { ToolError, fileSystemError } from '../src/core/errors.js';
import { MAX_PASTED_TEXT, readBoundedFile } from '../src/core/read-file.js';
import { defineTool, type ToolContext } from '../src/core/tool.js';
import { Inspection, inspectCertificates } from '../src/pki/inspect.js';
import { renderInspection } from '../src/pki/listing-text.js';


/** A PEM/DER/base64 value is text; anything else is taken as a path. */
async function readMaterial(value: string, what: string, ctx: ToolContext): Promise<{ contents: Buffer | string; source: string }> {
  if (value.length > MAX_PASTED_TEXT) throw new ToolError('invalid_input', `${what} is larger than 1 MB`, 'Give the certificate itself, not a whole archive.');
  if (value.includes('-----BEGIN') || (value.length > 200 && /^[A-Za-z0-9+/=\s_-]+$/.test(value))) return { contents: value, source: `${what} (pasted)` };
  const file = ctx.paths.resolve(value, what);
  try {
    return { contents: await readBoundedFile(file, what), source: file };
  } catch (error) {
    throw fileSystemError(error, file, 'read');
  }
}

export default defineTool({
  name: 'inspect_certificate',
  title: 'Inspect a certificate or bundle',
  description:
    'Shows subject, issuer, SANs, validity, key type and size, usages, SHA-256 fingerprint and problems of every certificate in a PEM or DER file or pasted PEM text; ' +
    'with ca, verifies the chain against that CA (as a client would). Use it to see why a server or client certificate is rejected. ' +
    'Example: { "certificate": "certs/node.crt", "ca": "certs/ca.crt" }',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  effects: 'reads-files',
  input: z.object({
    certificate: z.string().min(1).describe('A file path, or PEM text (one or more certificates), or base64 DER'),
    ca: z.string().optional().describe('CA certificate(s) to verify against: a file path or PEM text'),
  }),
  output: Inspection,
  run: async (input, ctx) => {
    const certificate = await readMaterial(input.certificate, 'certificate', ctx);
    const ca = input.ca === undefined ? undefined : await readMaterial(input.ca, 'CA', ctx);
    return inspectCertificates({ ...certificate, ...(ca ? { ca } : {}) });
  },
  summary: renderInspection,
});
