import { fmix32 } from './murmur3.js';

/**
 * The working state of one computeTable call (internal to assignment). Members are indices
 * 0..memberCount-1 in id order, so every loop runs in an order that does not depend on the
 * order the caller listed members in.
 */
export interface Layout {
  readonly partitions: number;
  /** Copies per partition: min(replicas, members). */
  readonly copies: number;
  readonly memberCount: number;
  /** Member → zone index. A member without a zone is a zone of its own. */
  readonly zoneOf: Int32Array;
  readonly zoneCount: number;
  /** Member → murmur3 of its id: seeds tie-breaks that stay stable when others join or leave. */
  readonly idHash: Uint32Array;
  /** Holders per partition: surviving holders in their previous order, then new ones. */
  readonly rows: number[][];
  /** Per partition: the surviving holders carried over from the previous table (they have the data). */
  readonly carried: readonly (readonly number[])[];
  /** Per partition: the first surviving backup that must take over a dead primary, or -1. */
  readonly promoted: Int32Array;
  /** Per partition: the previous primary if it is still a member, or -1. */
  readonly previousPrimary: Int32Array;
  /** Copies held per member, kept in step with `rows` by addHolder/removeHolder. */
  readonly copyCount: Int32Array;
}

/**
 * A deterministic pseudo-random rank of member m for partition p (rendezvous-hash style): breaks
 * ties between otherwise equal choices so that they spread over members instead of favouring low
 * ids, and so that a choice for one partition does not change when unrelated members come or go.
 */
export function tiebreak(layout: Layout, p: number, m: number): number {
  return fmix32(layout.idHash[m]! ^ Math.imul(p + 1, 0x9e3779b1));
}

export function addHolder(layout: Layout, p: number, m: number): void {
  layout.rows[p]!.push(m);
  layout.copyCount[m]!++;
}

export function removeHolder(layout: Layout, p: number, m: number): void {
  const row = layout.rows[p]!;
  const at = row.indexOf(m);
  if (at < 0) throw new Error(`placement invariant: member ${m} does not hold partition ${p}`);
  row.splice(at, 1);
  layout.copyCount[m]!--;
}

/** Lexicographic comparison of two equally long numeric keys (smaller is preferred). */
export function compareKeys(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Zones of partition p's holders, leaving out `except` (-1 for none). */
export function zonesOfRow(layout: Layout, p: number, except: number): Set<number> {
  const zones = new Set<number>();
  for (const h of layout.rows[p]!) if (h !== except) zones.add(layout.zoneOf[h]!);
  return zones;
}
