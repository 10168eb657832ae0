import type { ApplyResult } from './apply.js';
import type { RollbackResult } from './rollback.js';
import type { CheckReport } from './check.js';
import type { Inventory, InventoryItem } from './items.js';
import type { PlanView } from './steps.js';

/** Plans and inventories for people: a table, and a numbered checklist. Tools get the structured data. */

const STATUS_WORD: Record<InventoryItem['status'], string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', expired: 'EXPIRED', error: 'ERROR' };

export function renderInventoryTable(inventory: Inventory, limit = 200): string {
  const header = ['status', 'days', 'expires', 'what', 'where'];
  const sorted = [...inventory.items].sort((a, b) => (a.seconds_left ?? -Infinity) - (b.seconds_left ?? -Infinity));
  const rows = sorted.slice(0, limit).map((i) => [
    STATUS_WORD[i.status],
    i.days_left === null ? '-' : String(i.days_left),
    i.not_after ? i.not_after.slice(0, 10) : '-',
    `${i.what}${i.subject ? ` — ${i.subject}` : ''}${i.error ? ` — ${i.error}` : ''}`,
    i.path ?? i.location,
  ]);
  const widths = header.map((h, c) => Math.min(c === 3 ? 90 : 70, Math.max(h.length, ...rows.map((r) => r[c]!.length))));
  const line = (cells: string[]) => cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ');
  const out = [line(header), ...rows.map(line)];
  if (sorted.length > limit) out.push(`... and ${sorted.length - limit} more (use --json for all)`);
  const c = inventory.counts;
  out.push('', `${inventory.items.length} certificate(s): ${c.ok} ok, ${c.warn} warn (< ${inventory.thresholds.warn_days} days), ${c.fail} fail (< ${inventory.thresholds.fail_days} days), ${c.expired} expired, ${c.error} unreadable.`);
  for (const source of inventory.sources) {
    if (source.error) out.push(`ERROR ${source.source} ${source.location}: ${source.error}`);
    for (const note of source.notes) out.push(`note: ${source.location}: ${note}`);
  }
  return out.join('\n');
}

export function renderCheck(report: CheckReport): string {
  const head = {
    nothing_due: `Nothing expires within ${report.within_days} days.`,
    due: `${report.due.length} certificate(s) expire within ${report.within_days} days; the soonest: ${report.due[0]?.what} at ${report.due[0]?.path ?? report.due[0]?.location} (${report.due[0]?.days_left} days).`,
    error: `The check could not read everything (${report.errors.length} error(s))${report.due.length ? `, and ${report.due.length} certificate(s) expire within ${report.within_days} days` : ''}.`,
  }[report.result];
  return [renderInventoryTable(report.inventory), '', head, ...report.errors.map((e) => `  error: ${e.source} ${e.location}: ${e.message}`)].join('\n');
}

const BOX: Record<string, string> = { done: '[x]', pending: '[ ]', failed: '[!]', applying: '[~]', rolling_back: '[~]', rolled_back: '[<]' };
const MODE_WORD = { local: 'crdb-tls carries it out', tool: 'run the tool below', manual: 'by hand' } as const;

export function renderPlan(plan: PlanView): string {
  const out = [
    `Rotation plan ${plan.id} (scope ${plan.scope}, window ${plan.within_days} days) — saved ${plan.store === 'postgres' ? 'in the database' : 'in the state dir'}, ${plan.progress.done}/${plan.progress.total} done`,
    plan.summary,
  ];
  if (plan.due.length > 0) {
    out.push('', 'Due:');
    for (const item of plan.due) out.push(`  - ${item.what}${item.subject ? ` (${item.subject})` : ''} at ${item.path ?? item.location}: ${item.days_left} days, ${item.not_after?.slice(0, 10)}`);
  }
  for (const step of plan.steps) {
    out.push('', `${BOX[step.state.status] ?? '[ ]'} ${step.number}. ${step.title}`);
    out.push(`      ${step.severity.toUpperCase()} severity, ${MODE_WORD[step.mode]}${step.state.status !== 'pending' ? `; ${step.state.status.replace('_', ' ')}${step.state.by ? ` by ${step.state.by}` : ''}${step.state.updated_at ? ` at ${step.state.updated_at}` : ''}` : ''}`);
    out.push(`      why:      ${step.why}`);
    step.commands.forEach((c, i) => out.push(`      ${i === 0 ? 'run:     ' : '         '} ${c}`));
    step.equivalent.forEach((c, i) => out.push(`      ${i === 0 ? 'same as: ' : '         '} ${c}`));
    step.changes.forEach((c, i) => out.push(`      ${i === 0 ? 'changes: ' : '         '} ${c}`));
    step.verify.forEach((c, i) => out.push(`      ${i === 0 ? 'verify:  ' : '         '} ${c}`));
    step.rollback.forEach((c, i) => out.push(`      ${i === 0 ? 'rollback:' : '         '} ${c}`));
    out.push(`      blast radius: ${step.blast_radius.summary}`);
    for (const gone of step.blast_radius.stops_trusted) out.push(`        stops being trusted: ${gone}`);
    if (step.state.error) out.push(`      error: ${step.state.error}`);
    if (step.state.note) out.push(`      note: ${step.state.note}`);
  }
  if (plan.notes.length > 0) out.push('', 'Notes:', ...plan.notes.map((n) => `  - ${n}`));
  if (plan.progress.next_step !== null) out.push('', `Next: step ${plan.progress.next_step}. Show this plan again with crdb-tls rotate show ${plan.id}`);
  return out.join('\n');
}

export function renderApply(result: ApplyResult): string {
  return [
    result.marked_done ? `Step ${result.step.number} marked done: ${result.step.title}` : `Step ${result.step.number} done: ${result.step.title}`,
    ...result.files.map((f) => `  ${f.action} ${f.path}${f.backup ? ` (backup: ${f.backup})` : ''}`),
    ...(result.verification ? [`  checked: ${result.verification}`] : []),
    `${result.progress.done}/${result.progress.total} steps done.${result.next ? ` Next: step ${result.next.number} (${result.next.mode}): ${result.next.title}\n  ${result.next.commands[0] ?? ''}` : ' The plan is complete.'}`,
  ].join('\n');
}

export function renderRollback(result: RollbackResult): string {
  return [
    `Step ${result.step.number} rolled back: ${result.step.title}`,
    ...result.restored.map((f) => `  restored ${f}`),
    ...result.removed.map((f) => `  removed ${f}`),
    ...result.set_aside.map((f) => `  moved aside (not deleted): ${f}`),
    ...(result.note ? [`  ${result.note}`] : []),
    `${result.progress.done}/${result.progress.total} steps done.`,
  ].join('\n');
}
