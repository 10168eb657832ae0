import * as z from 'zod';
import { defineTool } from '../src/core/tool.js';
import { RollbackResult, assessRollback, rollbackStep } from '../src/rotation/rollback.js';
import { renderRollback } from '../src/rotation/render.js';
import { planIdField, stepDeps } from './rotation-inputs.js';

export default defineTool({
  name: 'rollback_rotation_step',
  title: 'Roll back one step of a rotation plan',
  description:
    'Undoes one step of a saved rotation plan, latest first: restores every file the step replaced from the backups apply_rotation_step took (atomically, keeping owner, group and mode), removes files it created (a new CA key is moved aside, never deleted) and marks the step rolled back. ' +
    'The files as they are before the rollback are backed up too. Without step, the latest step still in effect is rolled back. A tool or manual step is only marked pending again (undo it yourself). ' +
    'Nodes use restored files after a reload (reload_node_certs). Example: { "plan_id": "rp_3kq9Zt1xWm0a", "step": 3 }',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  effects: 'writes-files',
  input: z.object({ plan_id: planIdField, step: z.number().int().min(1).optional().describe('Default: the latest step still in effect') }),
  output: RollbackResult,
  assess: (input, ctx) => assessRollback(stepDeps(ctx), { planId: input.plan_id, ...(input.step !== undefined ? { step: input.step } : {}) }),
  run: (input, ctx) => rollbackStep(stepDeps(ctx), { planId: input.plan_id, ...(input.step !== undefined ? { step: input.step } : {}) }),
  summary: renderRollback,
});
