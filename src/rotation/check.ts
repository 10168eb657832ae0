import * as z from 'zod';
import { Inventory, InventoryItem, isDue } from './items.js';

/**
 * `crdb-tls rotate check`: the inventory judged against a window, with an answer a scheduler can
 * use (like `step certificate needs-renewal`): nothing due, something due, or the check could not
 * see everything it was asked to look at (an unreadable certificate counts: it is never skipped).
 */

export const CheckResult = z.enum(['nothing_due', 'due', 'error']);
export type CheckResult = z.infer<typeof CheckResult>;

/** Exit codes for schedulers: 0 nothing due, 1 something due within the window, 2 error. */
export const CHECK_EXIT: Record<CheckResult, number> = { nothing_due: 0, due: 1, error: 2 };

export const CheckReport = z.object({
  result: CheckResult.describe('error wins over due: a check that could not read a source or a certificate is not a clean bill of health'),
  exit_code: z.number().int().describe('0 nothing due, 1 something due within the window, 2 error'),
  within_days: z.number(),
  due: z.array(InventoryItem).describe('Certificates expiring within the window (expired ones included), soonest first'),
  errors: z.array(z.object({ source: z.string(), location: z.string(), message: z.string() })),
  inventory: Inventory,
});
export type CheckReport = z.infer<typeof CheckReport>;

export function judge(inventory: Inventory, withinDays: number): CheckReport {
  const due = inventory.items.filter((item) => isDue(item, withinDays)).sort((a, b) => (a.seconds_left ?? 0) - (b.seconds_left ?? 0));
  const errors = [
    ...inventory.sources.filter((s) => s.error !== null).map((s) => ({ source: s.source, location: s.location, message: s.error! })),
    ...inventory.items.filter((i) => i.status === 'error').map((i) => ({ source: i.source, location: i.path ?? i.location, message: i.error ?? 'unreadable' })),
  ];
  const result: CheckResult = errors.length > 0 ? 'error' : due.length > 0 ? 'due' : 'nothing_due';
  return { result, exit_code: CHECK_EXIT[result], within_days: withinDays, due, errors, inventory };
}
