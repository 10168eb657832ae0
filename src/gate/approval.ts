/**
 * A person's out-of-band approval of a confirmation the MCP face asked for (DESIGN.md §3): in a
 * terminal of the same OS user (`crdb-tls confirm <id>`), or by an allowed Slack confirmer. The
 * approval only marks the confirmation approved; the requester's next call with the id runs it,
 * once, through the gate as usual (same input, same state).
 */
import type { ConfirmationApproval, PendingConfirmation, Store } from '../store/types.js';
import { explainConsumeFailure } from '../store/types.js';

/** Why this confirmation cannot be approved through `channel` now, or undefined when it can. */
export function approvalProblem(c: PendingConfirmation | undefined, channel: ConfirmationApproval['channel'], now: Date): string | undefined {
  if (!c) return explainConsumeFailure('not_found');
  if (c.state === 'approved') return `this confirmation was already approved (${c.approval?.channel ?? 'unknown channel'}, by ${c.approval?.by ?? 'someone'}); the requester's next call with it runs the action`;
  if (c.state === 'consumed') return explainConsumeFailure('already_used');
  if (c.state === 'declined') return explainConsumeFailure('declined');
  if (Date.parse(c.expires_at) <= now.getTime()) return explainConsumeFailure('expired');
  if (c.binding.redeem === 'slack_click') return channel === 'slack' ? 'this confirmation was asked for in Slack: press Confirm on its message' : 'this confirmation was asked for in Slack: only someone allowed to confirm can, with the Confirm button on its message in Slack';
  if (c.binding.redeem === 'assistant') return 'this confirmation was issued with CRDB_TLS_MCP_CONFIRM=assistant: the requester confirms it by passing the id back; there is nothing to approve';
  if (!c.binding.approve_via.includes(channel)) return `this confirmation can be approved only through ${c.binding.approve_via.join(' or ') || 'no channel'} (CRDB_TLS_MCP_CONFIRM), not ${channel}`;
  return undefined;
}

/** Why a terminal of `me` may not approve `c` (another OS user, another host), or undefined. */
export function terminalProblem(c: PendingConfirmation, me: { os_user: string; host: string }): string | undefined {
  const { os_user: user, host } = c.binding.origin;
  if (user !== me.os_user) return `this confirmation was asked for by a server running as OS user ${user}; approve it in a terminal of ${user} (this one is ${me.os_user})`;
  if (host !== me.host) return `this confirmation was asked for by a server on ${host}; approve it in a terminal there (this one is ${me.host}), or in Slack when it shares the database`;
  return undefined;
}

/** Marks the confirmation approved and records it in the audit trail; false when someone else settled it first. */
export async function approve(store: Store, c: PendingConfirmation, approval: ConfirmationApproval, now: Date, detail: Record<string, unknown> = {}): Promise<boolean> {
  const approved = await store.approveConfirmation(c.id, approval, now);
  if (approved) {
    await store.appendAudit({
      event: 'approved', tool: c.tool, requester: c.requester, confirmer: approval.by, severity: c.assessment.severity, confirmation_id: c.id, input_hash: c.input_hash,
      detail: { channel: approval.channel, self_confirmed: approval.by === c.requester, impact: c.assessment.impact, changes: c.assessment.changes, ...detail },
    });
  }
  return approved;
}

/** Declines it (the requester's call with the id then hears "declined") and records it. */
export async function decline(store: Store, c: PendingConfirmation, by: string, channel: ConfirmationApproval['channel'], detail: Record<string, unknown> = {}): Promise<boolean> {
  const declined = await store.declineConfirmation(c.id, by);
  if (declined) {
    await store.appendAudit({
      event: 'declined', tool: c.tool, requester: c.requester, confirmer: by, severity: c.assessment.severity, confirmation_id: c.id, input_hash: c.input_hash,
      detail: { channel, reason: `declined through ${channel} by ${by}`, ...detail },
    });
  }
  return declined;
}
