/**
 * At most one action per key per interval (unsolicited messages to one member: out-of-turn probes,
 * repairs, corrections). Bounded: beyond `maxKeys` tracked keys new ones are refused until pruned.
 */
export class RateLimit {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxKeys: number,
  ) {}

  /** True (and counts it) if `key` may act at `nowMs`. */
  tryAcquire(key: string, nowMs: number): boolean {
    const at = this.last.get(key);
    if (at !== undefined ? nowMs - at < this.intervalMs : this.last.size >= this.maxKeys) return false;
    this.last.set(key, nowMs);
    return true;
  }

  /** Forgets keys whose interval is over (they may act again anyway). */
  prune(nowMs: number): void {
    for (const [key, at] of this.last) if (nowMs - at >= this.intervalMs) this.last.delete(key);
  }
}
