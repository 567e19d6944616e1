// Small statistics helpers: medians and percentiles (nearest rank), formatting.

export function quantile(values: readonly number[], q: number): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  if (v.length === 1) return v[0] as number;
  // linear interpolation between closest ranks
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (v[lo] as number) + ((v[hi] as number) - (v[lo] as number)) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);
export const p95 = (values: readonly number[]): number => quantile(values, 0.95);

export function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

export function fmt(n: number | undefined, digits = 1): string {
  if (n === undefined || !Number.isFinite(n)) return 'n/a';
  return n.toFixed(digits);
}

export const MiB = 2 ** 20;
export const mib = (bytes: number | undefined, digits = 1): string => (bytes === undefined ? 'n/a' : fmt(bytes / MiB, digits));

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
