import path from 'node:path';
import * as z from 'zod';
import { defineTool, type ToolContext } from '../src/core/tool.js';
import { BACKUPS_DIR } from '../src/rotation/backup.js';
import { DEFAULT_PRUNE_AGE_DAYS, PruneResult, assessPrune, pruneBackups, renderPrune, type PruneRequest } from '../src/rotation/prune.js';
import { days, planIdField } from './rotation-inputs.js';

const Input = z.object({
  older_than: z.string().default(`${DEFAULT_PRUNE_AGE_DAYS}d`).describe('Remove backups taken longer ago than this (e.g. 30d, 720h)'),
  plan_id: planIdField.optional().describe('Only the backups of this plan (rp_...)'),
});

const request = (input: z.infer<typeof Input>, ctx: ToolContext): PruneRequest => ({
  root: path.join(ctx.config.stateDir, BACKUPS_DIR),
  olderThanDays: days(input.older_than, 'older_than'),
  planId: input.plan_id,
  now: new Date(),
  store: ctx.store,
});

export default defineTool({
  name: 'prune_rotation_backups',
  title: 'Remove old rotation backups',
  description:
    'apply_rotation_step and rollback_rotation_step back up every file they replace — node and client private keys among them — under <state dir>/backups/<plan id>/. ' +
    'This removes the backups taken longer ago than older_than (default 30 days), for every plan or one. Removing the backups of a step still in effect means it can no longer be rolled back: that is high severity and named; otherwise low. ' +
    'Example: { "older_than": "30d" }',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  effects: 'writes-files',
  input: Input,
  output: PruneResult,
  assess: (input, ctx) => assessPrune(request(input, ctx)),
  run: (input, ctx) => pruneBackups(request(input, ctx)),
  summary: renderPrune,
});
