/**
 * Which holder of each partition is its primary. Moving the primary role between holders moves
 * no data, so balancing primaries is free in bytes; what it costs is a role handoff on a
 * partition that was serving fine. Hence the order of preference:
 *   1. a dead primary's first surviving backup takes over (failover, DESIGN.md §7), locked;
 *   2. a surviving primary keeps its partitions;
 *   3. then every member is brought within floor..ceil of partitions/members by moving roles
 *      along cheapest paths (see cost()): taking the role from a primary kept under 2. is
 *      expensive, from one that changes anyway (a new row) free, and handing it to a holder
 *      that has no data yet costs more than a role swap between existing copies.
 * Locked promotions are only broken if balance is impossible otherwise (several members lost at
 * once, all backed up by the same survivor).
 */
import type { Layout } from './layout.js';

export function choosePrimaries(layout: Layout): Int32Array {
  const { partitions: P, memberCount: n } = layout;
  const primary = new Int32Array(P).fill(-1);
  const count = new Int32Array(n);
  for (let p = 0; p < P; p++) {
    const row = layout.rows[p]!;
    if (row.length === 0) continue;
    const promoted = layout.promoted[p]!;
    const previous = layout.previousPrimary[p]!;
    const m = promoted >= 0 && row.includes(promoted) ? promoted : previous >= 0 && row.includes(previous) ? previous : row[0]!;
    primary[p] = m;
    count[m]!++;
  }
  if (layout.copies === 0) return primary;
  const low = Math.floor(P / n);
  const high = Math.ceil(P / n);
  const balancer = new PrimaryBalancer(layout, primary, count);
  for (const keepPromotions of [true, false]) {
    if (balancer.balance(low, high, keepPromotions)) break;
  }
  return primary;
}

class PrimaryBalancer {
  constructor(
    private readonly layout: Layout,
    private readonly primary: Int32Array,
    private readonly count: Int32Array,
  ) {}

  /** Returns whether every member ends within low..high. */
  balance(low: number, high: number, keepPromotions: boolean): boolean {
    const n = this.layout.memberCount;
    for (let m = 0; m < n; m++) {
      while (this.count[m]! > high && this.search(m, 'push', (v) => this.count[v]! < high, keepPromotions));
    }
    for (let m = 0; m < n; m++) {
      while (this.count[m]! < low && this.search(m, 'pull', (v) => this.count[v]! > low, keepPromotions));
    }
    for (let m = 0; m < n; m++) if (this.count[m]! < low || this.count[m]! > high) return false;
    return true;
  }

  /**
   * Cost of handing the primary role of p to `receiver`: 2 if it takes the role from a primary
   * that was kept (a handoff on a partition that was serving fine), plus 3 if the receiver has
   * no data yet (it only gets its copy in this table, so the switch must wait for a stream):
   * one such move costs more than one role swap, so swaps between existing copies win.
   */
  private cost(p: number, receiver: number): number {
    const m = this.primary[p]!;
    const kept = m === this.layout.previousPrimary[p] || m === this.layout.promoted[p];
    return (kept ? 2 : 0) + (this.layout.carried[p]!.includes(receiver) ? 0 : 3);
  }

  /**
   * Cheapest path from `from` (Dijkstra with a bucket queue: costs are small integers).
   * 'push': an edge u→v is a partition whose primary u hands the role to holder v; the member
   * found gains one primary and `from` loses one. 'pull': an edge u→v is a partition held by u
   * whose primary v hands the role to u; `from` gains one, the member found loses one.
   */
  private search(from: number, direction: 'push' | 'pull', isGoal: (m: number) => boolean, keepPromotions: boolean): boolean {
    const { partitions: P, memberCount: n, rows } = this.layout;
    const dist = new Int32Array(n).fill(0x7fffffff);
    const viaRow = new Int32Array(n).fill(-1);
    const viaMember = new Int32Array(n).fill(-1);
    const done = new Uint8Array(n);
    const buckets: number[][] = [[from]];
    dist[from] = 0;
    const relax = (u: number, v: number, p: number, receiver: number): void => {
      if (v === u) return;
      const d = dist[u]! + this.cost(p, receiver);
      if (d >= dist[v]!) return;
      dist[v] = d;
      viaRow[v] = p;
      viaMember[v] = u;
      while (buckets.length <= d) buckets.push([]);
      buckets[d]!.push(v);
    };
    for (let d = 0; d < buckets.length; d++) {
      for (let i = 0; i < buckets[d]!.length; i++) {
        const u = buckets[d]![i]!;
        if (done[u] || dist[u] !== d) continue;
        done[u] = 1;
        if (u !== from && isGoal(u)) {
          this.apply(from, u, direction, viaRow, viaMember);
          return true;
        }
        for (let p = 0; p < P; p++) {
          if (keepPromotions && this.layout.promoted[p] === this.primary[p]) continue;
          const row = rows[p]!;
          if (direction === 'push') {
            if (this.primary[p] === u) for (const v of row) relax(u, v, p, v);
          } else if (this.primary[p] !== u && row.includes(u)) {
            relax(u, this.primary[p]!, p, u);
          }
        }
      }
    }
    return false;
  }

  private apply(from: number, goal: number, direction: 'push' | 'pull', viaRow: Int32Array, viaMember: Int32Array): void {
    for (let v = goal; v !== from; v = viaMember[v]!) {
      const p = viaRow[v]!;
      const u = viaMember[v]!;
      const [gainer, loser] = direction === 'push' ? [v, u] : [u, v];
      if (this.primary[p] !== loser) throw new Error(`placement invariant: stale path at partition ${p}`);
      this.primary[p] = gainer;
      this.count[gainer]!++;
      this.count[loser]!--;
    }
  }
}
