import * as z from 'zod';

// The vocabulary a gated call is judged in: how severe it is, what it will do, and the person's
// answer. It sits at the bottom of the house (imports nothing of ours) because the gate, the
// store and the tool contract all speak it.

export const Severity = z.enum(['low', 'medium', 'high']);
export type Severity = z.infer<typeof Severity>;

/** The impact of one call, computed from the real state it would change. */
export const Assessment = z.object({
  severity: Severity,
  impact: z.string().describe('One paragraph for a person: what this call will do'),
  changes: z.array(z.string()).describe('Each file written or replaced, each request sent, each signal'),
  rollback: z.string().describe('How to undo it'),
  state_fingerprint: z.string().describe('Hash of the state the assessment read; a change means the world moved'),
});
export type Assessment = z.infer<typeof Assessment>;

/** The part of a tool that a person is shown and the gate records: which tool, by name and title. */
export interface GatedTool {
  name: string;
  title: string;
}

/** What a face can do to ask the person right now (MCP elicitation, a terminal prompt, --yes). */
export type ConfirmAnswer = 'accept' | 'decline' | 'cancel';
export type AskPerson = (request: { tool: GatedTool; assessment: Assessment }) => Promise<ConfirmAnswer>;
