/**
 * Lifeguard "local health awareness" (LHA): a member that misses Nacks, fails probes, has to refute
 * suspicions of itself or notices its own event loop stalled is probably the slow one, so it gives
 * its peers more time (probe interval and timeout × (health + 1)) instead of accusing them.
 * Successful probes bring it back down. Same scheme as memberlist's `awareness`.
 */
export class LocalHealth {
  private score = 0;

  constructor(private readonly maxMultiplier: number) {}

  /** 0 = healthy; at most maxMultiplier − 1. */
  get value(): number {
    return this.score;
  }

  apply(delta: number): void {
    this.score = Math.min(this.maxMultiplier - 1, Math.max(0, this.score + delta));
  }

  scale(durationMs: number): number {
    return durationMs * (this.score + 1);
  }
}
