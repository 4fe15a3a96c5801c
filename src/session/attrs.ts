/**
 * The attribute table of a session record, in its working (unpacked) form: ONE flat array,
 * stride 3, sorted by name (UTF-16 code unit order, i.e. JS `<`), names unique:
 *
 *   [name0, value0, stamp0, name1, value1, stamp1, ...]
 *
 * `value` is the msgpack encoding of the normalised value (an Encoded string, see values.ts
 * encodeValue), or TOMBSTONE for a delete (the stamp of the delete is kept so that it beats older
 * writes and loses to newer ones). Stamps are Hlc objects.
 *
 * A stored record does not hold this array: it holds the packed body (packed.ts), and tables are
 * unpacked from it for a merge, an update or the wire, and dropped afterwards. Sorted
 * order makes merges a linear two-pointer walk, lookups a binary search, and the representation
 * canonical (equal contents ⇒ equal tables ⇒ equal bodies), which keeps merge results
 * deterministic.
 */

export const STRIDE = 3;

/** Marks a deleted attribute. Never a user value (symbols are refused by the value checks). */
export const TOMBSTONE: unique symbol = Symbol('sessionmesh.tombstone');

export type AttrTable = readonly unknown[];

export const EMPTY_TABLE: AttrTable = Object.freeze([]) as AttrTable;

/** Slot index (a multiple of STRIDE) of `name`, or -1. */
export function findSlot(t: AttrTable, name: string): number {
  let lo = 0;
  let hi = t.length / STRIDE - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const n = t[mid * STRIDE] as string;
    if (n === name) return mid * STRIDE;
    if (n < name) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

export function countLive(t: AttrTable): number {
  let n = 0;
  for (let i = 1; i < t.length; i += STRIDE) if (t[i] !== TOMBSTONE) n++;
  return n;
}

/**
 * Writes `changes` (a table of the same shape, sorted, unique) over `t`: every changed name
 * takes the change's entry unconditionally. The caller guarantees the change stamps are newer.
 */
export function overwrite(t: AttrTable, changes: AttrTable): AttrTable {
  if (changes.length === 0) return t;
  let overlap = 0;
  for (let j = 0; j < changes.length; j += STRIDE) if (findSlot(t, changes[j] as string) >= 0) overlap++;
  const out = new Array<unknown>(t.length + changes.length - overlap * STRIDE);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < t.length || j < changes.length) {
    let src: AttrTable;
    let at: number;
    if (j >= changes.length || (i < t.length && (t[i] as string) < (changes[j] as string))) {
      src = t;
      at = i;
      i += STRIDE;
    } else {
      if (i < t.length && t[i] === changes[j]) i += STRIDE;
      src = changes;
      at = j;
      j += STRIDE;
    }
    out[k++] = src[at];
    out[k++] = src[at + 1];
    out[k++] = src[at + 2];
  }
  return out;
}
