/**
 * SWIM round-robin probe target selection: members are probed in a random order, each once per
 * round, and the list is reshuffled at the end of a round. New members go in at a random position.
 * This bounds the time until a failed member is probed by any one prober to 2(n − 1) − 1 periods
 * (uniformly random choice would only bound the expectation).
 */
import type { Random } from '../clock/clock.js';

export class ProbeOrder {
  private ids: string[] = [];
  private index = 0;

  constructor(private readonly random: Random) {}

  has(id: string): boolean {
    return this.ids.includes(id);
  }

  add(id: string): void {
    if (this.has(id)) return;
    const at = this.random.int(this.ids.length + 1);
    this.ids.splice(at, 0, id);
    if (at < this.index) this.index++;
  }

  remove(id: string): void {
    const at = this.ids.indexOf(id);
    if (at === -1) return;
    this.ids.splice(at, 1);
    if (at < this.index) this.index--;
  }

  /** The next member to probe for which `eligible` holds, or undefined if none is. */
  next(eligible: (id: string) => boolean): string | undefined {
    for (let tries = 0; tries <= this.ids.length; tries++) {
      if (this.index >= this.ids.length) {
        shuffle(this.ids, this.random);
        this.index = 0;
      }
      const id = this.ids[this.index++];
      if (id !== undefined && eligible(id)) return id;
    }
    return undefined;
  }
}

/** Fisher–Yates in place. */
export function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
  return items;
}

/** Up to k distinct random items. */
export function sample<T>(items: readonly T[], k: number, random: Random): T[] {
  const pool = items.slice();
  const n = Math.min(k, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + random.int(pool.length - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, n);
}
