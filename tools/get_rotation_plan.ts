import * as z from 'zod';
import { defineTool } from '../src/core/tool.js';
import { renderPlan } from '../src/rotation/render.js';
import { loadPlan } from '../src/rotation/saved.js';
import { PlanView } from '../src/rotation/steps.js';
import { planIdField } from './rotation-inputs.js';

export default defineTool({
  name: 'get_rotation_plan',
  title: 'Show a saved rotation plan and its progress',
  description:
    'Shows a rotation plan saved by plan_rotation: every step with what to run, what it changes, severity, verification, rollback and blast radius, and where each step is (pending, done, failed, rolled back, with who and when). ' +
    'Use it to resume a rotation or to see what to do next. Example: { "plan_id": "rp_3kq9Zt1xWm0a" }',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  effects: 'none',
  input: z.object({ plan_id: planIdField }),
  output: PlanView,
  run: async (input, ctx) => (await loadPlan(ctx.store, input.plan_id)).view,
  summary: renderPlan,
});
