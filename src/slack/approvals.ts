/**
 * Slack approval of confirmations an MCP client asked for (CRDB_TLS_MCP_CONFIRM=slack, or
 * `person` with a shared database): `/crdb-tls approve <ref>` shows an allowed confirmer what will
 * run, with Approve / Decline; Approve marks the confirmation approved (gate/approval.ts), and the
 * assistant's next call with its id runs it once, through the gate as usual (same input, same
 * state). The approval never runs the call itself and never shows the id: a Slack user, allowed or
 * not, cannot redeem an MCP confirmation, only let its requester go on.
 *
 * Checked on the command and again on the click (the policy may change in between, a click may
 * be forged or replayed): the confirmation is an MCP one that asks for Slack approval
 * (approvalProblem), the user is an allowed confirmer (CRDB_TLS_SLACK_CONFIRMERS) and is not the
 * requester. Every refusal is audited; nothing is consumed by a refusal.
 */
import { approvalProblem, approve, decline } from '../gate/approval.js';
import { confirmationRef } from '../gate/gate.js';
import { CONFIRMATION_ID, type PendingConfirmation, type Store } from '../store/types.js';
import type { Logger } from '../core/log.js';
import type { SlackPolicy } from './policy.js';
import { requesterOf } from './face-core.js';
import { renderMcpApproval, renderMcpApprovalEnd, type McpApprovalView } from './render/approval.js';
import type { Respond } from './reply.js';

/** `approve <ref or id>` as typed after the slash command; undefined for any other command. */
export function parseApproveCommand(text: string): { ref: string } | { usage: string } | undefined {
  const match = /^approve\b\s*(.*)$/is.exec(text.trim());
  if (!match) return undefined;
  const word = match[1]!.trim();
  if (/^(ref_[0-9a-f]{16}|cf_[A-Za-z0-9_-]{16,64})$/.test(word)) return { ref: word };
  return { usage: 'Usage: `approve <ref>` with the reference (ref_…) or id (cf_…) the assistant showed. It lets an assistant\'s waiting change run once; nothing runs from here.' };
}

export interface ApprovalRequest {
  ref: string;
  user: string;
  channel: string;
  respond: Respond;
}

export class McpApprovals {
  constructor(
    private readonly store: Store,
    private readonly policy: SlackPolicy,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The confirmation named by a reference or an id, while it is still open. */
  private async find(ref: string): Promise<PendingConfirmation | undefined> {
    if (CONFIRMATION_ID.test(ref)) return this.store.getConfirmation(ref);
    return (await this.store.openConfirmations(this.now())).find((c) => confirmationRef(c.id) === ref);
  }

  private view(c: PendingConfirmation): McpApprovalView {
    const a = c.assessment;
    return { ref: confirmationRef(c.id), tool: c.tool, requester: c.requester, face: c.binding.face, severity: a.severity, impact: a.impact, changes: a.changes, rollback: a.rollback, expiresAt: c.expires_at };
  }

  /** Why `user` may not approve `c` now (audited when c is known), or undefined. */
  private async problem(c: PendingConfirmation | undefined, req: ApprovalRequest, stage: string): Promise<string | undefined> {
    if (!c) return 'no waiting confirmation has that reference here (it expired, was settled, or belongs to another database)';
    const state = approvalProblem(c, 'slack', this.now());
    const who = state
      ? undefined
      : !(await this.policy.mayConfirm(req.user))
        ? `<@${req.user}> may not approve changes from Slack (CRDB_TLS_SLACK_CONFIRMERS)`
        : requesterOf(req.user) === c.requester
          ? 'four-eyes: whoever asked for a change cannot also approve it'
          : undefined;
    const reason = state ?? who;
    if (reason) {
      await this.store.appendAudit({
        event: 'refused', tool: c.tool, requester: c.requester, confirmer: requesterOf(req.user), severity: c.assessment.severity, confirmation_id: c.id, input_hash: c.input_hash,
        detail: { stage, channel: 'slack', reason, slack_channel: req.channel },
      });
    }
    return reason;
  }

  private async refuse(req: ApprovalRequest, reason: string): Promise<void> {
    await req.respond({ response_type: 'ephemeral', text: `⛔ Not approved: ${reason}. Nothing was done.` });
  }

  /** `/crdb-tls approve <ref>`: shows the approver alone what will run, with Approve / Decline. */
  async show(req: ApprovalRequest): Promise<void> {
    const c = await this.find(req.ref);
    const reason = await this.problem(c, req, 'slack_approve_command');
    if (reason) return this.refuse(req, reason);
    const message = renderMcpApproval(this.view(c!));
    await req.respond({ response_type: 'ephemeral', text: message.text, blocks: message.blocks });
  }

  /** The Approve button: checked again, then the confirmation is approved (once: a second click finds it approved). */
  async approveClick(req: ApprovalRequest): Promise<void> {
    const c = await this.find(req.ref);
    const reason = await this.problem(c, req, 'slack_approve_click');
    if (reason) return this.refuse(req, reason);
    const confirmation = c!;
    const by = requesterOf(req.user);
    if (!(await approve(this.store, confirmation, { channel: 'slack', by, at: this.now().toISOString() }, this.now(), { slack_channel: req.channel }))) {
      return this.refuse(req, 'it was settled meanwhile (approved, declined, used or expired)');
    }
    this.log.info({ ref: confirmationRef(confirmation.id), tool: confirmation.tool, by }, 'MCP confirmation approved in Slack');
    const message = renderMcpApprovalEnd(this.view(confirmation), { kind: 'approved', by: req.user });
    await req.respond({ response_type: 'ephemeral', replace_original: true, text: message.text, blocks: message.blocks });
  }

  async declineClick(req: ApprovalRequest): Promise<void> {
    const c = await this.find(req.ref);
    const reason = await this.problem(c, req, 'slack_decline_click');
    if (reason) return this.refuse(req, reason);
    if (!(await decline(this.store, c!, requesterOf(req.user), 'slack', { slack_channel: req.channel }))) return this.refuse(req, 'it was settled meanwhile');
    const message = renderMcpApprovalEnd(this.view(c!), { kind: 'declined', by: req.user });
    await req.respond({ response_type: 'ephemeral', replace_original: true, text: message.text, blocks: message.blocks });
  }
}
