/**
 * A closed-loop load generator: `concurrency` workers each run one operation after another, so at
 * most `concurrency` are in flight. Bounded in both count (`maxOps`) and time (`durationMs`): it
 * always stops by itself.
 */
import { summarize, type RunSummary } from './stats.js';

export interface LoopOptions {
  concurrency: number;
  durationMs: number;
  maxOps: number;
  /** Runs operation number `i` (0-based, unique across workers). */
  op: (i: number) => Promise<unknown>;
}

export async function closedLoop(o: LoopOptions): Promise<RunSummary> {
  const lat = new Float64Array(o.maxOps);
  let next = 0;
  let done = 0;
  let errors = 0;
  let firstError: unknown = null;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(o.durationMs) * 1_000_000n;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (next >= o.maxOps) return;
      const t0 = process.hrtime.bigint();
      if (t0 >= deadline) return;
      const i = next++;
      try {
        await o.op(i);
        lat[done++] = Number(process.hrtime.bigint() - t0);
      } catch (err) {
        errors++;
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const durationMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (errors > 0) console.error(`  ${errors} operations failed; first: ${firstError instanceof Error ? firstError.message : String(firstError)}`);
  return summarize(lat, done, errors, durationMs);
}
