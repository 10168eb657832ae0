import crypto from 'node:crypto';
import os from 'node:os';
import type { AskPerson, Assessment, GatedTool } from '../core/assessment.js';
import { explainConsumeFailure, type ConfirmationBinding, type ConfirmationChannel, type ConfirmationFace, type PendingConfirmation, type Store } from '../store/types.js';
import { approvalCommand } from './approve-command.js';
import { needsConfirmation, type GatePolicy } from './policy.js';

export type { AskPerson, ConfirmAnswer } from '../core/assessment.js';

/** What the gate reads of a call's context (core's ToolContext carries it): who asks, and how a person can be asked now. */
export interface GateContext {
  requester: string;
  askPerson?: AskPerson;
  askPersonChannel?: ConfirmationChannel;
  askPersonConfirmationId?: string;
  confirmedInSlackBy?: string;
}

/** How a confirmation was given, for the audit trail: the channel, and whether the requester confirmed its own call. */
export interface ConfirmedBy {
  confirmer: string;
  channel: ConfirmationChannel;
  self_confirmed: boolean;
}

export type GateDecision =
  | { proceed: true; confirmed: ConfirmedBy | null; confirmationId: string | null; requester: string }
  | { proceed: false; event: 'confirmation_required' | 'declined' | 'refused'; output: Record<string, unknown>; text: string };

/** Canonical JSON (sorted keys) so that the same call always hashes the same. */
function canonicalJson(value: unknown): string {
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

/** A reference to a confirmation that can be shown anywhere: it names the confirmation in the audit trail but cannot redeem it. */
export function confirmationRef(id: string): string {
  return `ref_${crypto.createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
}

function refused(reason: string, assessment: Assessment, event: 'declined' | 'refused' = 'refused'): GateDecision {
  return { proceed: false, event, output: { status: 'refused', reason, assessment }, text: `Refused: ${reason}` };
}

/** Where this process runs: a terminal approval must come from the same OS user on the same host. */
function origin(): ConfirmationBinding['origin'] {
  return { os_user: os.userInfo().username, host: os.hostname(), pid: process.pid, ppid: process.ppid };
}

/** How the gate reaches a person out of band, for the text that tells the assistant what the person must do. */
export interface GateSettings {
  face: ConfirmationFace;
  /** The command a person runs to approve an id (approvalCommand by default). */
  approveCommand?: (id: string) => string;
}

function confirmationText(tool: string, c: PendingConfirmation, approveCommand: (id: string) => string = approvalCommand): string {
  const a = c.assessment;
  const impact = [`  Impact: ${a.impact}`, `  Changes: ${a.changes.join('; ')}`, `  Rollback: ${a.rollback}`];
  const again = `call ${tool} again with the same arguments plus "confirmation_id": "${c.id}" (valid until ${c.expires_at}, once).`;
  const b = c.binding;
  if (b.redeem === 'assistant') {
    return [
      `This call needs a person's confirmation (severity ${a.severity}); nothing was changed.`,
      `Show the person this impact, word for word, and ask whether to proceed:`,
      ...impact,
      `Only after they agree, ${again}`,
      `(CRDB_TLS_MCP_CONFIRM=assistant: this server trusts you to have asked; the audit trail marks it as confirmed by the requester.)`,
    ].join('\n');
  }
  const ways: string[] = [];
  if (b.approve_via.includes('terminal')) ways.push(`in a terminal on ${b.origin.host} as OS user ${b.origin.os_user}, run:\n    ${approveCommand(c.id)}\n  It shows the impact and asks them to type yes.`);
  if (b.approve_via.includes('slack')) ways.push(`in Slack, someone allowed to confirm (CRDB_TLS_SLACK_CONFIRMERS), other than the requester, types  /crdb-tls approve ${confirmationRef(c.id)}  and presses Approve (the Slack app must share this server's database, CRDB_TLS_DATABASE_URL).`);
  return [
    `This call needs a person's confirmation (severity ${a.severity}); nothing was changed.`,
    `You cannot confirm it yourself: calling again with the id before a person approved it is refused.`,
    `Show the person this impact, word for word:`,
    ...impact,
    `If they agree, the person (not you) approves it${ways.length > 1 ? ', either' : ''}:`,
    ...ways.map((w) => `  - ${w}`),
    `After they say it is approved, ${again}`,
  ].join('\n');
}

/**
 * The confirmation gate (DESIGN.md §3). It sees every mutating call after `assess` and before
 * `run`, and either lets it through, asks the person through the face, or answers
 * confirmation_required / refused in the call's place. A confirmation is bound to the face and
 * principal that asked and to the rule of that face (ConfirmationBinding): a Slack one only by a
 * Slack click the Slack face has checked, an MCP one only after a person approved it out of band
 * (unless CRDB_TLS_MCP_CONFIRM=assistant).
 */
export class Gate {
  private readonly approveCommand: (id: string) => string;

  constructor(
    private readonly policy: GatePolicy,
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
    private readonly settings: GateSettings = { face: 'cli' },
  ) {
    this.approveCommand = settings.approveCommand ?? ((id) => approvalCommand(id));
  }

  get face(): ConfirmationFace {
    return this.settings.face;
  }

  /** The rule a confirmation asked for in this face is issued under. */
  binding(): ConfirmationBinding {
    const fourEyes = this.policy.fourEyes ?? true;
    const mode = this.policy.mcpConfirm ?? 'person';
    switch (this.settings.face) {
      case 'slack':
        return { face: 'slack', redeem: 'slack_click', approve_via: [], four_eyes: fourEyes, origin: origin() };
      case 'mcp':
        // `person`: a terminal of this OS user, and an allowed Slack confirmer too when the store is shared (a Slack app can only see it then).
        return { face: 'mcp', redeem: mode === 'assistant' ? 'assistant' : 'person', approve_via: mode === 'slack' ? ['slack'] : mode === 'person' ? (this.store.kind === 'postgres' ? ['terminal', 'slack'] : ['terminal']) : [], four_eyes: fourEyes, origin: origin() };
      case 'cli':
        // The CLI asks on its terminal or takes --yes; an id it prints is for `crdb-tls confirm` on this host.
        return { face: 'cli', redeem: 'person', approve_via: ['terminal'], four_eyes: fourEyes, origin: origin() };
    }
  }

  async decide(tool: GatedTool, hash: string, assessment: Assessment, confirmationId: string | undefined, ctx: GateContext): Promise<GateDecision> {
    if (confirmationId !== undefined) return this.redeem(tool, hash, assessment, confirmationId, ctx);
    if (!needsConfirmation(assessment.severity, this.policy)) return { proceed: true, confirmed: null, confirmationId: null, requester: ctx.requester };
    if (ctx.askPerson) {
      const answer = await ctx.askPerson({ tool, assessment });
      const channel: ConfirmationChannel = ctx.askPersonChannel ?? (this.settings.face === 'mcp' ? 'elicitation' : 'cli_prompt');
      if (answer === 'accept') return { proceed: true, confirmed: { confirmer: ctx.requester, channel, self_confirmed: true }, confirmationId: ctx.askPersonConfirmationId ?? null, requester: ctx.requester };
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
      binding: this.binding(),
      approval: null,
    };
    await this.store.saveConfirmation(confirmation);
    const { id, severity, impact, changes, rollback } = { ...assessment, id: confirmation.id };
    return {
      proceed: false,
      event: 'confirmation_required',
      output: { status: 'confirmation_required', confirmation: { id, severity, impact, changes, rollback, expires_at: confirmation.expires_at }, reason: `needs confirmation (${severity})` },
      text: confirmationText(tool.name, confirmation, this.approveCommand),
    };
  }

  /**
   * Which way this call may redeem confirmation `c`, decided before anything is consumed (a refused
   * attempt leaves the confirmation usable for the right channel): the states it may be consumed
   * from and who confirmed, or why not.
   */
  private route(c: PendingConfirmation, ctx: GateContext): { ok: true; from: Array<'pending' | 'approved'>; confirmed: ConfirmedBy } | { ok: false; reason: string } {
    const b = c.binding;
    const slackClicker = this.settings.face === 'slack' ? ctx.confirmedInSlackBy : undefined;
    if (b.redeem === 'slack_click') {
      if (!slackClicker) return { ok: false, reason: 'this confirmation was asked for in Slack: only someone allowed to confirm (CRDB_TLS_SLACK_CONFIRMERS) can confirm it, with the Confirm button on its message in Slack' };
      if (b.four_eyes && c.assessment.severity === 'high' && slackClicker === c.requester) return { ok: false, reason: 'four-eyes: whoever asked for a high-severity action cannot also confirm it' };
      return { ok: true, from: ['pending'], confirmed: { confirmer: slackClicker, channel: 'slack', self_confirmed: slackClicker === c.requester } };
    }
    if (slackClicker || this.settings.face !== b.face || ctx.requester !== c.requester) {
      return { ok: false, reason: `this confirmation was asked for over ${b.face} by ${c.requester}; only that requester can use it, after a person approved it` };
    }
    if (c.state === 'approved' && c.approval) {
      return { ok: true, from: ['approved'], confirmed: { confirmer: c.approval.by, channel: c.approval.channel, self_confirmed: c.approval.by === c.requester } };
    }
    if (b.redeem === 'assistant') return { ok: true, from: ['pending'], confirmed: { confirmer: ctx.requester, channel: 'assistant', self_confirmed: true } };
    const how = [b.approve_via.includes('terminal') ? `\`${this.approveCommand(c.id)}\` in a terminal of ${b.origin.os_user} on ${b.origin.host}` : '', b.approve_via.includes('slack') ? `\`/crdb-tls approve ${confirmationRef(c.id)}\` in Slack by an allowed confirmer` : ''].filter(Boolean);
    return { ok: false, reason: `no person has approved this confirmation yet; passing the id back is not a confirmation. The person approves it with ${how.join(' or ') || 'nothing: no channel is configured'}, then call again with the id` };
  }

  /** Consumes the confirmation once, then checks the world is as it was when the person agreed. */
  private async redeem(tool: GatedTool, hash: string, assessment: Assessment, id: string, ctx: GateContext): Promise<GateDecision> {
    const found = await this.store.getConfirmation(id);
    if (!found) return refused(explainConsumeFailure('not_found'), assessment);
    // Used, declined or expired: nobody can redeem it any more, and the answer says which.
    if (found.state === 'consumed') return refused(explainConsumeFailure('already_used'), assessment);
    if (found.state === 'declined') return refused(explainConsumeFailure('declined'), assessment);
    if (Date.parse(found.expires_at) <= this.now().getTime()) return refused(explainConsumeFailure('expired'), assessment);
    const route = this.route(found, ctx);
    if (!route.ok) return refused(`${route.reason}; nothing was done`, assessment);
    const outcome = await this.store.consumeConfirmation({ id, tool: tool.name, inputHash: hash, consumer: route.confirmed.confirmer, now: this.now(), from: route.from });
    if (!outcome.ok) return refused(explainConsumeFailure(outcome.reason), assessment);
    const agreed = outcome.confirmation.assessment;
    if (agreed.state_fingerprint !== assessment.state_fingerprint || agreed.severity !== assessment.severity) {
      return refused(`the world changed since the confirmation was given (${agreed.severity === assessment.severity ? 'the files it read are different now' : `severity was ${agreed.severity}, now ${assessment.severity}`}); nothing was done — plan again and ask for a new confirmation`, assessment);
    }
    // The person who asked stays the requester; whoever agreed is the confirmer.
    return { proceed: true, confirmed: route.confirmed, confirmationId: id, requester: outcome.confirmation.requester };
  }
}
