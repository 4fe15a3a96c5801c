import { partitionOf } from './partition.js';
import type { PartitionTable } from './table.js';

/** Whether `selfId` is the primary of `partition` in `table`. */
export function isLocalPrimary(table: PartitionTable, partition: number, selfId: string): boolean {
  return table.owners[partition]?.[0] === selfId;
}

export interface DrawnSessionId {
  readonly id: string;
  readonly partition: number;
  /** Whether `selfId` is the primary of `partition` (false only when every try missed). */
  readonly local: boolean;
}

/**
 * Session-id locality (DESIGN.md §8): draws ids with the injected `drawId` until one falls in a
 * partition this member is primary of, at most `maxTries` draws. A member that is primary of k
 * of P partitions needs P/k draws on average (about the member count), so a bound of a few
 * times the member count almost never misses; when it does (or the member is primary of nothing,
 * e.g. a client), the last id is returned with `local: false` and works, just remotely.
 *
 * Conditioning on the partition reveals at most log2(partitions) bits (~8 of them) of the id:
 * keep ids at least 128 random bits plus that margin.
 */
export function drawLocalSessionId(table: PartitionTable, selfId: string, drawId: () => string, maxTries: number): DrawnSessionId {
  let id = drawId();
  let partition = partitionOf(id, table.partitions);
  for (let tries = 1; tries < maxTries && !isLocalPrimary(table, partition, selfId); tries++) {
    id = drawId();
    partition = partitionOf(id, table.partitions);
  }
  return { id, partition, local: isLocalPrimary(table, partition, selfId) };
}
