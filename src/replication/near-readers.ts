/**
 * The primary's side of the near cache (docs/architecture.md "Near cache"): which members read
 * each session through it and keep the answer. Pure bookkeeping; the Replicator sends the
 * invalidations this class hands back.
 *
 * Bounded by maxPairs (session, reader) pairs: registering beyond it forgets the oldest sessions
 * first, and forgetting a reader is only safe after telling it, so the evicted pairs come back
 * to the caller to invalidate. Every other removal (a write, the loss of the partition) also
 * returns the readers to tell.
 */

interface Readers {
  p: number;
  members: string[];
}

export interface NearReadersStats {
  /** Sessions with at least one registered reader. */
  sessions: number;
  /** (session, reader) pairs registered now (bounded by maxPairs). */
  pairs: number;
  /** Pairs forgotten to stay within maxPairs (each one invalidated at its reader). */
  evictions: number;
  /** Invalidations sent (one per pair removed by a write, an eviction or a lost partition). */
  invalidationsSent: number;
}

/** (reader, session ids) to invalidate. */
export type Invalidations = Map<string, string[]>;

export class NearReaders {
  private readonly byId = new Map<string, Readers>();
  private pairs = 0;
  private evictions = 0;
  private sent = 0;

  constructor(readonly maxPairs: number) {}

  /**
   * Registers `reader` for `id` (partition p). Returns false when registration is off
   * (maxPairs 0): the reader is then told not to cache. Pairs evicted to make room are added to `evict`.
   */
  register(id: string, p: number, reader: string, evict: Invalidations): boolean {
    if (this.maxPairs <= 0) return false;
    let r = this.byId.get(id);
    if (r !== undefined && r.members.includes(reader)) return true;
    if (r === undefined) r = { p, members: [] };
    // Most recently registered last: eviction takes the sessions nobody read for longest.
    this.byId.delete(id);
    this.byId.set(id, r);
    r.members.push(reader);
    this.pairs++;
    while (this.pairs > this.maxPairs) {
      const [oldId, old] = this.byId.entries().next().value as [string, Readers];
      // Only when id is the one session left, and then it has more than one reader: the
      // oldest reader goes, the one just added (last) stays. The guard keeps the loop finite.
      if (oldId === id && old.members.length <= 1) break;
      const victim = old.members.shift()!;
      if (old.members.length === 0) this.byId.delete(oldId);
      this.pairs--;
      this.evictions++;
      add(evict, victim, oldId);
    }
    return true;
  }

  /** Whether some member reads `id` through its near cache. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The session changed (a write, an expiry, a merge): every reader of it is told and forgotten. */
  take(id: string, out: Invalidations): void {
    const r = this.byId.get(id);
    if (r === undefined) return;
    this.byId.delete(id);
    this.pairs -= r.members.length;
    for (const m of r.members) add(out, m, id);
  }

  /** This member stopped being primary of the partitions `lost` names: the new primary does not know these readers. */
  takePartitions(lost: (p: number) => boolean, out: Invalidations): void {
    for (const [id, r] of this.byId) if (lost(r.p)) this.take(id, out);
  }

  /** Readers that died or left: forgotten without a message (a restarted process is a new member). */
  forgetReaders(gone: (member: string) => boolean): void {
    for (const [id, r] of this.byId) {
      const keep = r.members.filter((m) => !gone(m));
      if (keep.length === r.members.length) continue;
      this.pairs -= r.members.length - keep.length;
      if (keep.length === 0) this.byId.delete(id);
      else r.members = keep;
    }
  }

  /** Counts what the caller is about to send (for stats). */
  countSent(out: Invalidations): void {
    for (const ids of out.values()) this.sent += ids.length;
  }

  stats(): NearReadersStats {
    return { sessions: this.byId.size, pairs: this.pairs, evictions: this.evictions, invalidationsSent: this.sent };
  }
}

function add(out: Invalidations, member: string, id: string): void {
  const list = out.get(member);
  if (list === undefined) out.set(member, [id]);
  else list.push(id);
}
