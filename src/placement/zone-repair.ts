/**
 * Copies of one partition in distinct zones, where the fill could not manage it. The fill prefers
 * a zone the row lacks, but its end game (and the augmenting chains that keep balance exact)
 * ignore zones, so a few rows can end with two copies in one zone. Each repair swaps one such
 * copy with a copy of another partition: both members keep their copy counts, so balance is
 * untouched, and the swap must not put a duplicate zone in the other row, so every swap strictly
 * reduces the number of duplicates and the loop ends.
 *
 * Swaps of copies placed in this same computation are free; a swap may move carried-over copies
 * too (data streamed to remove a duplicate zone), but never a primary's copy. Single swaps are a
 * heuristic: duplicates forced by uneven zones stay, and a tiny table may need a chain of swaps
 * that is not searched for.
 */
import { type Layout, compareKeys, tiebreak } from './layout.js';

/** At most this many carried-over copies move to remove one duplicate zone. */
const MAX_SWAP_COST = 2;

export function repairZones(layout: Layout): void {
  if (layout.zoneCount === layout.memberCount) return; // no two members share a zone
  const repair = new ZoneRepair(layout);
  for (let p = 0; p < layout.partitions; p++) {
    while (repair.duplicates(p).length > 0 && repair.swapOnce(p));
  }
}

class ZoneRepair {
  /** holdersInZone[p * zoneCount + z]: holders of row p in zone z. */
  private readonly holdersInZone: Int32Array;

  constructor(private readonly layout: Layout) {
    this.holdersInZone = new Int32Array(layout.partitions * layout.zoneCount);
    layout.rows.forEach((row, p) => row.forEach((m) => this.holdersInZone[p * layout.zoneCount + layout.zoneOf[m]!]!++));
  }

  private inZone(p: number, zone: number): number {
    return this.holdersInZone[p * this.layout.zoneCount + zone]!;
  }

  /** Holders of row p whose zone another holder of p shares. */
  duplicates(p: number): number[] {
    return this.layout.rows[p]!.filter((a) => this.inZone(p, this.layout.zoneOf[a]!) > 1);
  }

  /**
   * What moving m's copy of p costs: free if placed in this computation, 1 if carried over (data
   * that would have stayed). Null if it must not move: a primary's copy (its role would move
   * too) and a failover promotion.
   */
  private moveCost(p: number, m: number): number | null {
    if (this.layout.previousPrimary[p] === m || this.layout.promoted[p] === m) return null;
    return this.layout.carried[p]!.includes(m) ? 1 : 0;
  }

  swapOnce(p: number): boolean {
    const { layout } = this;
    const rowP = layout.rows[p]!;
    let best: [number, number, number] | null = null;
    let bestKey: number[] = [];
    for (const a of this.duplicates(p)) {
      const costA = this.moveCost(p, a);
      if (costA === null) continue;
      const za = layout.zoneOf[a]!;
      for (let q = 0; q < layout.partitions; q++) {
        // a moves to q: q must lack a's zone (b, leaving q, is then not in a's zone either).
        if (q === p || this.inZone(q, za) > 0) continue;
        for (const b of layout.rows[q]!) {
          const zb = layout.zoneOf[b]!;
          // b moves to p in place of a: p must lack b's zone (a is not in it: za !== zb).
          if (this.inZone(p, zb) > 0 || rowP.includes(b)) continue;
          const costB = this.moveCost(q, b);
          if (costB === null || costA + costB > MAX_SWAP_COST) continue;
          const cost = costA + costB;
          const key = [cost, tiebreak(layout, q, b)];
          if (best === null || compareKeys(key, bestKey) < 0) {
            best = [a, q, b];
            bestKey = key;
          }
        }
      }
    }
    if (best === null) return false;
    const [a, q, b] = best;
    const rowQ = layout.rows[q]!;
    rowP[rowP.indexOf(a)] = b;
    rowQ[rowQ.indexOf(b)] = a;
    const Z = layout.zoneCount;
    this.holdersInZone[p * Z + layout.zoneOf[a]!]!--;
    this.holdersInZone[p * Z + layout.zoneOf[b]!]!++;
    this.holdersInZone[q * Z + layout.zoneOf[b]!]!--;
    this.holdersInZone[q * Z + layout.zoneOf[a]!]!++;
    return true;
  }
}
