/**
 * computeTable: the coordinator's assignment of partitions to members (DESIGN.md §6). Pure and
 * deterministic: the same previous owners, member set and options give the same owners, whatever
 * order the members are listed in.
 *
 * Always (property-tested): no member holds two copies of a partition; every partition has
 * min(replicas, n) copies; primaries per member are floor or ceil of partitions/n, and copies per
 * member floor or ceil of partitions×copies/n.
 *
 * Movement (property-tested; n members, P partitions):
 *  - a member goes away: each partition it was primary of is taken over by its first surviving
 *    backup (no data moves). Without zones only its lost copies are re-placed (exactly, if
 *    P >= 2n; at most one more copy moves in tinier tables). Other primaries stay but for a few
 *    role swaps to existing copies that restore balance (at P = 271: at most 2 per lost primary);
 *  - a member joins: without zones copies move only to it (its fair share), and every other
 *    primary change is a role swap to an existing copy (if P >= 4n, at most as many as the
 *    newcomer's own primaries);
 *  - nothing changes: without zones, the same table comes back.
 *
 * Zones: copies of one partition go to distinct zones when zones leave room for it, i.e. every
 * zone fits its members' balanced share within one copy per partition. Balance wins otherwise:
 * with a zone holding more than 1/copies of the members some partitions get two copies in one
 * zone, rather than overloading the smaller zones. Zone repairs may stream extra copies.
 */
import { SessionMeshError } from '../errors.js';
import { chooseCopyTargets } from './copy-targets.js';
import { fillRows } from './fill.js';
import { type Layout, tiebreak } from './layout.js';
import { murmur3String } from './murmur3.js';
import { checkPartitions } from './partition.js';
import { choosePrimaries } from './primary-balance.js';
import { shedExcess } from './shed.js';
import { repairZones } from './zone-repair.js';
import { type PartitionTable, type ReplicaCount, isValidMemberId, isValidReplicaCount } from './table.js';

/** A live data member as placement sees it (see isPlacementMember). */
export interface PlacementMember {
  readonly id: string;
  /** Failure domain (availability zone, rack); null when unknown. */
  readonly zone: string | null;
}

export interface PlacementOptions {
  readonly partitions: number;
  readonly replicas: ReplicaCount;
}

/**
 * Owners per partition ([primary, backup1, ...]) for `members`, moving as little as possible
 * from `previous` (null for the first table). Throws ERR_CONFIG for invalid options or a previous
 * table with another partition count, and a plain Error for duplicate or invalid member ids.
 */
export function computeTable(
  previous: Pick<PartitionTable, 'partitions' | 'owners'> | null,
  members: readonly PlacementMember[],
  options: PlacementOptions,
): string[][] {
  const partitions = checkPartitions(options.partitions);
  if (!isValidReplicaCount(options.replicas)) {
    throw new SessionMeshError('ERR_CONFIG', `replicas must be 1..7 or 'all', got ${String(options.replicas)}`);
  }
  if (previous !== null && previous.partitions !== partitions) {
    throw new SessionMeshError('ERR_CONFIG', `partitions differ: table has ${previous.partitions}, configured ${partitions}`);
  }
  const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) {
    if (!isValidMemberId(sorted[i]!.id)) throw new Error(`computeTable: invalid member id ${JSON.stringify(sorted[i]!.id)}`);
    if (i > 0 && sorted[i]!.id === sorted[i - 1]!.id) throw new Error(`computeTable: duplicate member id ${sorted[i]!.id}`);
  }
  const n = sorted.length;
  if (n === 0) return Array.from({ length: partitions }, () => []);

  const layout = carryOver(previous, sorted, partitions, options.replicas === 'all' ? n : Math.min(options.replicas, n));
  const target = chooseCopyTargets(layout);
  shedExcess(layout, target);
  fillRows(layout, target);
  repairZones(layout);
  const primary = choosePrimaries(layout);
  return orderRows(layout, primary).map((row) => row.map((m) => sorted[m]!.id));
}

/**
 * Primary first, then backups in promotion order. Surviving backups keep their relative order
 * (the first backup is the one most likely up to date, e.g. with `ack: one`); when only new
 * holders compete for the first-backup slot, it goes to the one this primary has as first backup
 * least often, so a primary's partitions spread over many members if it fails.
 */
function orderRows(layout: Layout, primary: Int32Array): number[][] {
  const n = layout.memberCount;
  const pairs = new Int32Array(n * n);
  const rows = layout.rows.map((row, p) => [primary[p]!, ...row.filter((m) => m !== primary[p])]);
  const free = (p: number): boolean => rows[p]!.length >= 2 && !layout.carried[p]!.includes(rows[p]![1]!);
  rows.forEach((row, p) => {
    if (row.length >= 2 && !free(p)) pairs[row[0]! * n + row[1]!]!++;
  });
  rows.forEach((row, p) => {
    if (!free(p)) return;
    let best = 1;
    for (let i = 2; i < row.length; i++) {
      const d = pairs[row[0]! * n + row[i]!]! - pairs[row[0]! * n + row[best]!]!;
      if (d < 0 || (d === 0 && tiebreak(layout, p, row[i]!) < tiebreak(layout, p, row[best]!))) best = i;
    }
    row.splice(1, 0, ...row.splice(best, 1));
    pairs[row[0]! * n + row[1]!]!++;
  });
  return rows;
}

/** Previous rows restricted to surviving members (promotion happens here) and cut to `copies`. */
function carryOver(
  previous: Pick<PartitionTable, 'owners'> | null,
  sorted: readonly PlacementMember[],
  partitions: number,
  copies: number,
): Layout {
  const n = sorted.length;
  const index = new Map(sorted.map((m, i) => [m.id, i]));
  const zoneIndex = new Map<string, number>();
  const zoneOf = new Int32Array(n);
  const namedZones = [...new Set(sorted.flatMap((m) => (m.zone === null ? [] : [m.zone])))].sort();
  for (const z of namedZones) zoneIndex.set(z, zoneIndex.size);
  let zoneCount = zoneIndex.size;
  sorted.forEach((m, i) => {
    zoneOf[i] = m.zone === null ? zoneCount++ : zoneIndex.get(m.zone)!;
  });

  const layout: Layout = {
    partitions,
    copies,
    memberCount: n,
    zoneOf,
    zoneCount,
    idHash: Uint32Array.from(sorted, (m) => murmur3String(m.id, 0)),
    rows: [],
    carried: [],
    promoted: new Int32Array(partitions).fill(-1),
    previousPrimary: new Int32Array(partitions).fill(-1),
    copyCount: new Int32Array(n),
  };
  for (let p = 0; p < partitions; p++) {
    const before = previous?.owners[p] ?? [];
    const row: number[] = [];
    for (const id of before) {
      const m = index.get(id);
      if (m !== undefined && !row.includes(m) && row.length < copies) row.push(m);
    }
    if (before.length > 0 && row.length > 0) {
      if (index.has(before[0]!)) layout.previousPrimary[p] = row[0]!;
      else layout.promoted[p] = row[0]!;
    }
    for (const m of row) layout.copyCount[m]!++;
    layout.rows.push(row);
    (layout.carried as number[][]).push([...row]);
  }
  return layout;
}
