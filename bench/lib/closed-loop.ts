/**
 * A closed-loop load generator: `concurrency` workers each run one operation after another, so at
 * most `concurrency` are in flight. Bounded in both count (`maxOps`) and time (`durationMs`): it
 * always stops by itself.
 *
 * The event loop turns at least every `YIELD_EVERY_NS`. An operation that completes without I/O
 * (an in-process Map, a read on the primary) resolves in a microtask, and workers chaining such
 * operations would otherwise never let the loop reach timers and sockets for the whole round. A
 * cluster member in this process then stops answering its peers' probes, is declared dead after
 * ~1 s, and the scenarios after it run on a cluster busy failing over (seen as tables that moved on
 * by 7 epochs after 2 s of such a loop). A real app turns its loop for every request it receives.
 * The pause is outside the per-operation timing and costs every contender the same.
 */
import { summarize, type RunSummary } from './stats.js';

export interface LoopOptions {
  concurrency: number;
  durationMs: number;
  maxOps: number;
  /** Runs operation number `i` (0-based, unique across workers). */
  op: (i: number) => Promise<unknown>;
}

const YIELD_EVERY_NS = 1_000_000n;

export async function closedLoop(o: LoopOptions): Promise<RunSummary> {
  const lat = new Float64Array(o.maxOps);
  let next = 0;
  let done = 0;
  let errors = 0;
  let firstError: unknown = null;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(o.durationMs) * 1_000_000n;
  let yieldAt = start + YIELD_EVERY_NS;
  // While set, every worker waits on it before its next operation: all of them must stop chaining
  // microtasks for the loop to turn.
  let gate: Promise<void> | null = null;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (next >= o.maxOps) return;
      const t0 = process.hrtime.bigint();
      if (t0 >= deadline) return;
      if (t0 >= yieldAt) {
        gate ??= new Promise<void>((resolve) =>
          setImmediate(() => {
            gate = null;
            yieldAt = process.hrtime.bigint() + YIELD_EVERY_NS;
            resolve();
          }),
        );
        await gate;
        continue;
      }
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
