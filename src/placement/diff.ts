import { SessionMeshError } from '../errors.js';
import type { PartitionTable } from './table.js';

/**
 * What one member gains and loses between two tables, split by what it costs: role changes move
 * no data; gaining a copy means the partition must be streamed to the member first.
 */
export interface MemberChanges {
  /** Backup → primary: takes over with the data it already has. */
  readonly promoted: number[];
  /** Primary → backup: keeps its data, stops accepting writes. */
  readonly demoted: number[];
  /** No copy → primary: must receive the partition. */
  readonly gainedPrimary: number[];
  /** No copy → backup: must receive the partition. */
  readonly gainedBackup: number[];
  /** Primary → no copy: hands off, then may drop it. */
  readonly lostPrimary: number[];
  /** Backup → no copy: may drop it once the new owners have it. */
  readonly lostBackup: number[];
}

/**
 * Per member (in id order), the partitions whose role changed from `before` to `after`; members
 * with no change are absent. Moves between backup ranks are not changes. Both tables must have
 * the same partition count (ERR_CONFIG otherwise).
 */
export function diffTables(
  before: Pick<PartitionTable, 'partitions' | 'owners'>,
  after: Pick<PartitionTable, 'partitions' | 'owners'>,
): Map<string, MemberChanges> {
  if (before.partitions !== after.partitions || before.owners.length !== after.owners.length) {
    throw new SessionMeshError('ERR_CONFIG', `cannot diff tables of ${before.partitions} and ${after.partitions} partitions`);
  }
  const changes = new Map<string, MemberChanges>();
  const of = (id: string): MemberChanges => {
    let c = changes.get(id);
    if (c === undefined) {
      c = { promoted: [], demoted: [], gainedPrimary: [], gainedBackup: [], lostPrimary: [], lostBackup: [] };
      changes.set(id, c);
    }
    return c;
  };
  for (let p = 0; p < before.owners.length; p++) {
    const was = before.owners[p]!;
    const now = after.owners[p]!;
    for (const id of new Set([...was, ...now])) {
      const wasAt = was.indexOf(id);
      const nowAt = now.indexOf(id);
      if (wasAt < 0) (nowAt === 0 ? of(id).gainedPrimary : of(id).gainedBackup).push(p);
      else if (nowAt < 0) (wasAt === 0 ? of(id).lostPrimary : of(id).lostBackup).push(p);
      else if (wasAt !== 0 && nowAt === 0) of(id).promoted.push(p);
      else if (wasAt === 0 && nowAt !== 0) of(id).demoted.push(p);
    }
  }
  return new Map([...changes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
