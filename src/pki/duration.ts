import { ToolError } from '../core/errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** The span of JavaScript dates (ECMA-262 §21.4.1.1): about 273,790 years either side of 1970. */
const MAX_DURATION_MS = 8.64e15;

/**
 * Parses durations as `cockroach cert --lifetime` takes them (Go's time.ParseDuration: "87840h",
 * "43920h0m0s", "1.5h") plus a day unit ("90d") that Go lacks but people type for thresholds.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const trimmed = text.trim();
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = pattern.exec(trimmed); match; match = pattern.exec(trimmed)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed = pattern.lastIndex;
  }
  if (trimmed === '' || consumed !== trimmed.length) {
    throw new ToolError('invalid_input', `${what} "${text}" is not a duration`, 'Write it like 87840h, 43920h0m0s or 90d.');
  }
  if (total <= 0) throw new ToolError('invalid_input', `${what} "${text}" must be longer than zero`, 'Write it like 87840h or 90d.');
  // 400 nines parse as Infinity, and anything past JS's date range makes an invalid date later (test/fuzz).
  if (!(total <= MAX_DURATION_MS)) throw new ToolError('invalid_input', `${what} "${text.length > 40 ? `${text.slice(0, 40)}…` : text}" is longer than any date can express`, 'Write it like 87840h or 90d.');
  return total;
}

