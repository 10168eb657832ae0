import * as z from 'zod';
import { defineTool } from '../src/core/tool.js';
import { ApplyResult, applyStep, assessApply } from '../src/rotation/apply.js';
import { renderApply } from '../src/rotation/render.js';
import { planIdField, stepDeps } from './rotation-inputs.js';

const Input = z.object({
  plan_id: planIdField,
  step: z.number().int().min(1).describe('The step number, from the plan'),
  mark_done: z.boolean().default(false).describe('For a tool or manual step: record it as done (checked first where crdb-tls can: what the node serves, what the Cloud trusts)'),
});

export default defineTool({
  name: 'apply_rotation_step',
  title: 'Carry out one step of a rotation plan',
  description:
    'Carries out one local step of a plan saved by plan_rotation, in order (every earlier step must be done): creates the new CA into a combined bundle, copies a bundle, reissues a node or client certificate, or removes the old CA once nothing valid depends on it. ' +
    'Every file it replaces is backed up first and replaced atomically keeping owner, group and mode. Severity comes from the files as they are now: removing a CA from a bundle or replacing a certificate/key in use is high, adding a CA to a bundle medium, writing new files low. ' +
    'Tool steps (reload_node_certs, set_client_ca) and manual steps are refused: do them, then call again with mark_done. Undo with rollback_rotation_step. Example: { "plan_id": "rp_3kq9Zt1xWm0a", "step": 1 }',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  effects: 'writes-files',
  input: Input,
  output: ApplyResult,
  assess: (input, ctx) => assessApply(stepDeps(ctx), { planId: input.plan_id, step: input.step, markDone: input.mark_done }),
  run: (input, ctx) => applyStep(stepDeps(ctx), { planId: input.plan_id, step: input.step, markDone: input.mark_done }),
  summary: renderApply,
});
