import * as z from 'zod';
import { Assessment, Severity, isMutating, type ToolDefinition } from './tool.js';

/** The two input fields the runner adds to every mutating tool (DESIGN.md §2). */
export const GateInputFields = {
  confirmation_id: z.string().optional().describe('Id from an earlier confirmation_required answer, once the person agreed'),
  dry_run: z.boolean().optional().describe('Only assess the impact; change nothing'),
};

const Confirmation = z.object({
  id: z.string(),
  severity: Severity,
  impact: z.string(),
  changes: z.array(z.string()),
  rollback: z.string(),
  expires_at: z.string(),
});

/** The output every mutating tool shares so that each face handles the gate the same way. */
function mutatingEnvelope<O extends z.ZodObject<z.ZodRawShape>>(result: O) {
  return z.object({
    status: z.enum(['done', 'confirmation_required', 'refused', 'dry_run']),
    result: result.optional(),
    assessment: Assessment.optional().describe('The impact of this call (present on dry_run and done)'),
    confirmation: Confirmation.optional(),
    reason: z.string().optional(),
  });
}

/** The input schema a face shows for a tool: its own, plus the gate fields when it mutates. */
export function publicInputSchema(tool: ToolDefinition): z.ZodObject<z.ZodRawShape> {
  return isMutating(tool) ? tool.input.extend(GateInputFields) : tool.input;
}

/** The output schema a face shows for a tool. */
export function publicOutputSchema(tool: ToolDefinition): z.ZodObject<z.ZodRawShape> {
  return isMutating(tool) ? mutatingEnvelope(tool.output) : tool.output;
}
