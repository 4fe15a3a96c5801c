/**
 * The replication table: the committed owners everyone routes and acknowledges by, plus the
 * coordinator's target owners (what migrations are moving toward). See docs/architecture.md,
 * "Replication". Unlike placement's PartitionTable, committed rows may be shorter than
 * `replicas` (a dead owner is dropped at once, its replacement is committed only once it holds
 * the data), so this type has its own validation.
 *
 * Order: (epoch, coordinator startedAtMs, coordinator id). Two sides of a split may both commit
 * epoch 12; the tie-break lets every member agree which one wins after the heal, and the healed
 * coordinator then commits max + 1.
 */
import { SessionMeshError } from '../errors.js';
import { MAX_PARTITIONS, type ReplicaCount } from '../placement/index.js';

export interface ReplTable {
  readonly epoch: number;
  readonly coordinatorId: string;
  readonly coordinatorStartedAtMs: number;
  readonly partitions: number;
  readonly replicas: ReplicaCount;
  /** Per partition: [primary, backup1, ...]; may be empty (every copy lost). */
  readonly owners: readonly (readonly string[])[];
  /** Per partition: where the coordinator is moving the copies (equal to owners when settled). */
  readonly target: readonly (readonly string[])[];
  /**
   * Per partition: the members whose copies the owners do NOT have — every owner of the
   * partition was lost from view (a split, or all holders down) and new, empty owners took it.
   * Until those members are back (their copies are handed off) or forgotten by membership, a
   * session the owners do not hold may exist there: ops on it answer ERR_UNAVAILABLE, not
   * "not found". Absent (or all rows empty): every partition's owners hold its data.
   */
  readonly incomplete?: readonly (readonly string[])[];
}

/** Whether p's owners may lack sessions that exist elsewhere (see ReplTable.incomplete). */
export function isIncomplete(t: ReplTable, p: number): boolean {
  return (t.incomplete?.[p]?.length ?? 0) > 0;
}

export function isNewerTable(a: ReplTable, b: ReplTable | null): boolean {
  if (b === null) return true;
  if (a.epoch !== b.epoch) return a.epoch > b.epoch;
  if (a.coordinatorStartedAtMs !== b.coordinatorStartedAtMs) return a.coordinatorStartedAtMs < b.coordinatorStartedAtMs;
  return a.coordinatorId < b.coordinatorId;
}

/** Partitions whose committed owners are not yet the coordinator's target: copies still moving. */
export function movingPartitions(t: ReplTable): number {
  let n = 0;
  for (let p = 0; p < t.partitions; p++) {
    const owners = t.owners[p]!;
    const target = t.target[p]!;
    if (owners.length !== target.length || owners.some((id, i) => id !== target[i])) n++;
  }
  return n;
}

export function primaryIn(table: ReplTable | null, partition: number): string | undefined {
  return table?.owners[partition]?.[0];
}

/** Wire form: member ids once, rows as indexes into them (271 × 3 ids would repeat each id ~80 times). */
export interface TableWire {
  e: number;
  c: string;
  cs: number;
  n: number;
  r: number | 'all';
  m: string[];
  o: number[][];
  t: number[][];
  /** incomplete rows, only when some partition is incomplete. */
  l?: number[][];
}

export function tableToWire(t: ReplTable): TableWire {
  const ids: string[] = [];
  const index = new Map<string, number>();
  const rows = (rs: readonly (readonly string[])[]) =>
    rs.map((row) =>
      row.map((id) => {
        let i = index.get(id);
        if (i === undefined) {
          i = ids.push(id) - 1;
          index.set(id, i);
        }
        return i;
      }),
    );
  const o = rows(t.owners);
  const tg = rows(t.target);
  const w: TableWire = { e: t.epoch, c: t.coordinatorId, cs: t.coordinatorStartedAtMs, n: t.partitions, r: t.replicas, m: ids, o, t: tg };
  if (t.incomplete !== undefined && t.incomplete.some((row) => row.length > 0)) w.l = rows(t.incomplete);
  return w;
}

const MAX_MEMBERS = 1024;
const MAX_ID = 128;

/** Validates an untrusted body; throws ERR_BAD_FRAME. */
export function tableFromWire(x: unknown): ReplTable {
  const bad = (why: string) => new SessionMeshError('ERR_BAD_FRAME', `invalid replication table: ${why}`);
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad('not an object');
  const w = x as Record<string, unknown>;
  const { e, c, cs, n, r, m, o, t, l } = w;
  if (!Number.isSafeInteger(e) || (e as number) < 0) throw bad('epoch');
  if (!isId(c)) throw bad('coordinator id');
  if (!Number.isSafeInteger(cs) || (cs as number) < 0) throw bad('coordinator start');
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_PARTITIONS) throw bad('partitions');
  if (!(r === 'all' || (Number.isInteger(r) && (r as number) >= 1 && (r as number) <= 7))) throw bad('replicas');
  if (!Array.isArray(m) || m.length > MAX_MEMBERS || !m.every(isId) || new Set(m).size !== m.length) throw bad('members');
  const maxCopies = r === 'all' ? MAX_MEMBERS : (r as number);
  const rows = (v: unknown, maxPerRow = maxCopies): string[][] => {
    if (!Array.isArray(v) || v.length !== n) throw bad('row count');
    return v.map((row: unknown) => {
      if (!Array.isArray(row) || row.length > maxPerRow) throw bad('row');
      const ids = row.map((i: unknown) => {
        if (!Number.isInteger(i) || (i as number) < 0 || (i as number) >= m.length) throw bad('member index');
        return m[i as number] as string;
      });
      if (new Set(ids).size !== ids.length) throw bad('duplicate owner');
      return ids;
    });
  };
  const table: ReplTable = {
    epoch: e as number,
    coordinatorId: c as string,
    coordinatorStartedAtMs: cs as number,
    partitions: n as number,
    replicas: r as ReplicaCount,
    owners: rows(o),
    target: rows(t),
  };
  // (Incomplete rows accumulate the owners of successive losses: bounded by the member list.)
  return l === undefined ? table : { ...table, incomplete: rows(l, MAX_MEMBERS) };
}

export function isId(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= MAX_ID;
}
