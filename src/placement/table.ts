import { SessionMeshError } from '../errors.js';
import { MAX_MEMBER_ID_LENGTH, MAX_PARTITIONS, MAX_REPLICAS, MAX_TABLE_MEMBERS } from './limits.js';

/** Copies per partition, primary included: 1..MAX_REPLICAS, or every data member. */
export type ReplicaCount = number | 'all';

/**
 * Who owns which partition at one epoch, as placement computes it (computeTable). What the cluster
 * commits, broadcasts and orders is replication's ReplTable (src/replication/table.ts: ordered by
 * epoch, then the older coordinator start, then the smaller coordinator id; isNewerTable).
 *
 * Invariants (checked by validateTable): `owners.length === partitions`; every row lists distinct
 * member ids, primary first, then backups in promotion order; all rows have the same length,
 * `min(replicas, distinct members named)` (so 0 when the cluster has no data member).
 */
export interface PartitionTable {
  readonly epoch: number;
  readonly partitions: number;
  readonly replicas: ReplicaCount;
  /** Per partition: [primary, backup1, backup2, ...]. */
  readonly owners: readonly (readonly string[])[];
  readonly coordinatorId: string;
}

/** The primary of `partition`, or undefined when the partition has no owner (no data member). */
export function primaryOf(table: PartitionTable, partition: number): string | undefined {
  return table.owners[partition]?.[0];
}

/** Same owners in the same order: lets a coordinator skip publishing a new epoch for no change. */
export function ownersEqual(a: readonly (readonly string[])[], b: readonly (readonly string[])[]): boolean {
  if (a.length !== b.length) return false;
  for (let p = 0; p < a.length; p++) {
    const x = a[p]!;
    const y = b[p]!;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

export function isValidMemberId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_MEMBER_ID_LENGTH;
}

export function isValidReplicaCount(value: unknown): value is ReplicaCount {
  return value === 'all' || (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_REPLICAS);
}

function bad(reason: string): SessionMeshError {
  return new SessionMeshError('ERR_BAD_FRAME', `invalid partition table: ${reason}`);
}

function field(obj: object, name: string): unknown {
  // Own properties only: a decoded object must not smuggle fields in through a prototype.
  if (!Object.hasOwn(obj, name)) throw bad(`missing ${name}`);
  return (obj as Record<string, unknown>)[name];
}

/**
 * Checks an untrusted value (e.g. decoded from a frame) and returns a fresh table built only from
 * validated primitives. Throws SessionMeshError ERR_BAD_FRAME naming the first problem.
 */
export function validateTable(value: unknown): PartitionTable {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not an object');
  const epoch = field(value, 'epoch');
  if (!Number.isSafeInteger(epoch) || (epoch as number) < 0) throw bad('epoch must be a non-negative integer');
  const partitions = field(value, 'partitions');
  if (!Number.isInteger(partitions) || (partitions as number) < 1 || (partitions as number) > MAX_PARTITIONS) {
    throw bad(`partitions must be an integer in 1..${MAX_PARTITIONS}`);
  }
  const replicas = field(value, 'replicas');
  if (!isValidReplicaCount(replicas)) throw bad(`replicas must be 1..${MAX_REPLICAS} or 'all'`);
  const coordinatorId = field(value, 'coordinatorId');
  if (!isValidMemberId(coordinatorId)) throw bad('coordinatorId must be a member id');
  const rawOwners = field(value, 'owners');
  if (!Array.isArray(rawOwners) || rawOwners.length !== partitions) throw bad('owners must have one row per partition');

  const maxCopies = replicas === 'all' ? MAX_TABLE_MEMBERS : replicas;
  const named = new Set<string>();
  const owners: string[][] = [];
  let copies = -1;
  for (let p = 0; p < rawOwners.length; p++) {
    const raw: unknown = rawOwners[p];
    if (!Array.isArray(raw)) throw bad(`owners[${p}] is not an array`);
    if (copies === -1) copies = raw.length;
    if (raw.length !== copies) throw bad(`owners[${p}] has ${raw.length} copies, other partitions ${copies}`);
    if (raw.length > maxCopies) throw bad(`owners[${p}] has more than ${maxCopies} copies`);
    const row: string[] = [];
    for (const id of raw as unknown[]) {
      if (!isValidMemberId(id)) throw bad(`owners[${p}] holds an invalid member id`);
      if (row.includes(id)) throw bad(`owners[${p}] names ${id} twice`);
      row.push(id);
      named.add(id);
      if (named.size > MAX_TABLE_MEMBERS) throw bad(`more than ${MAX_TABLE_MEMBERS} members`);
    }
    owners.push(row);
  }
  // Every partition has min(replicas, data members) copies. A member that owns nothing (more
  // members than copies to place) is not visible here, but then every row is full.
  const expected = replicas === 'all' ? named.size : Math.min(replicas, named.size);
  if (copies !== expected) throw bad(`rows have ${copies} copies, expected ${expected}`);
  return { epoch: epoch as number, partitions: partitions as number, replicas, owners, coordinatorId };
}
