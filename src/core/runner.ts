import * as z from 'zod';
import { ToolError, toStructuredError, type StructuredError } from './errors.js';
import { publicInputSchema } from './envelope.js';
import { isMutating, type Assessment, type ToolContext, type ToolDefinition } from './tool.js';

export type RunResult =
  | { ok: true; output: Record<string, unknown>; text: string }
  | { ok: false; error: StructuredError };

/**
 * The confirmation gate's seat in the runner. It sees the assessment of every mutating call
 * before anything changes and either lets it proceed or answers in its place
 * (confirmation_required, refused). The policy itself lives in src/gate.
 */
export interface Gate {
  decide(tool: ToolDefinition, input: Record<string, unknown>, assessment: Assessment, ctx: ToolContext): Promise<GateDecision>;
}
export type GateDecision = { proceed: true } | { proceed: false; output: Record<string, unknown> };

/** Until the gate lands every assessed call proceeds; the CLI's --overwrite style flags still guard files. */
export const openGate: Gate = { decide: async () => ({ proceed: true }) };

/** Formats zod issues as one line: "user: expected string; lifetime: invalid duration". */
export function describeValidationIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/** validate → assess → gate → run → (audit, later) → structured result or structured error. */
export async function runTool(tool: ToolDefinition, rawInput: unknown, ctx: ToolContext, gate: Gate = openGate): Promise<RunResult> {
  const parsed = publicInputSchema(tool).safeParse(rawInput ?? {});
  if (!parsed.success) {
    return { ok: false, error: { code: 'invalid_input', message: `invalid input for ${tool.name}: ${describeValidationIssues(parsed.error)}`, hint: `See the input schema of ${tool.name}.` } };
  }
  try {
    if (!isMutating(tool)) {
      const output = await tool.run(parsed.data, ctx);
      return { ok: true, output, text: tool.summary(output) };
    }
    const { confirmation_id: _confirmationId, dry_run: dryRun, ...input } = parsed.data as Record<string, unknown>;
    const assessment = await tool.assess!(input, ctx);
    if (dryRun) {
      return { ok: true, output: { status: 'dry_run', assessment }, text: `Dry run (${assessment.severity}): ${assessment.impact}` };
    }
    const decision = await gate.decide(tool, parsed.data, assessment, ctx);
    if (!decision.proceed) return { ok: true, output: decision.output, text: String(decision.output.reason ?? decision.output.status) };
    const result = await tool.run(input, ctx);
    return { ok: true, output: { status: 'done', result, assessment }, text: tool.summary(result) };
  } catch (error) {
    if (!(error instanceof ToolError)) ctx.log.error({ err: error, tool: tool.name }, 'tool failed unexpectedly');
    return { ok: false, error: toStructuredError(error) };
  }
}
