import * as z from 'zod';
import { defineTool } from '../src/core/tool.js';
import { parseDuration } from '../src/pki/duration.js';
import { listCerts } from '../src/pki/list.js';
import { CertListing } from '../src/pki/schemas.js';
import { renderListingTable } from '../src/pki/listing-text.js';
import { certsDirField, resolveCertsDir } from './inputs.js';

const DAY_MS = 86_400_000;

export default defineTool({
  name: 'list_certs',
  title: 'List certificates in a certs directory',
  description:
    'Lists every certificate in a CockroachDB certs directory like `cockroach cert list` (usage, files, expiry, notes, load error), plus days left, ' +
    'every certificate of each bundle, and problems found (expiry, key permissions, key/cert mismatch, missing usages or SANs, weak keys, SHA-1). ' +
    'Use it first when something about certificates fails, and before a rotation. Example: { "certs_dir": "certs", "fail_within": "30d" }',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  effects: 'reads-files',
  input: z.object({
    certs_dir: certsDirField,
    fail_within: z.string().optional().describe('Report certificates expiring within this duration (e.g. 30d); the CLI exits 1 when there are any'),
  }),
  output: CertListing,
  run: async (input, ctx) => {
    const failWithinDays = input.fail_within === undefined ? undefined : parseDuration(input.fail_within, 'fail_within') / DAY_MS;
    return listCerts(resolveCertsDir(input.certs_dir, ctx), { ...(failWithinDays === undefined ? {} : { failWithinDays }), signal: ctx.signal, progress: ctx.progress, insideRoots: ctx.paths.insideRootsCheck });
  },
  summary: renderListingTable,
});
