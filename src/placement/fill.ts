/**
 * Short rows (lost copies, new partitions, shed copies) get holders from members below their
 * copy target: greedily, with augmenting chains when the greedy choice gets stuck.
 */
import { type Layout, addHolder, compareKeys, removeHolder, tiebreak } from './layout.js';

/** Fills every row to `copies` holders from members below target. */
export function fillRows(layout: Layout, target: Int32Array): void {
  const fill = new Fill(layout, target);
  for (let p = 0; p < layout.partitions; p++) {
    while (layout.rows[p]!.length < layout.copies) {
      const m = fill.pick(p);
      if (m >= 0) fill.add(p, m);
      else if (!fill.augment(p, true) && !fill.augment(p, false)) {
        throw new Error(`placement invariant: cannot fill partition ${p}`);
      }
    }
  }
}

class Fill {
  /** Copies still to place per zone: the zone furthest behind is served first. */
  private readonly zoneDeficit: Int32Array;
  private readonly base: number;
  /**
   * pairs[a*n+b]: rows whose first two holders are a then b. The first two holders are the likely
   * primary and first backup, and when a primary dies its first backup takes over: spreading
   * each member's first backups over the others spreads its partitions evenly on failover.
   */
  private readonly pairs: Int32Array;
  /** Rows each member was picked first for: the first holder of a new row is its likely primary. */
  private readonly firsts: Int32Array;
  /**
   * together[a*n+b]: rows held by both a and b. When a member dies, each survivor can only take
   * over its copies of rows the survivor does not hold already; keeping co-occurrence even keeps
   * enough such rows for everyone, so a removal re-places the lost copies without moving others.
   */
  private readonly together: Int32Array;
  private readonly zoneSeen: Uint8Array;
  private readonly keyA = new Float64Array(6);
  private readonly keyB = new Float64Array(6);

  constructor(
    private readonly layout: Layout,
    private readonly target: Int32Array,
  ) {
    this.zoneDeficit = new Int32Array(layout.zoneCount);
    for (let m = 0; m < layout.memberCount; m++) this.zoneDeficit[layout.zoneOf[m]!]! += Math.max(0, this.deficit(m));
    this.base = Math.floor((layout.partitions * layout.copies) / layout.memberCount);
    const n = layout.memberCount;
    this.pairs = new Int32Array(n * n);
    for (const row of layout.rows) if (row.length >= 2) this.pairs[row[0]! * n + row[1]!]!++;
    this.firsts = new Int32Array(n);
    for (const row of layout.rows) if (row.length >= 1) this.firsts[row[0]!]!++;
    this.zoneSeen = new Uint8Array(layout.zoneCount);
    this.together = new Int32Array(n * n);
    for (const row of layout.rows) for (const a of row) for (const b of row) if (a !== b) this.together[a * n + b]!++;
  }

  private deficit(m: number): number {
    return this.target[m]! - this.layout.copyCount[m]!;
  }

  add(p: number, m: number): void {
    const row = this.layout.rows[p]!;
    if (row.length === 0) this.firsts[m]!++;
    if (row.length === 1) this.pairs[row[0]! * this.layout.memberCount + m]!++;
    this.place(p, m);
    this.zoneDeficit[this.layout.zoneOf[m]!]!--;
  }

  private place(p: number, m: number): void {
    const n = this.layout.memberCount;
    for (const h of this.layout.rows[p]!) {
      this.together[h * n + m]!++;
      this.together[m * n + h]!++;
    }
    addHolder(this.layout, p, m);
  }

  private unplace(p: number, m: number): void {
    removeHolder(this.layout, p, m);
    const n = this.layout.memberCount;
    for (const h of this.layout.rows[p]!) {
      this.together[h * n + m]!--;
      this.together[m * n + h]!--;
    }
  }

  /**
   * Best member below target for row p: a zone the row lacks, then the zone and the member with
   * the most copies still to take (largest-remaining-first keeps the end of the fill feasible).
   */
  pick(p: number): number {
    const { layout } = this;
    const n = layout.memberCount;
    const row = layout.rows[p]!;
    const zoneSeen = this.zoneSeen.fill(0);
    for (const h of row) zoneSeen[layout.zoneOf[h]!] = 1;
    // Two preallocated key buffers, swapped: this runs for every copy placed.
    let key = this.keyA;
    let bestKey = this.keyB;
    let best = -1;
    for (let m = 0; m < n; m++) {
      const deficit = this.deficit(m);
      if (deficit <= 0 || row.includes(m)) continue;
      const z = layout.zoneOf[m]!;
      let shared = 0;
      for (const h of row) shared += this.together[h * n + m]!;
      key[0] = zoneSeen[z]!;
      // An empty row's first holder will likely be its primary: spread those like primaries.
      // Its second will likely be the first backup: spread each primary's first backups.
      key[1] = row.length === 0 ? this.firsts[m]! : row.length === 1 ? this.pairs[row[0]! * n + m]! : 0;
      key[2] = shared;
      key[3] = -this.zoneDeficit[z]!;
      key[4] = -deficit;
      key[5] = tiebreak(layout, p, m);
      if (best < 0 || compareKeys(key, bestKey) < 0) {
        best = m;
        [key, bestKey] = [bestKey, key];
      }
    }
    return best;
  }

  /**
   * Which members get the ceil target is a free choice among equals. If no member below target
   * can take row r while a ceil target is unused, hand that ceil target to a member at the floor
   * that can. Balance is unchanged and no copy moves. Returns that member, or -1.
   */
  private retarget(r: number): number {
    const { layout, target, base } = this;
    const row = layout.rows[r]!;
    // Zone totals of targets: the ceil target goes where its zone has the most room left, since
    // a zone can hold one copy per partition at most (see chooseCopyTargets).
    const zoneTarget = new Float64Array(layout.zoneCount);
    for (let m = 0; m < layout.memberCount; m++) zoneTarget[layout.zoneOf[m]!]! += target[m]!;
    let spare = -1;
    let to = -1;
    let bestKey: number[] = [];
    for (let a = 0; a < layout.memberCount; a++) {
      if (target[a] !== base + 1 || layout.copyCount[a]! > base) continue;
      for (let b = 0; b < layout.memberCount; b++) {
        if (b === a || row.includes(b) || target[b] !== base || layout.copyCount[b] !== base) continue;
        const za = layout.zoneOf[a]!;
        const zb = layout.zoneOf[b]!;
        // Smallest resulting total in b's zone, then take from the fullest zone.
        const key = [zoneTarget[zb]! + (za === zb ? 0 : 1), -zoneTarget[za]!, tiebreak(layout, r, b)];
        if (to < 0 || compareKeys(key, bestKey) < 0) {
          spare = a;
          to = b;
          bestKey = key;
        }
      }
    }
    if (to < 0) return -1;
    target[spare]!--;
    target[to]!++;
    this.zoneDeficit[layout.zoneOf[spare]!]!--;
    this.zoneDeficit[layout.zoneOf[to]!]!++;
    return to;
  }

  /**
   * Every member below target already holds row `start`: find a chain start ← y1 (moved out of
   * r1) ← y2 (moved out of r2) ... ← d (below target, added to the last row). That is an
   * augmenting path of the fill seen as a bipartite degree-constrained matching, so one exists
   * whenever the fill is feasible (and it always is: targets are at most ceil(T/n) <= partitions).
   * 0-1 breadth-first over rows: moving a copy placed in this same computation is free, moving a
   * carried-over copy (data that would have stayed) costs 1, so the chain moves as little data as
   * possible, usually none. With `keepPrimaries` the copies of surviving and promoted primaries
   * stay put (moving one would move the role too); only if that fails are they movable.
   */
  augment(start: number, keepPrimaries: boolean): boolean {
    const { layout } = this;
    const { partitions, memberCount: n, rows } = layout;
    const rowsOf: number[][] = Array.from({ length: n }, () => []);
    rows.forEach((row, p) => row.forEach((m) => rowsOf[m]!.push(p)));
    const dist = new Int32Array(partitions).fill(0x7fffffff);
    const parentRow = new Int32Array(partitions).fill(-1);
    const movedMember = new Int32Array(partitions).fill(-1);
    const done = new Uint8Array(partitions);
    dist[start] = 0;
    const front: number[] = [start];
    const back: number[] = [];
    let backHead = 0;
    while (front.length > 0 || backHead < back.length) {
      const r = front.length > 0 ? front.pop()! : back[backHead++]!;
      if (done[r]) continue;
      done[r] = 1;
      const row = rows[r]!;
      let d = -1;
      for (let m = 0; m < n && d < 0; m++) if (this.deficit(m) > 0 && !row.includes(m)) d = m;
      if (d < 0) d = this.retarget(r);
      if (d >= 0) {
        // d joins r, and each row on the chain passes one holder to its parent.
        this.add(r, d);
        for (let cur = r; cur !== start; cur = parentRow[cur]!) {
          this.unplace(cur, movedMember[cur]!);
          this.place(parentRow[cur]!, movedMember[cur]!);
        }
        return true;
      }
      for (let y = 0; y < n; y++) {
        if (row.includes(y)) continue;
        for (const r2 of rowsOf[y]!) {
          if (done[r2] || (keepPrimaries && (layout.promoted[r2] === y || layout.previousPrimary[r2] === y))) continue;
          const w = layout.carried[r2]!.includes(y) ? 1 : 0;
          if (dist[r]! + w >= dist[r2]!) continue;
          dist[r2] = dist[r]! + w;
          parentRow[r2] = r;
          movedMember[r2] = y;
          (w === 0 ? front : back).push(r2);
        }
      }
    }
    return false;
  }
}
