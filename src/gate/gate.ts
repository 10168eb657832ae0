import crypto from 'node:crypto';
import type { Assessment, ToolContext, ToolDefinition } from '../core/tool.js';
import { explainConsumeFailure, type PendingConfirmation, type Store } from '../store/types.js';
import { needsConfirmation, type GatePolicy } from './policy.js';

/** What a face can do to ask the person right now (MCP elicitation, a terminal prompt, --yes). */
export type ConfirmAnswer = 'accept' | 'decline' | 'cancel';
export type AskPerson = (request: { tool: ToolDefinition; assessment: Assessment }) => Promise<ConfirmAnswer>;

export type GateDecision =
  | { proceed: true; confirmer: string | null; confirmationId: string | null; requester: string }
  | { proceed: false; event: 'confirmation_required' | 'declined' | 'refused'; output: Record<string, unknown>; text: string };

/** Canonical JSON (sorted keys) so that the same call always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The hash a confirmation is bound to: the tool and its exact input, without the gate's own fields. */
export function inputHash(toolName: string, input: Record<string, unknown>): string {
  return crypto.createHash('sha256').update(toolName).update('\0').update(canonicalJson(input)).digest('hex');
}

function refused(reason: string, assessment: Assessment, event: 'declined' | 'refused' = 'refused'): GateDecision {
  return { proceed: false, event, output: { status: 'refused', reason, assessment }, text: `Refused: ${reason}` };
}

export function confirmationText(tool: string, c: PendingConfirmation): string {
  const a = c.assessment;
  return [
    `This call needs a person's confirmation (severity ${a.severity}); nothing was changed.`,
    `Show the person this impact, word for word, and ask whether to proceed:`,
    `  Impact: ${a.impact}`,
    `  Changes: ${a.changes.join('; ')}`,
    `  Rollback: ${a.rollback}`,
    `Only after they agree, call ${tool} again with the same arguments plus "confirmation_id": "${c.id}" (valid until ${c.expires_at}, once).`,
  ].join('\n');
}

/**
 * The confirmation gate (DESIGN.md §3). It sees every mutating call after `assess` and before
 * `run`, and either lets it through, asks the person through the face, or answers
 * confirmation_required / refused in the call's place.
 */
export class Gate {
  constructor(
    private readonly policy: GatePolicy,
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async decide(tool: ToolDefinition, hash: string, assessment: Assessment, confirmationId: string | undefined, ctx: ToolContext): Promise<GateDecision> {
    if (confirmationId !== undefined) return this.redeem(tool, hash, assessment, confirmationId, ctx);
    if (!needsConfirmation(assessment.severity, this.policy)) return { proceed: true, confirmer: null, confirmationId: null, requester: ctx.requester };
    if (ctx.askPerson) {
      const answer = await ctx.askPerson({ tool, assessment });
      if (answer === 'accept') return { proceed: true, confirmer: ctx.requester, confirmationId: null, requester: ctx.requester };
      return refused(answer === 'decline' ? 'the person declined; nothing was changed' : 'the person cancelled the confirmation; nothing was changed', assessment, 'declined');
    }
    const created = this.now();
    const confirmation: PendingConfirmation = {
      id: `cf_${crypto.randomBytes(18).toString('base64url')}`,
      tool: tool.name,
      input_hash: hash,
      assessment,
      requester: ctx.requester,
      created_at: created.toISOString(),
      expires_at: new Date(created.getTime() + this.policy.confirmationTtlMs).toISOString(),
      state: 'pending',
      consumed_by: null,
    };
    await this.store.saveConfirmation(confirmation);
    const { id, severity, impact, changes, rollback } = { ...assessment, id: confirmation.id };
    return {
      proceed: false,
      event: 'confirmation_required',
      output: { status: 'confirmation_required', confirmation: { id, severity, impact, changes, rollback, expires_at: confirmation.expires_at }, reason: `needs confirmation (${severity})` },
      text: confirmationText(tool.name, confirmation),
    };
  }

  /** Consumes the confirmation once, then checks the world is as it was when the person agreed. */
  private async redeem(tool: ToolDefinition, hash: string, assessment: Assessment, id: string, ctx: ToolContext): Promise<GateDecision> {
    const outcome = await this.store.consumeConfirmation({ id, tool: tool.name, inputHash: hash, consumer: ctx.requester, now: this.now() });
    if (!outcome.ok) return refused(explainConsumeFailure(outcome.reason), assessment);
    const agreed = outcome.confirmation.assessment;
    if (agreed.state_fingerprint !== assessment.state_fingerprint || agreed.severity !== assessment.severity) {
      return refused(`the world changed since the confirmation was given (${agreed.severity === assessment.severity ? 'the files it read are different now' : `severity was ${agreed.severity}, now ${assessment.severity}`}); nothing was done — plan again and ask for a new confirmation`, assessment);
    }
    // The person who asked stays the requester; whoever redeemed the id is the confirmer.
    return { proceed: true, confirmer: ctx.requester, confirmationId: id, requester: outcome.confirmation.requester };
  }
}
