/**
 * Shared generators and checks for the placement tests (not a test file itself).
 *
 * Property runs use a fixed seed so CI is reproducible; explore other seeds with
 * `FC_SEED=123 FC_RUNS=10 node --test ...` (FC_RUNS multiplies every numRuns).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { PlacementMember } from '../../../src/placement/assignment.js';
import type { ReplicaCount } from '../../../src/placement/table.js';

export const fcSeed = Number(process.env.FC_SEED ?? 20_110_315);
const runsScale = Number(process.env.FC_RUNS ?? 1);

export function runs(numRuns: number): { seed: number; numRuns: number } {
  return { seed: fcSeed, numRuns: Math.max(1, Math.round(numRuns * runsScale)) };
}

const idChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'.split(''));
export const memberId = fc.string({ unit: idChar, minLength: 1, maxLength: 10 });

export interface Scenario {
  members: PlacementMember[];
  partitions: number;
  replicas: ReplicaCount;
}

export const partitionCounts = fc.constantFrom(271, 271, 1, 3, 7, 13, 31, 101);
export const replicaCounts: fc.Arbitrary<ReplicaCount> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 7 }) },
  { weight: 1, arbitrary: fc.constant('all' as const) },
);

/** 1..maxMembers members; with `zoned`, every member gets one of 1..6 zones, else none. */
export function scenario(opts: {
  zoned: boolean | 'either';
  minMembers?: number;
  maxMembers?: number;
  partitions?: fc.Arbitrary<number>;
}): fc.Arbitrary<Scenario> {
  const zoneCount = opts.zoned === 'either' ? fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 6 })) : opts.zoned ? fc.integer({ min: 1, max: 6 }) : fc.constant(0);
  return fc
    .record({
      // Pick the count first: left to itself fast-check keeps arrays short, and 20..50 members
      // is where balance is hardest.
      ids: fc
        .integer({ min: opts.minMembers ?? 1, max: opts.maxMembers ?? 50 })
        .chain((n) => fc.uniqueArray(memberId, { minLength: n, maxLength: n, size: 'max' })),
      zoneCount,
      zonePicks: fc.array(fc.nat(), { minLength: 50, maxLength: 50 }),
      partitions: opts.partitions ?? partitionCounts,
      replicas: replicaCounts,
    })
    .map(({ ids, zoneCount: z, zonePicks, partitions, replicas }) => ({
      members: ids.map((id, i) => ({ id, zone: z === 0 ? null : `zone-${zonePicks[i]! % z}` })),
      partitions,
      replicas,
    }));
}

export function copiesFor(replicas: ReplicaCount, members: number): number {
  return replicas === 'all' ? members : Math.min(replicas, members);
}

export interface Counts {
  primaries: Map<string, number>;
  copies: Map<string, number>;
}

export function countOwners(owners: readonly (readonly string[])[], members: readonly PlacementMember[]): Counts {
  const primaries = new Map(members.map((m) => [m.id, 0]));
  const copies = new Map(members.map((m) => [m.id, 0]));
  for (const row of owners) {
    if (row.length > 0) primaries.set(row[0]!, (primaries.get(row[0]!) ?? 0) + 1);
    for (const id of row) copies.set(id, (copies.get(id) ?? 0) + 1);
  }
  return { primaries, copies };
}

/** Shape, distinctness, copy count and the ±1 balance of primaries and of copies. */
export function assertWellFormed(owners: readonly (readonly string[])[], members: readonly PlacementMember[], partitions: number, replicas: ReplicaCount): void {
  const n = members.length;
  const c = copiesFor(replicas, n);
  const ids = new Set(members.map((m) => m.id));
  assert.equal(owners.length, partitions);
  owners.forEach((row, p) => {
    assert.equal(row.length, c, `partition ${p} has ${row.length} copies, want ${c}`);
    assert.equal(new Set(row).size, row.length, `partition ${p} has two copies on one member: ${row.join(',')}`);
    for (const id of row) assert.ok(ids.has(id), `partition ${p} names non-member ${id}`);
  });
  if (n === 0) return;
  const { primaries, copies } = countOwners(owners, members);
  assertWithin(primaries, Math.floor(partitions / n), Math.ceil(partitions / n), 'primaries');
  assertWithin(copies, Math.floor((partitions * c) / n), Math.ceil((partitions * c) / n), 'copies');
}

function assertWithin(counts: Map<string, number>, low: number, high: number, what: string): void {
  for (const [id, k] of counts) assert.ok(k >= low && k <= high, `${id} has ${k} ${what}, want ${low}..${high}`);
}

/** Partitions where two copies share a zone. */
export function zoneCollisions(owners: readonly (readonly string[])[], members: readonly PlacementMember[]): number {
  const zoneOf = new Map(members.map((m) => [m.id, m.zone ?? `own:${m.id}`]));
  return owners.filter((row) => new Set(row.map((id) => zoneOf.get(id))).size !== row.length).length;
}

/**
 * Whether zones leave room for balanced copies in distinct zones, with no luck needed: at least
 * `copies` zones, and every zone fits one copy per partition even if all its members get the
 * ceiling share, ceil(partitions × copies / n). (Then a zone-distinct balanced table exists: lay
 * each zone's copies out round-robin over the partitions.) Configurations with exactly zero room
 * to spare also have solutions, but the single-swap zone repair does not always find them.
 */
export function zonesLeaveRoom(members: readonly PlacementMember[], partitions: number, replicas: ReplicaCount): boolean {
  const n = members.length;
  const c = copiesFor(replicas, n);
  const sizes = new Map<string, number>();
  for (const m of members) {
    const z = m.zone ?? `own:${m.id}`;
    sizes.set(z, (sizes.get(z) ?? 0) + 1);
  }
  const ceilShare = Math.ceil((partitions * c) / n);
  return sizes.size >= c && [...sizes.values()].every((s) => s * ceilShare <= partitions);
}

/** Copies in `after` that `before` did not have at that partition (data that must be streamed). */
export function newCopies(before: readonly (readonly string[])[], after: readonly (readonly string[])[], who?: (id: string) => boolean): number {
  let moved = 0;
  after.forEach((row, p) => {
    for (const id of row) if (!before[p]!.includes(id) && (who === undefined || who(id))) moved++;
  });
  return moved;
}

/** Deterministic shuffle driven by fast-check-provided keys. */
export function shuffle<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items
    .map((item, i) => ({ item, key: keys[i % Math.max(1, keys.length)]! * 1000 + i }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.item);
}
