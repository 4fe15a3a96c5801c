/** Latency and throughput summaries for the benchmarks. Latencies are in nanoseconds (hrtime). */

export interface RunSummary {
  ops: number;
  errors: number;
  durationMs: number;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
}

/** The q-quantile (0..1) of an ascending-sorted array, nearest-rank. */
export function quantile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(latNs: Float64Array, ops: number, errors: number, durationMs: number): RunSummary {
  const sorted = latNs.slice(0, ops).sort();
  return {
    ops,
    errors,
    durationMs,
    opsPerSec: (ops / durationMs) * 1000,
    p50Us: quantile(sorted, 0.5) / 1000,
    p99Us: quantile(sorted, 0.99) / 1000,
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The median round of several, field by field (each field's own median). */
export function medianOf(rounds: RunSummary[]): RunSummary {
  return {
    ops: median(rounds.map((r) => r.ops)),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    durationMs: median(rounds.map((r) => r.durationMs)),
    opsPerSec: median(rounds.map((r) => r.opsPerSec)),
    p50Us: median(rounds.map((r) => r.p50Us)),
    p99Us: median(rounds.map((r) => r.p99Us)),
  };
}
