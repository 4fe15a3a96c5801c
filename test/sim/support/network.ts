/**
 * A seeded model of an unreliable network between simulated processes: per-message delay with
 * jitter (which also reorders), drops, duplicates (soon, or much later), and cuts. It only decides
 * the fate of one message; the simulator that owns the processes delivers it.
 *
 * Connectivity is a relation between endpoints, not only a split into groups: `partition(groups)`
 * is the transitive case; `cut(pairs)` cuts single links, so a bridge (non-transitive) partition
 * where x reaches a and b but a and b do not reach each other is `cut([[a, b]])`.
 */
import type { Random } from '../../../src/clock/clock.js';

export interface NetworkConditions {
  /** Fixed part of the one-way delay. */
  baseDelayMs: number;
  /** Uniform extra delay in [0, jitterMs): messages overtake each other when it is large. */
  jitterMs: number;
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a delivered message is delivered a second time (after its own delay). */
  duplicateRate: number;
  /**
   * Probability that a message the sender marks `late`-duplicable (requests) is delivered once
   * more much later, after lateDuplicateMinMs..lateDuplicateMaxMs: a retry stuck in a queue that
   * arrives when its op was long answered elsewhere. 0 (default) draws no random number, so
   * runs without it replay exactly as before it existed.
   */
  lateDuplicateRate?: number;
  lateDuplicateMinMs?: number;
  lateDuplicateMaxMs?: number;
}

export const lan: NetworkConditions = { baseDelayMs: 0.3, jitterMs: 0.4, dropRate: 0, duplicateRate: 0 };

export class NetworkModel {
  conditions: NetworkConditions;
  /** Group index per endpoint while partitioned; endpoints in no group reach nobody. */
  private groups: Map<string, number> | null = null;
  /** Cut links, as "a|b" with a < b (links are symmetric, like a TCP connection). */
  private readonly cuts = new Set<string>();

  constructor(
    private readonly random: Random,
    conditions: NetworkConditions = lan,
  ) {
    this.conditions = { ...conditions };
  }

  /** A transitive split: endpoints reach exactly the ones in their group (replaces any earlier cut). */
  partition(groups: string[][]): void {
    this.cuts.clear();
    this.groups = new Map();
    groups.forEach((g, i) => g.forEach((endpoint) => this.groups!.set(endpoint, i)));
  }

  /** Cuts single links (added to whatever is cut already). */
  cut(pairs: readonly (readonly [string, string])[]): void {
    for (const [a, b] of pairs) this.cuts.add(linkKey(a, b));
  }

  /** Every link works again. */
  heal(): void {
    this.groups = null;
    this.cuts.clear();
  }

  /** Whether anything is cut now. */
  get partitioned(): boolean {
    return this.groups !== null || this.cuts.size > 0;
  }

  connected(a: string, b: string): boolean {
    if (a === b) return true;
    if (this.cuts.has(linkKey(a, b))) return false;
    if (this.groups === null) return true;
    const ga = this.groups.get(a);
    return ga !== undefined && ga === this.groups.get(b);
  }

  /**
   * Delivery delays for one message from a to b: [] lost, [d] once, [d1, d2] duplicated; a
   * `late` message may get one more, much later delay.
   */
  fate(a: string, b: string, late = false): number[] {
    if (!this.connected(a, b)) return [];
    const c = this.conditions;
    if (this.random.float() < c.dropRate) return [];
    const delay = () => c.baseDelayMs + this.random.float() * c.jitterMs;
    const delays = this.random.float() < c.duplicateRate ? [delay(), delay()] : [delay()];
    const rate = c.lateDuplicateRate ?? 0;
    if (late && rate > 0 && this.random.float() < rate) {
      const min = c.lateDuplicateMinMs ?? 100;
      const max = c.lateDuplicateMaxMs ?? 3_000;
      delays.push(min + this.random.float() * (max - min));
    }
    return delays;
  }
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
