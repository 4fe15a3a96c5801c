/**
 * A seeded model of an unreliable network between simulated processes: per-message delay with
 * jitter (which also reorders), drops, duplicates, and partitions into groups. It only decides the
 * fate of one message; the simulator that owns the processes delivers it.
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
}

export const lan: NetworkConditions = { baseDelayMs: 0.3, jitterMs: 0.4, dropRate: 0, duplicateRate: 0 };

export class NetworkModel {
  conditions: NetworkConditions;
  /** Group index per endpoint while partitioned; endpoints in no group reach nobody. */
  private groups: Map<string, number> | null = null;

  constructor(
    private readonly random: Random,
    conditions: NetworkConditions = lan,
  ) {
    this.conditions = { ...conditions };
  }

  partition(groups: string[][]): void {
    this.groups = new Map();
    groups.forEach((g, i) => g.forEach((endpoint) => this.groups!.set(endpoint, i)));
  }

  heal(): void {
    this.groups = null;
  }

  connected(a: string, b: string): boolean {
    if (this.groups === null) return true;
    const ga = this.groups.get(a);
    return ga !== undefined && ga === this.groups.get(b);
  }

  /** Delivery delays for one message from a to b: [] lost, [d] once, [d1, d2] duplicated. */
  fate(a: string, b: string): number[] {
    if (!this.connected(a, b)) return [];
    const c = this.conditions;
    if (this.random.float() < c.dropRate) return [];
    const delay = () => c.baseDelayMs + this.random.float() * c.jitterMs;
    return this.random.float() < c.duplicateRate ? [delay(), delay()] : [delay()];
  }
}
