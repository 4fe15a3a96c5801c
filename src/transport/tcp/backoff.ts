import type { Random } from '../../clock/clock.js';

/**
 * Delay before re-dialing an address after `failures` consecutive failed dials: doubling from
 * `minMs`, capped at `maxMs`, with "equal jitter" (uniform in [d/2, d]) so that members that lost
 * the same peer at the same moment do not re-dial it in lockstep.
 */
export function backoffDelayMs(failures: number, minMs: number, maxMs: number, random: Random): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const d = Math.min(maxMs, minMs * 2 ** exponent);
  return d / 2 + random.float() * (d / 2);
}
