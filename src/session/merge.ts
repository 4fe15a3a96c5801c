/**
 * Merging two copies of one session: the single operation behind delta application, retries,
 * anti-entropy repair and split-brain heals (DESIGN.md §7). Every field is merged by a join (see
 * record.ts), and a destroyed result drops its attributes, so the merge is deterministic,
 * commutative, associative and idempotent; a delta applied twice or out of order converges to
 * the in-order result.
 */
import { compareHlc } from '../clock/hlc.js';
import { type AttrTable, EMPTY_TABLE, STRIDE, TOMBSTONE } from './attrs.js';
import { type BodyParts, unpackBody } from './packed.js';
import { type SessionDelta, SessionRecord, recordFromParts } from './record.js';
import { compareEncoded } from './values.js';

export function applyDelta(record: SessionRecord | undefined, delta: SessionDelta): SessionRecord {
  return record === undefined ? delta : mergeRecords(record, delta);
}

export function mergeRecords(a: SessionRecord, b: SessionRecord): SessionRecord {
  if (a.id !== b.id) throw new Error(`mergeRecords: different sessions ${a.id} and ${b.id}`);
  if (a === b) return a;
  // Same replicated state (bodies are canonical): only the access time can differ, e.g. a
  // duplicate delta or a touch batch that already arrived.
  if (a.body === b.body) return Math.max(a.lastAccessMs, b.lastAccessMs) === a.lastAccessMs ? a : b;
  return mergeWith(a, b.lastAccessMs, unpackBody(b.body), b);
}

/**
 * mergeRecords(a, b) for a `b` given as parts (a delta as it came off the wire): a backup merges
 * a delta without packing it into a body of its own first. Same result.
 */
export function mergeParts(a: SessionRecord | undefined, id: string, lastAccessMs: number, parts: BodyParts): SessionRecord {
  if (a === undefined) return recordFromParts(id, lastAccessMs, parts);
  if (a.id !== id) throw new Error(`mergeParts: different sessions ${a.id} and ${id}`);
  return mergeWith(a, lastAccessMs, parts, undefined);
}

/** Merges copy `a` with a copy given by its parts `y` (and `b`, its record, when there is one). */
function mergeWith(a: SessionRecord, bLastAccessMs: number, y: BodyParts, b: SessionRecord | undefined): SessionRecord {
  const lastAccessMs = Math.max(a.lastAccessMs, bLastAccessMs);
  const x = unpackBody(a.body);
  const destroyed = x.destroyed || y.destroyed;
  const attrs = destroyed ? EMPTY_TABLE : mergeTables(x.attrs, y.attrs);
  const idleCmp = compareHlc(x.maxIdleStamp, y.maxIdleStamp);
  const idleFromX = idleCmp > 0 || (idleCmp === 0 && x.maxIdleMs >= y.maxIdleMs);
  const merged: BodyParts = {
    version: Math.max(x.version, y.version),
    createdAtMs: Math.min(x.createdAtMs, y.createdAtMs),
    maxIdleMs: idleFromX ? x.maxIdleMs : y.maxIdleMs,
    maxIdleStamp: idleFromX ? x.maxIdleStamp : y.maxIdleStamp,
    stamp: compareHlc(x.stamp, y.stamp) >= 0 ? x.stamp : y.stamp,
    destroyed,
    attrs,
  };
  // Reuse an input when it already is the result: duplicate and stale deltas allocate no body.
  if (sameAs(x, merged)) return lastAccessMs === a.lastAccessMs ? a : new SessionRecord(a.id, lastAccessMs, a.body);
  if (b !== undefined && sameAs(y, merged)) return lastAccessMs === b.lastAccessMs ? b : new SessionRecord(a.id, lastAccessMs, b.body);
  return recordFromParts(a.id, lastAccessMs, merged);
}

/** `m` has the contents of `r` (attrs by identity: mergeTables returns an input table it adopts whole). */
function sameAs(r: BodyParts, m: BodyParts): boolean {
  return (
    r.attrs === m.attrs &&
    r.version === m.version &&
    r.createdAtMs === m.createdAtMs &&
    r.maxIdleMs === m.maxIdleMs &&
    r.maxIdleStamp === m.maxIdleStamp &&
    r.stamp === m.stamp &&
    r.destroyed === m.destroyed
  );
}

/**
 * LWW join of two sorted tables. Returns `x` or `y` itself when the other adds nothing, so
 * reference equality tells the caller which input won.
 */
function mergeTables(x: AttrTable, y: AttrTable): AttrTable {
  if (x === y || y.length === 0) return x;
  if (x.length === 0) return y;
  const out: unknown[] = [];
  let allX = true;
  let allY = true;
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    const c = i >= x.length ? 1 : j >= y.length ? -1 : x[i] === y[j] ? 0 : (x[i] as string) < (y[j] as string) ? -1 : 1;
    if (c < 0) {
      out.push(x[i], x[i + 1], x[i + 2]);
      allY = false;
      i += STRIDE;
    } else if (c > 0) {
      out.push(y[j], y[j + 1], y[j + 2]);
      allX = false;
      j += STRIDE;
    } else {
      const w = winner(x, i, y, j);
      if (w === 0) {
        // Equal entries: take x's, but either input may still be the whole result.
        out.push(x[i], x[i + 1], x[i + 2]);
      } else if (w > 0) {
        out.push(x[i], x[i + 1], x[i + 2]);
        allY = false;
      } else {
        out.push(y[j], y[j + 1], y[j + 2]);
        allX = false;
      }
      i += STRIDE;
      j += STRIDE;
    }
  }
  if (allX) return x;
  if (allY) return y;
  return out; // transient: packed into a body by the caller
}

/**
 * >0: x's entry wins, <0: y's, 0: they are the same write. Greater stamp wins; on an exact stamp
 * tie (impossible between honest members: stamps carry the node id) a tombstone wins, then the
 * greater encoding, so the outcome does not depend on the argument order.
 */
function winner(x: AttrTable, i: number, y: AttrTable, j: number): number {
  const sx = x[i + 2];
  const sy = y[j + 2];
  if (sx !== sy) {
    const c = compareHlc(sx as never, sy as never);
    if (c !== 0) return c;
  }
  const vx = x[i + 1];
  const vy = y[j + 1];
  if (vx === vy) return 0;
  if (vx === TOMBSTONE) return 1;
  if (vy === TOMBSTONE) return -1;
  return compareEncoded(vx as string, vy as string);
}
