import * as z from 'zod';
import { defineTool } from '../src/core/tool.js';
import { CheckReport, judge } from '../src/rotation/check.js';
import { takeInventory } from '../src/rotation/inventory.js';
import { renderCheck } from '../src/rotation/render.js';
import { timelinePicture } from '../src/rotation/timeline-picture.js';
import { chartField, days, inventoryRequest, resolveSources, sourceFields, withinField } from './rotation-inputs.js';

export default defineTool({
  name: 'check_expiry',
  title: 'Check what expires when',
  description:
    'The expiry inventory as one table — certs dirs (every certificate of every bundle), what live nodes serve, crdb_internal.node_metrics over SQL (security.certificate.expiration.* / .ttl.* per node), a Cloud cluster\'s Client CA — with days left and a status (ok, warn, fail, expired; certificates that cannot be parsed are reported as errors, never skipped). ' +
    'Answers nothing_due, due (something expires within the window) or error, which the CLI maps to exit codes 0, 1, 2 for schedulers (`crdb-tls rotate check`, optionally writing a node_exporter textfile). ' +
    'With chart: true the answer also holds the expiry timeline as a PNG image (what expires when, grouped by source and issuing CA, warn/fail windows shaded). ' +
    'Example: { "certs_dirs": ["certs"], "hosts": ["node1:26257"], "within": "30d", "chart": true }',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  effects: 'network',
  input: z.object({ ...sourceFields, within: withinField, chart: chartField }),
  output: CheckReport,
  run: async (input, ctx) => {
    const now = new Date();
    const taken = await takeInventory(await inventoryRequest(input, resolveSources(input, ctx), ctx, now));
    return judge(taken.inventory, days(input.within, 'within'));
  },
  summary: renderCheck,
  picture: { wanted: (input) => input.chart, draw: (report) => timelinePicture({ inventory: report.inventory }) },
});
