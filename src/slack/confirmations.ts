/**
 * The gate in Slack (DESIGN.md §3): a gated call's Confirm / Cancel buttons, and what a click on
 * them does. The pending confirmation holds only the hash of the call's input, so the exact input
 * is kept beside it in the store (Store.savePendingCall), keyed by the confirmation id: in the
 * process with the embedded store, in PostgreSQL/CockroachDB with CRDB_TLS_DATABASE_URL, so that
 * a click reaching any replica can replay the same call. The button carries only the id: the
 * input never travels through Slack's client, and a click cannot change it.
 *
 * Policy is checked here, before the call is replayed, so that a refused click does not use up
 * the confirmation: the clicker must be allowed (CRDB_TLS_SLACK_CONFIRMERS: user ids, or members
 * of a user group), and in four-eyes mode (CRDB_TLS_FOUR_EYES) a high-severity call needs someone
 * other than who asked. Every refusal is an audit event; the gate then consumes the confirmation
 * once across replicas and the runner audits requester and confirmer apart.
 */
import { publicInputSchema } from '../core/envelope.js';
import { inputHash } from '../gate/gate.js';
import { explainConsumeFailure, type ConsumeOutcome } from '../store/types.js';
import type { Severity } from '../core/tool.js';
import { requesterOf, type FaceCore, type GatedCall } from './face-core.js';
import type { Issuance } from './issuance.js';
import type { SlackPolicy } from './policy.js';
import type { Block } from './render/blocks.js';
import { renderConfirmationEnd, renderConfirmationRequest, type ConfirmationView } from './render/confirmation.js';
import { renderProblem } from './render/outcome.js';
import { Reply, type ReplyTarget } from './reply.js';

/** Every answer the gate gives when a confirmation cannot be used: nothing was consumed, nothing changed. */
const UNUSABLE = new Set((['not_found', 'already_used', 'declined', 'expired', 'other_input'] as Array<Exclude<ConsumeOutcome, { ok: true }>['reason']>).map(explainConsumeFailure));

const ALREADY_USED = explainConsumeFailure('already_used');

/** What the store keeps beside a pending confirmation for Slack (PendingCall.payload). */
export interface SlackPendingPayload {
  tool: string;
  input: Record<string, unknown>;
  /** The Slack user who asked. */
  requester: string;
  severity: Severity;
  channel: string;
  /** The confirmation message (its buttons) and its thread. */
  message_ts: string;
  thread_ts: string | null;
  view: ConfirmationView;
  /** Set for a certificate from a CSR: the CSR, so that any replica can put it back where the input names it. */
  csr_pem?: string;
}

export interface Click {
  confirmationId: string;
  user: string;
  channel: string;
  messageTs: string;
}

export class Confirmations {
  constructor(
    private readonly face: FaceCore,
    private readonly policy: SlackPolicy,
    private readonly issuance: Issuance,
  ) {}

  /** Keeps the exact call beside the confirmation and shows the impact with Confirm / Cancel. */
  async ask(call: GatedCall): Promise<void> {
    const { reply, confirmation: c } = call;
    if (!reply.messageTs) {
      // Only a message in the channel can carry buttons others may press.
      await reply.finish(renderProblem('✋ Invite me to this channel first', `${call.tool.title} needs a confirmation (${c.severity}) that someone allowed must give in the channel, and I cannot post here. Nothing was changed.`, 'Type /invite @crdb-tls, then ask again.'));
      return;
    }
    const view: ConfirmationView = {
      tool: call.tool.name,
      toolTitle: call.tool.title,
      request: call.request,
      id: c.id,
      severity: c.severity,
      impact: c.impact,
      changes: c.changes,
      rollback: c.rollback,
      expiresAt: c.expires_at,
      requester: call.user,
      policy: this.policy.describe(c.severity, call.user),
    };
    const payload: SlackPendingPayload = {
      tool: call.tool.name,
      input: call.input,
      requester: call.user,
      severity: c.severity,
      channel: reply.target.channel,
      message_ts: reply.messageTs,
      thread_ts: reply.target.threadTs ?? null,
      view,
      ...(call.csrPem ? { csr_pem: call.csrPem } : {}),
    };
    await this.face.runtime.runner.store.savePendingCall({ confirmation_id: c.id, face: 'slack', payload: payload as unknown as Record<string, unknown>, expires_at: c.expires_at });
    await reply.finish(renderConfirmationRequest(view));
  }

  private async load(click: Click): Promise<SlackPendingPayload | undefined> {
    const call = await this.face.runtime.runner.store.pendingCall(click.confirmationId);
    if (call?.face !== 'slack') {
      this.face.log.warn({ confirmation: click.confirmationId, user: click.user }, 'click on an unknown or long-expired confirmation');
      await this.whisper(click, '🤷 This confirmation is unknown here or expired long ago; nothing was done. Ask again.');
      return undefined;
    }
    return call.payload as unknown as SlackPendingPayload;
  }

  private whisper(click: Click, text: string): Promise<void> {
    return this.face.api.postEphemeral({ channel: click.channel, user: click.user, text });
  }

  /** The hash the runner binds this call to (its input as validated, defaults applied), so audit lines of one call agree. */
  private hashOf(p: SlackPendingPayload): string {
    const tool = this.face.tool(p.tool);
    const parsed = tool ? publicInputSchema(tool).safeParse(p.input) : undefined;
    if (!parsed?.success) return inputHash(p.tool, p.input);
    const { confirmation_id: _id, dry_run: _dry, ...input } = parsed.data as Record<string, unknown>;
    return inputHash(p.tool, input);
  }

  /** What a click did to a pending request, in the audit trail: the requester, and the clicker as confirmer. */
  private async auditClick(event: 'refused' | 'declined', click: Click, p: SlackPendingPayload, detail: Record<string, unknown>): Promise<void> {
    await this.face.runtime.runner.store.appendAudit({
      event,
      tool: p.tool,
      requester: requesterOf(p.requester),
      confirmer: requesterOf(click.user),
      severity: p.severity,
      confirmation_id: click.confirmationId,
      input_hash: this.hashOf(p),
      detail,
    });
  }

  /** A refusal of this click: told to the clicker alone, kept in the audit trail; the confirmation stays usable. */
  private async refuse(click: Click, p: SlackPendingPayload, reason: string): Promise<void> {
    await this.auditClick('refused', click, p, { stage: 'slack_policy', reason, channel: click.channel });
    await this.whisper(click, `⛔ ${reason} Nothing was done; the request still waits for someone allowed.`);
  }

  private target(p: SlackPendingPayload, user: string): ReplyTarget {
    return { channel: p.channel, ...(p.thread_ts ? { threadTs: p.thread_ts } : {}), user };
  }

  /** Clicks on one confirmation in this process, one at a time (a double click, or several people at once). */
  private readonly clicking = new Map<string, Promise<void>>();

  /**
   * One click at a time per confirmation on this replica: a second click waits for the first and
   * then finds it used. Clicks on several replicas meet in the store, which consumes it once.
   */
  async confirm(click: Click): Promise<void> {
    const previous = this.clicking.get(click.confirmationId) ?? Promise.resolve();
    const mine = previous.then(() => this.confirmAlone(click));
    const settled = mine.catch(() => undefined);
    this.clicking.set(click.confirmationId, settled);
    try {
      await mine;
    } finally {
      if (this.clicking.get(click.confirmationId) === settled) this.clicking.delete(click.confirmationId);
    }
  }

  /** Used by someone else meanwhile (on another replica): this click's failure is not the request's. */
  private async usedByAnother(click: Click): Promise<boolean> {
    const now = await this.face.runtime.runner.store.getConfirmation(click.confirmationId);
    return now?.state === 'consumed' && now.consumed_by !== requesterOf(click.user);
  }

  private async confirmAlone(click: Click): Promise<void> {
    const p = await this.load(click);
    if (!p) return;
    if (!(await this.policy.mayConfirm(click.user))) {
      await this.refuse(click, p, `<@${click.user}> may not confirm actions from Slack (CRDB_TLS_SLACK_CONFIRMERS).`);
      return;
    }
    if (this.face.config.fourEyes && p.severity === 'high' && click.user === p.requester) {
      await this.refuse(click, p, `Four-eyes: <@${click.user}> asked for this high-severity action and cannot also confirm it.`);
      return;
    }
    const tool = this.face.tool(p.tool);
    if (!tool) {
      await this.whisper(click, `⛔ ${p.tool} is not available now (read-only mode?); nothing was done.`);
      return;
    }
    // Used already: answer so without putting its CSR back or replaying the call.
    if ((await this.face.runtime.runner.store.getConfirmation(click.confirmationId))?.state === 'consumed') {
      await this.whisper(click, `Nothing was done: ${ALREADY_USED}.`);
      return;
    }
    const reply = Reply.onMessage(this.face.api, this.face.log, this.target(p, click.user), p.message_ts);
    const paths = p.csr_pem !== undefined ? await this.issuance.restore(p.input, p.csr_pem) : undefined;
    // The policy was checked above: this click is what may redeem a Slack-issued confirmation (the gate checks four-eyes again).
    const ctx = { ...this.face.context(click.user, { reply, ...(paths ? { paths } : {}) }), confirmedInSlackBy: requesterOf(click.user) };
    const outcome = await this.face.runtime.runner.run(tool, { ...p.input, confirmation_id: click.confirmationId }, ctx);
    if (!outcome.ok) {
      // Another replica's click ran it and took its files away under this one: that one's message stands.
      if (await this.usedByAnother(click)) {
        await this.whisper(click, `Nothing was done: ${ALREADY_USED}.`);
        return;
      }
      if (p.csr_pem !== undefined) await this.issuance.cleanUp(p.input);
      await reply.finish(renderConfirmationEnd(p.view, { kind: 'failed', by: click.user, message: `${outcome.error.message}${outcome.error.hint ? ` — ${outcome.error.hint}` : ''}` }));
      return;
    }
    const output = outcome.output;
    if (output.status === 'refused') {
      const reason = String(output.reason ?? 'refused');
      if (UNUSABLE.has(reason)) {
        // Used, cancelled or expired already: this click changes nothing, the message stays as it is.
        // The CSR put back for it goes again, unless another click is using it right now (already used).
        if (p.csr_pem !== undefined && reason !== ALREADY_USED) await this.issuance.cleanUp({ csr: p.input.csr });
        await this.whisper(click, `Nothing was done: ${reason}.`);
        return;
      }
      if (p.csr_pem !== undefined) await this.issuance.cleanUp(p.input);
      await reply.finish(renderConfirmationEnd(p.view, { kind: 'refused', by: click.user, reason }));
      return;
    }
    let extra: Block[] = [];
    if (p.csr_pem !== undefined) extra = await this.issuance.deliver(p.input);
    await reply.finish(renderConfirmationEnd(p.view, { kind: 'done', by: click.user, summary: outcome.text, extra }));
  }

  async cancel(click: Click): Promise<void> {
    const p = await this.load(click);
    if (!p) return;
    if (click.user !== p.requester && !(await this.policy.mayConfirm(click.user))) {
      await this.refuse(click, p, `<@${click.user}> may not cancel this: only <@${p.requester}>, who asked, or someone allowed to confirm.`);
      return;
    }
    const store = this.face.runtime.runner.store;
    const declined = await store.declineConfirmation(click.confirmationId, requesterOf(click.user));
    if (!declined) {
      await this.whisper(click, 'Nothing to cancel: this request was already confirmed, cancelled or has expired.');
      return;
    }
    await this.auditClick('declined', click, p, { stage: 'slack_cancel', reason: `cancelled in Slack by ${click.user}` });
    if (p.csr_pem !== undefined) await this.issuance.cleanUp(p.input);
    const reply = Reply.onMessage(this.face.api, this.face.log, this.target(p, click.user), p.message_ts);
    await reply.finish(renderConfirmationEnd(p.view, { kind: 'cancelled', by: click.user }));
  }
}
