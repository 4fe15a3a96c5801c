/**
 * The attribute table of a session record: ONE flat array, stride 3, sorted by name (UTF-16 code
 * unit order, i.e. JS `<`), names unique:
 *
 *   [name0, value0, stamp0, name1, value1, stamp1, ...]
 *
 * `value` is the normalised value, or TOMBSTONE for a delete (the stamp of the delete is kept so
 * that it beats older writes and loses to newer ones). Stamps are shared Hlc objects: every
 * attribute written by one update points at the same stamp.
 *
 * Why not a Map of {value, stamp} objects: that costs a Map (~100+ bytes) plus ~40 bytes per
 * attribute; this costs one array (~48 bytes) plus 24 bytes per attribute. Sorted order makes
 * merges a linear two-pointer walk, lookups a binary search, and the representation canonical
 * (equal contents ⇒ equal arrays), which keeps merge results deterministic.
 */
import type { Hlc } from '../clock/hlc.js';
import { encodedSize } from './values.js';

export const STRIDE = 3;

/** Marks a deleted attribute. Never a user value (symbols are refused by the value checks). */
export const TOMBSTONE: unique symbol = Symbol('sessionmesh.tombstone');

export type AttrTable = readonly unknown[];

export const EMPTY_TABLE: AttrTable = Object.freeze([]) as AttrTable;

export function nameAt(t: AttrTable, i: number): string {
  return t[i] as string;
}

export function stampAt(t: AttrTable, i: number): Hlc {
  return t[i + 2] as Hlc;
}

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

/** The live value of `name`, or undefined if absent or deleted. */
export function liveValue(t: AttrTable, name: string): unknown {
  const i = findSlot(t, name);
  if (i < 0) return undefined;
  const v = t[i + 1];
  return v === TOMBSTONE ? undefined : v;
}

export function countLive(t: AttrTable): number {
  let n = 0;
  for (let i = 1; i < t.length; i += STRIDE) if (t[i] !== TOMBSTONE) n++;
  return n;
}

/** Σ encodedSize(name) + encodedSize(value) over live attributes (see SessionLimits). */
export function liveBytesOf(t: AttrTable): number {
  let bytes = 0;
  for (let i = 0; i < t.length; i += STRIDE) {
    const v = t[i + 1];
    if (v !== TOMBSTONE) bytes += encodedSize(t[i]) + encodedSize(v);
  }
  return bytes;
}

/**
 * Writes `changes` (a table of the same shape, sorted, unique) over `t`: every changed name
 * takes the change's entry unconditionally. The caller guarantees the change stamps are newer.
 */
export function overwrite(t: AttrTable, changes: AttrTable): AttrTable {
  if (changes.length === 0) return t;
  let overlap = 0;
  for (let j = 0; j < changes.length; j += STRIDE) if (findSlot(t, changes[j] as string) >= 0) overlap++;
  // Exactly sized: an array grown by push keeps up to ~1.5× slack for the record's whole life.
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
