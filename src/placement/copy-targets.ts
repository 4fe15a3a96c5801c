/**
 * How many copies each member should hold: floor(T/n) or ceil(T/n) for T = partitions × copies,
 * summing exactly to T. The ceil targets go first to members already above the floor, so a
 * removal never sheds anything (only the lost copies are re-placed) and a join moves only the
 * newcomer's share onto it.
 */
import { type Layout, compareKeys } from './layout.js';

export function chooseCopyTargets(layout: Layout): Int32Array {
  const n = layout.memberCount;
  const total = layout.partitions * layout.copies;
  const base = Math.floor(total / n);
  const target = new Int32Array(n).fill(base);
  // Zone totals: a zone can hold at most one copy per partition, so the extra copies are spread
  // over zones to keep copies of one partition in distinct zones possible.
  const zoneLoad = new Float64Array(layout.zoneCount);
  for (let m = 0; m < n; m++) zoneLoad[layout.zoneOf[m]!]! += base;
  for (let extra = total % n; extra > 0; extra--) {
    let best = -1;
    let bestKey: number[] = [];
    for (let m = 0; m < n; m++) {
      if (target[m] !== base) continue;
      // Holding base+1 or more already: giving it the ceil target saves moving a copy. Below
      // that the choice moves nothing either way, so zones decide, then who holds more.
      const key = [layout.copyCount[m]! > base ? 0 : 1, zoneLoad[layout.zoneOf[m]!]!, -layout.copyCount[m]!, layout.idHash[m]!];
      if (best < 0 || compareKeys(key, bestKey) < 0) {
        best = m;
        bestKey = key;
      }
    }
    target[best]!++;
    zoneLoad[layout.zoneOf[best]!]!++;
  }
  return target;
}

