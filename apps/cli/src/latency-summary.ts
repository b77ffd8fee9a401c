export interface Summary {
  p50: number;
  p99: number;
  mean: number;
}

/** p50 and p99 (nearest rank) and the mean of a list of numbers; null when empty. */
export function summarize(values: readonly number[]): Summary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99), mean: values.reduce((s, v) => s + v, 0) / values.length };
}
