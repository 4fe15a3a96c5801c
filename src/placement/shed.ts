/**
 * Members above their copy target drop copies (after a join, or fewer replicas). Which copies is
 * what decides how little moves and how easily the newcomer fits: see the key in shedExcess.
 */
import { type Layout, compareKeys, removeHolder, tiebreak, zonesOfRow } from './layout.js';

/** Members above target drop copies, preferring drops that keep roles, zones and rows intact. */
export function shedExcess(layout: Layout, target: Int32Array): void {
  const { partitions, copies, memberCount: n } = layout;
  const needy: number[] = [];
  for (let m = 0; m < n; m++) if (layout.copyCount[m]! < target[m]!) needy.push(m);
  // Primaries each member holds beyond its future share. A newcomer filling a shed row can take
  // that row's primary role directly if its primary has some to give, instead of via a chain.
  const surplus = new Int32Array(n).fill(-Math.floor(partitions / n));
  const primaryOf = (p: number): number => {
    const row = layout.rows[p]!;
    return layout.promoted[p]! >= 0 ? layout.promoted[p]! : layout.previousPrimary[p]! >= 0 ? layout.previousPrimary[p]! : (row[0] ?? -1);
  };
  for (let p = 0; p < partitions; p++) if (primaryOf(p) >= 0) surplus[primaryOf(p)]!++;
  for (let m = 0; m < n; m++) {
    while (layout.copyCount[m]! > target[m]!) {
      let best = -1;
      let bestKey: number[] = [];
      for (let p = 0; p < partitions; p++) {
        const row = layout.rows[p]!;
        const at = row.indexOf(m);
        if (at < 0) continue;
        const others = zonesOfRow(layout, p, m);
        const replaceable = needy.some((d) => !row.includes(d) && !others.has(layout.zoneOf[d]!));
        const key = [
          layout.promoted[p] === m ? 1 : 0, // never undo a failover promotion
          others.has(layout.zoneOf[m]!) ? 0 : 1, // dropping a zone duplicate improves the row
          row.length === copies ? 0 : 1, // one missing copy per row: any newcomer can fill it
          // Drop backup copies before primaries, unless m has primaries to give away anyway.
          layout.previousPrimary[p] === m && surplus[m]! <= 0 ? 1 : 0,
          replaceable ? 0 : 1, // someone below target can fill it in a fresh zone
          surplus[primaryOf(p)]! > 0 ? 0 : 1, // whoever fills it can take the primary role directly
          -at, // last backups first: promotion order of the others is kept
          tiebreak(layout, p, m),
        ];
        if (best < 0 || compareKeys(key, bestKey) < 0) {
          best = p;
          bestKey = key;
        }
      }
      surplus[primaryOf(best)]!--;
      removeHolder(layout, best, m);
    }
  }
}

