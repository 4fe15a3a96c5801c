/**
 * Lifeguard "local health aware suspicion" (LHS): a suspicion starts with the long timeout and
 * shrinks toward the short one as independent members confirm it, so a lone (possibly slow)
 * accuser gives the suspect plenty of time to refute, while a real failure that everybody sees is
 * declared quickly:  timeout(C) = max(min, max − (max − min) · log(C + 1) / log(K + 1)).
 */
export function suspicionTimeoutMs(confirmations: number, expected: number, minMs: number, maxMs: number): number {
  if (expected < 1) return minMs;
  const fraction = Math.log(confirmations + 1) / Math.log(expected + 1);
  return Math.max(minMs, Math.floor(maxMs - fraction * (maxMs - minMs)));
}

export class Suspicion {
  /** Distinct members other than the first accuser that also suspected the member. */
  private readonly confirmedBy = new Set<string>();
  /** Set once when the deadline was handled late because this process stalled (see membership.ts). */
  graceUntilMs: number | null = null;

  constructor(
    readonly startedMs: number,
    readonly incarnation: number,
    /** The member whose accusation started it; never counted as a confirmation. */
    readonly accuser: string,
    readonly expected: number,
    readonly minMs: number,
    readonly maxMs: number,
  ) {}

  get confirmations(): number {
    return this.confirmedBy.size;
  }

  /** Records an independent accusation; true if it was new (and so worth re-gossiping). */
  confirm(by: string): boolean {
    if (by === this.accuser || this.confirmedBy.has(by) || this.confirmedBy.size >= this.expected) return false;
    this.confirmedBy.add(by);
    return true;
  }

  deadlineMs(): number {
    const due = this.startedMs + suspicionTimeoutMs(this.confirmedBy.size, this.expected, this.minMs, this.maxMs);
    return this.graceUntilMs === null ? due : Math.max(due, this.graceUntilMs);
  }
}
