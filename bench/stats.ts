// Order statistics for benchmark samples (milliseconds). No dependencies.

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  p90: number;
}

/** The q-quantile (0..1) of sorted values, interpolating linearly between neighbours. */
function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) throw new Error('no samples');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, median: quantile(sorted, 0.5), min: sorted[0] ?? NaN, max: sorted[sorted.length - 1] ?? NaN, p90: quantile(sorted, 0.9) };
}

/** 0.42 ms, 4.2 ms, 42 ms, 4,200 ms: enough digits to compare, no false precision. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms).toLocaleString('en-US')} ms`;
}
