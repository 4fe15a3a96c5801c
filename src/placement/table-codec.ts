import { SessionMeshError } from '../errors.js';
import { MAX_PARTITIONS, MAX_TABLE_MEMBERS } from './limits.js';
import { type PartitionTable, validateTable } from './table.js';

/**
 * A partition table as sent on the wire: member ids once, owners as indices. With 271 partitions,
 * 3 copies and 22-character ids this is ~1 KB instead of ~18 KB, and tables are broadcast to every
 * member on every membership change.
 */
export interface CompactTable {
  /** epoch */
  e: number;
  /** partitions */
  p: number;
  /** replicas; 0 stands for 'all' */
  r: number;
  /** coordinator id */
  c: string;
  /** member ids, sorted */
  m: string[];
  /** owners, row-major: partition i is o[i*k .. i*k+k-1] with k = o.length / p; indices into m */
  o: number[];
}

export function encodeTable(table: PartitionTable): CompactTable {
  const ids = [...new Set(table.owners.flat())].sort();
  const index = new Map(ids.map((id, i) => [id, i]));
  const o: number[] = [];
  for (const row of table.owners) for (const id of row) o.push(index.get(id)!);
  return { e: table.epoch, p: table.partitions, r: table.replicas === 'all' ? 0 : table.replicas, c: table.coordinatorId, m: ids, o };
}

function bad(reason: string): SessionMeshError {
  return new SessionMeshError('ERR_BAD_FRAME', `invalid partition table: ${reason}`);
}

function field(obj: object, name: string): unknown {
  if (!Object.hasOwn(obj, name)) throw bad(`missing ${name}`);
  return (obj as Record<string, unknown>)[name];
}

/** Decodes and fully validates an untrusted CompactTable. Throws ERR_BAD_FRAME. */
export function decodeTable(value: unknown): PartitionTable {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not an object');
  const p = field(value, 'p');
  // Checked here too because p sizes the rows built below; validateTable re-checks everything else.
  if (!Number.isInteger(p) || (p as number) < 1 || (p as number) > MAX_PARTITIONS) throw bad('bad partitions');
  const r = field(value, 'r');
  const m = field(value, 'm');
  if (!Array.isArray(m) || m.length > MAX_TABLE_MEMBERS) throw bad('bad member list');
  if (new Set(m).size !== m.length) throw bad('member list has duplicates');
  const o = field(value, 'o');
  if (!Array.isArray(o) || o.length % (p as number) !== 0) throw bad('owners length is not a multiple of partitions');
  const copies = o.length / (p as number);
  if (copies > m.length) throw bad('more copies per partition than members');
  const owners: unknown[][] = [];
  for (let i = 0; i < (p as number); i++) {
    const row: unknown[] = [];
    for (let j = 0; j < copies; j++) {
      const at: unknown = o[i * copies + j];
      if (!Number.isInteger(at) || (at as number) < 0 || (at as number) >= m.length) throw bad('owner index out of range');
      row.push(m[at as number]);
    }
    owners.push(row);
  }
  return validateTable({
    epoch: field(value, 'e'),
    partitions: p,
    replicas: r === 0 ? 'all' : r,
    coordinatorId: field(value, 'c'),
    owners,
  });
}
