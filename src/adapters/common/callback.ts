/**
 * Promise → callback plumbing for the callback-style stores. The callback runs on its own tick,
 * outside the promise chain: an exception thrown by the framework's callback then surfaces like
 * in any callback API instead of turning into an unhandled rejection or a second callback call.
 */
import { SessionMeshError } from '../../errors.js';
import { withHttpStatus } from './http-status.js';

export type Callback<T> = (err: Error | null, value?: T) => void;

/** Calls `cb` (if any) exactly once with the promise's outcome; errors carry an HTTP status. */
export function settle<T>(promise: Promise<T>, cb: Callback<T> | undefined): void {
  promise.then(
    (value) => {
      if (cb) process.nextTick(cb, null, value);
    },
    (err: unknown) => {
      const e = withHttpStatus(err instanceof Error ? err : new Error(String(err)));
      if (cb) process.nextTick(cb, e);
    },
  );
}

/**
 * Rejects with ERR_TIMEOUT if `work` takes longer than `timeoutMs`. Single node ops settle within
 * opTimeoutMs by themselves; this bounds compound ones (list then get/destroy each) as a whole.
 */
export function withDeadline<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SessionMeshError('ERR_TIMEOUT', `${what} did not complete within ${timeoutMs} ms`)), timeoutMs);
    timer.unref?.();
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Runs `fn` over `items` with at most `concurrency` in flight; rejects on the first failure. */
export async function eachLimited<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
