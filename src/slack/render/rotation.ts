/**
 * Rotation in Slack: a plan as a checklist (☐ pending, ☑ done, in order, each step with its
 * severity, how it is carried out and its commands), and `rotate check` as a table of what is due.
 */
import type { CheckReport } from '../../rotation/check.js';
import type { PlanView } from '../../rotation/steps.js';
import { textTable } from '../../pki/listing-text.js';
import { clip, codeBlock, escapeMrkdwn } from '../text.js';
import { context, fallbackText, header, sections, type Block, type SlackMessage } from './blocks.js';

const SEVERITY_ICON = { high: '🔴', medium: '🟠', low: '🟢' } as const;
const HOW = { local: 'crdb-tls rotate apply', tool: 'a tool call', manual: 'by hand, then mark it done' } as const;

export function renderPlan(plan: PlanView, plainText: string): SlackMessage {
  const blocks: Block[] = [
    header(`🔁 Rotation plan ${plan.id}`),
    context(`scope *${plan.scope}*`, `window *${plan.within_days} days*`, `${plan.progress.done}/${plan.progress.total} steps done`, `made by ${escapeMrkdwn(plan.created_by)}`),
    ...sections(escapeMrkdwn(plan.summary)),
  ];
  for (const step of plan.steps) {
    const done = step.state.status === 'done';
    const lines = [
      `${done ? '☑' : '☐'} *${step.number}.* ${SEVERITY_ICON[step.severity]} ${escapeMrkdwn(step.title)}  _(${HOW[step.mode]}${step.state.status !== 'pending' && !done ? `, ${step.state.status}` : ''})_`,
      `      ${escapeMrkdwn(clip(step.why, 600))}`,
    ];
    if (step.blast_radius.stops_trusted.length) lines.push(`      ⚠️ ${escapeMrkdwn(clip(step.blast_radius.summary, 400))}`);
    if (step.commands.length) lines.push(codeBlock(step.commands.join('\n')));
    blocks.push(...sections(lines.join('\n')));
  }
  if (plan.notes.length) blocks.push(context(...plan.notes.slice(0, 10).map((n) => escapeMrkdwn(clip(n, 2900)))));
  blocks.push(context(`Carry it out from a shell, one step at a time: \`crdb-tls rotate apply ${escapeMrkdwn(plan.id)} --step N\`; each step is assessed (and confirmed, when it needs it) again when it runs.`));
  return {
    text: fallbackText(`Rotation plan ${plan.id}: ${plan.steps.length} steps`),
    blocks,
    plain: { title: `Rotation plan ${plan.id}`, filename: `rotation-plan-${plan.id}.txt`, content: plainText },
  };
}

export function renderCheck(report: CheckReport, plainText: string): SlackMessage {
  const title = report.result === 'nothing_due'
    ? `✅ Nothing expires within ${report.within_days} days`
    : report.result === 'due'
      ? `⏰ ${report.due.length === 1 ? '1 certificate expires' : `${report.due.length} certificates expire`} within ${report.within_days} days`
      : `⚠️ Expiry check: ${report.errors.length} source${report.errors.length === 1 ? '' : 's'} could not be read`;
  const rows = report.due.map((item) => [item.usage ?? '', clip(item.path?.split('/').pop() ?? item.location, 40), clip(item.subject ?? item.what, 40), item.days_left === null ? '' : String(item.days_left), item.status]);
  const blocks: Block[] = [
    header(title),
    context(`${report.inventory.items.length} certificates looked at`, `${report.inventory.sources.length} sources`),
    ...(rows.length ? sections(codeBlock(textTable(['Usage', 'File / where', 'Subject', 'Days left', 'Status'], rows))) : []),
    ...(report.errors.length ? sections(`*Could not read*\n${report.errors.map((e) => `• ${escapeMrkdwn(e.location)}: ${escapeMrkdwn(e.message)}`).join('\n')}`) : []),
  ];
  return { text: fallbackText(title), blocks, plain: { title: 'Expiry check', filename: 'rotate-check.txt', content: plainText } };
}
