/**
 * The gate in Slack (DESIGN.md §3): the impact of the exact call with Confirm / Cancel buttons
 * (Confirm opens a confirm dialog, style danger), and the same message rewritten once someone
 * acted: who asked, who confirmed or cancelled, and how it ended.
 */
import type { Severity } from '../../core/tool.js';
import { clip, codeBlock, escapeMrkdwn } from '../text.js';
import { actions, button, confirmDialog, context, fallbackText, header, sections, type Block, type SlackMessage } from './blocks.js';

export const CONFIRM_ACTION = 'crdb_tls_confirm';
export const CANCEL_ACTION = 'crdb_tls_cancel';

export interface ConfirmationView {
  tool: string;
  toolTitle: string;
  /** What the person asked for, as they would type it (`cloud client-ca remove 5e6b…`). */
  request: string;
  id: string;
  severity: Severity;
  impact: string;
  changes: string[];
  rollback: string;
  expiresAt: string;
  requester: string;
  /** Who may confirm, as mrkdwn (from CRDB_TLS_SLACK_CONFIRMERS and four-eyes; ids need no escaping). */
  policy: string;
}

const SEVERITY_ICON: Record<Severity, string> = { high: '🔴', medium: '🟠', low: '🟢' };

function impactBlocks(v: ConfirmationView): Block[] {
  return [
    ...sections(`*Impact*\n${escapeMrkdwn(v.impact)}`),
    ...sections(`*Changes*\n${v.changes.map((c) => `• ${escapeMrkdwn(c)}`).join('\n') || '_none listed_'}`),
    ...sections(`*Rollback*\n${escapeMrkdwn(v.rollback)}`),
  ];
}

function unixTime(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

export function renderConfirmationRequest(v: ConfirmationView): SlackMessage {
  const dialog = confirmDialog(
    `Confirm ${v.tool}?`,
    `${SEVERITY_ICON[v.severity]} *${v.severity} severity.* ${escapeMrkdwn(v.impact)}`,
    'Confirm',
    'Back',
  );
  const blocks: Block[] = [
    header(`${SEVERITY_ICON[v.severity]} Confirmation needed: ${v.toolTitle}`),
    context(`requested by <@${v.requester}>`, `severity *${v.severity}*`, `\`${escapeMrkdwn(clip(v.request, 200))}\``, `expires <!date^${unixTime(v.expiresAt)}^{time}|${escapeMrkdwn(v.expiresAt)}>`),
    ...impactBlocks(v),
    context(v.policy),
    ...actions(
      [
        button('Confirm', CONFIRM_ACTION, v.id, { style: 'danger', confirm: dialog }),
        button('Cancel', CANCEL_ACTION, v.id),
      ],
      `crdb_tls_gate`,
    ),
  ];
  return { text: fallbackText(`${v.toolTitle} needs confirmation (${v.severity}): ${v.impact}`), blocks };
}

export type ConfirmationEnd =
  | { kind: 'done'; by: string; summary: string; extra?: Block[] }
  | { kind: 'cancelled'; by: string }
  | { kind: 'refused'; by: string; reason: string }
  | { kind: 'failed'; by: string; message: string };

/** The confirmation message once it is settled: the buttons are gone, the outcome is there. */
export function renderConfirmationEnd(v: ConfirmationView, end: ConfirmationEnd): SlackMessage {
  const who = `requested by <@${v.requester}>`;
  let top: Block[];
  let text: string;
  switch (end.kind) {
    case 'done':
      top = [header(`✅ Done: ${v.toolTitle}`), context(who, `confirmed by <@${end.by}>`, `severity *${v.severity}*`, `\`${escapeMrkdwn(clip(v.request, 200))}\``)];
      text = `${v.toolTitle}: done, confirmed by ${end.by}`;
      return { text: fallbackText(text), blocks: [...top, ...sections(codeBlock(end.summary)), ...(end.extra ?? [])] };
    case 'cancelled':
      top = [header(`🚫 Cancelled: ${v.toolTitle}`), context(who, `cancelled by <@${end.by}>`, 'nothing was changed')];
      text = `${v.toolTitle}: cancelled by ${end.by}; nothing was changed`;
      break;
    case 'refused':
      top = [header(`⛔ Not done: ${v.toolTitle}`), context(who, `confirmed by <@${end.by}>`), ...sections(escapeMrkdwn(end.reason))];
      text = `${v.toolTitle}: not done: ${end.reason}`;
      break;
    case 'failed':
      top = [header(`❌ Failed: ${v.toolTitle}`), context(who, `confirmed by <@${end.by}>`), ...sections(escapeMrkdwn(end.message))];
      text = `${v.toolTitle}: failed: ${end.message}`;
      break;
  }
  return { text: fallbackText(text), blocks: [...top, ...impactBlocks(v)] };
}
