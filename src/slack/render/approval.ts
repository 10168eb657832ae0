/**
 * A person's approval in Slack of a change an assistant asked for over MCP (`/crdb-tls approve
 * <ref>`): what will run, who asked, and Approve / Decline buttons, shown to the approver alone.
 * The buttons carry the confirmation's reference (ref_…), never its id: the id is the
 * requester's, and nothing shown in Slack can redeem it.
 */
import type { Severity } from '../../core/tool.js';
import { escapeMrkdwn } from '../text.js';
import { actions, button, confirmDialog, context, fallbackText, header, sections, type Block, type SlackMessage } from './blocks.js';

export const APPROVE_MCP_ACTION = 'crdb_tls_approve_mcp';
export const DECLINE_MCP_ACTION = 'crdb_tls_decline_mcp';

export interface McpApprovalView {
  ref: string;
  tool: string;
  requester: string;
  face: string;
  severity: Severity;
  impact: string;
  changes: string[];
  rollback: string;
  expiresAt: string;
}

const SEVERITY_ICON: Record<Severity, string> = { high: '🔴', medium: '🟠', low: '🟢' };

function impact(v: McpApprovalView): Block[] {
  return [
    ...sections(`*Impact*\n${escapeMrkdwn(v.impact)}`),
    ...sections(`*Changes*\n${v.changes.map((c) => `• ${escapeMrkdwn(c)}`).join('\n') || '_none listed_'}`),
    ...sections(`*Rollback*\n${escapeMrkdwn(v.rollback)}`),
  ];
}

export function renderMcpApproval(v: McpApprovalView): SlackMessage {
  const dialog = confirmDialog(`Approve ${v.tool}?`, `${SEVERITY_ICON[v.severity]} *${v.severity} severity.* ${escapeMrkdwn(v.impact)}`, 'Approve', 'Back');
  const blocks: Block[] = [
    header(`${SEVERITY_ICON[v.severity]} Approve: ${v.tool}, asked for by an assistant`),
    context(`asked by \`${escapeMrkdwn(v.requester)}\` over ${escapeMrkdwn(v.face)}`, `severity *${v.severity}*`, `until ${escapeMrkdwn(v.expiresAt)}`, `\`${v.ref}\``),
    ...impact(v),
    context('Approving lets the assistant\'s next call with exactly this input run once; it does not run now.'),
    ...actions([button('Approve', APPROVE_MCP_ACTION, v.ref, { style: 'danger', confirm: dialog }), button('Decline', DECLINE_MCP_ACTION, v.ref)], 'crdb_tls_mcp_approval'),
  ];
  return { text: fallbackText(`${v.tool} (${v.severity}) waits for your approval: ${v.impact}`), blocks };
}

export function renderMcpApprovalEnd(v: McpApprovalView, end: { kind: 'approved' | 'declined'; by: string }): SlackMessage {
  const title = end.kind === 'approved' ? `✅ Approved: ${v.tool}` : `🚫 Declined: ${v.tool}`;
  const what = end.kind === 'approved' ? 'the assistant\'s next call with this input runs it once' : 'it will not run';
  return { text: fallbackText(`${v.tool}: ${end.kind} by ${end.by}; ${what}`), blocks: [header(title), context(`${end.kind} by <@${end.by}>`, what, `\`${v.ref}\``), ...impact(v)] };
}
