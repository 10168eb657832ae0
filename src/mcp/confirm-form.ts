import { inputRequired, inputResponse, type InputRequiredResult, type ServerContext } from '@modelcontextprotocol/server';
import { GateInputFields } from '../core/envelope.js';
import { ToolError } from '../core/errors.js';
import type { Runner, RunResult } from '../core/runner.js';
import type { Assessment, ToolContext, ToolDefinition } from '../core/tool.js';
import { inputHash, type ConfirmAnswer } from '../gate/gate.js';
import { explainConsumeFailure } from '../store/types.js';
import { loadFormValidator } from './form-validator.js';

/**
 * What a gated call carries between its rounds: which pending confirmation (in the store) the
 * person is answering, for which tool and exact input. Sealed by the SDK's request-state codec
 * (HMAC-SHA256, expiring, bound to who asks): signed, not encrypted, so it holds nothing secret —
 * the id alone confirms nothing, the store consumes it once.
 */
export interface ConfirmationState {
  v: 1;
  confirmation_id: string;
  tool: string;
  input_hash: string;
}

export interface StateCodec {
  mint(payload: ConfirmationState, ctx: ServerContext): Promise<string>;
  verify(state: string, ctx: ServerContext): Promise<ConfirmationState>;
}

/** The key of the one input request a gated call makes. */
const CONFIRM = 'confirm';

/** The form the person sees: the impact, word for word, and one box to tick. */
const CONFIRM_SCHEMA = {
  type: 'object' as const,
  properties: { confirm: { type: 'boolean' as const, title: 'I understand the impact; go ahead', default: false } },
  required: ['confirm'],
};

interface PendingAnswer {
  status: string;
  confirmation?: { id: string; severity: string; impact: string; changes: string[]; rollback: string; expires_at: string };
}

/** The tool's own input, without the gate's fields: what a confirmation is bound to. */
function boundInput(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([key]) => !(key in GateInputFields)));
}

function confirmationMessage(toolTitle: string, c: NonNullable<PendingAnswer['confirmation']>): string {
  return [
    `${toolTitle} needs your confirmation (severity ${c.severity}).`,
    `Impact: ${c.impact}`,
    `Changes: ${c.changes.join('; ')}`,
    `Rollback: ${c.rollback}`,
    `This request expires at ${c.expires_at}.`,
  ].join('\n');
}

/**
 * First round of a gated call for a client that can show a form: the gate has saved a pending
 * confirmation; the person is asked through the client (input_required for 2026-07-28 clients,
 * elicitation/create through the SDK's legacy shim for 2025 clients with a session).
 */
export async function askForConfirmation(o: { tool: ToolDefinition; args: Record<string, unknown>; outcome: Record<string, unknown>; ctx: ServerContext; stateCodec: StateCodec; requester: string }): Promise<InputRequiredResult> {
  // The answer to the form is checked against its schema by the SDK's validator, loaded now (form-validator.ts).
  await loadFormValidator();
  const pending = (o.outcome as unknown as PendingAnswer).confirmation!;
  const state: ConfirmationState = { v: 1, confirmation_id: pending.id, tool: o.tool.name, input_hash: inputHash(o.tool.name, boundInput(o.args)) };
  return inputRequired({
    inputRequests: { [CONFIRM]: inputRequired.elicit({ mode: 'form', message: confirmationMessage(o.tool.title, pending), requestedSchema: CONFIRM_SCHEMA }) },
    requestState: await o.stateCodec.mint(state, o.ctx),
  });
}

type Answer = { answer: ConfirmAnswer; malformed?: string };

/** The person's answer; anything but a ticked boolean box is no agreement, and a malformed one says why. */
function readAnswer(responses: Record<string, unknown> | undefined): Answer {
  const view = inputResponse(responses, CONFIRM);
  if (view.kind !== 'elicit') return { answer: 'cancel', malformed: view.kind === 'missing' ? 'the client sent no answer to the confirmation form' : `the client answered the confirmation form with a ${view.kind} response` };
  if (view.action !== 'accept') return { answer: view.action };
  const confirm = view.content?.[CONFIRM];
  if (confirm === true) return { answer: 'accept' };
  if (confirm === false) return { answer: 'decline' };
  const given = confirm === undefined ? 'no confirm field' : `confirm as ${typeof confirm} ${JSON.stringify(confirm).slice(0, 40)}`;
  return { answer: 'decline', malformed: `the confirmation form's answer was malformed (${given}; it must be the boolean true or false), so it counts as a decline` };
}

/**
 * The round that carries the person's answer. The gate asks the person (askPerson) with the
 * assessment it has just made again; the answer given here counts only if the pending
 * confirmation is consumed now, once, in the store (so a replayed round, or a second replica
 * answering the same state, runs nothing) and the world is still what the person was shown.
 */
export async function answerConfirmation(o: { tool: ToolDefinition; args: Record<string, unknown>; state: ConfirmationState; ctx: ServerContext; toolCtx: ToolContext; runner: Runner }): Promise<RunResult> {
  const { tool, state, toolCtx } = o;
  const hash = inputHash(tool.name, boundInput(o.args));
  if (state.v !== 1 || state.tool !== tool.name || state.input_hash !== hash) {
    return { ok: false, error: { code: 'refused', message: `this confirmation answer belongs to another call (${state.tool === tool.name ? 'other arguments' : `tool ${state.tool}`}); nothing was changed`, hint: `Call ${tool.name} again without the old request state.` } };
  }
  const { answer, malformed } = readAnswer(o.ctx.mcpReq.inputResponses);
  const store = toolCtx.store;
  const refuse = async (reason: string, assessment: Assessment) => {
    await store.appendAudit({ event: 'refused', tool: tool.name, requester: toolCtx.requester, confirmer: null, severity: assessment.severity, confirmation_id: state.confirmation_id, input_hash: hash, detail: { reason, channel: 'mcp-form' } });
    throw new ToolError('refused', `${reason}; nothing was changed`, `Call ${tool.name} again to plan anew and ask for a new confirmation.`);
  };
  const askPerson = async ({ assessment }: { assessment: Assessment }): Promise<ConfirmAnswer> => {
    if (answer !== 'accept') {
      await store.declineConfirmation(state.confirmation_id, toolCtx.requester);
      return answer;
    }
    const consumed = await store.consumeConfirmation({ id: state.confirmation_id, tool: tool.name, inputHash: hash, consumer: toolCtx.requester, now: new Date() });
    if (!consumed.ok) return refuse(explainConsumeFailure(consumed.reason), assessment);
    const agreed = consumed.confirmation.assessment;
    if (agreed.state_fingerprint !== assessment.state_fingerprint || agreed.severity !== assessment.severity) {
      return refuse(`the world changed since the person was asked (${agreed.severity === assessment.severity ? 'the files it read are different now' : `severity was ${agreed.severity}, now ${assessment.severity}`})`, assessment);
    }
    return 'accept';
  };
  const outcome = await o.runner.run(tool, boundInput(o.args), { ...toolCtx, askPerson, askPersonConfirmationId: state.confirmation_id });
  if (malformed && outcome.ok && outcome.output.status === 'refused') {
    return { ok: true, output: { ...outcome.output, reason: `${malformed}; nothing was changed` }, text: `Refused: ${malformed}; nothing was changed.` };
  }
  return outcome;
}
