/**
 * A session copy: an LWW attribute map (attrs.ts) plus metadata. Immutable: every operation
 * returns a new record (sharing unchanged parts), so a record handed to a delta, a chunk or the
 * app can never change underneath it.
 *
 * Merge rules per field (merge.ts), each a join, so merging is commutative, associative and
 * idempotent:
 * - attrs: per name, the entry with the greater stamp (ties: tombstone, then greater encoding);
 * - version: max (the primary increments it on every accepted change; ifVersion checks it);
 * - createdAtMs: min; lastAccessMs: max;
 * - maxIdleMs: LWW by maxIdleStamp (ties: larger value);
 * - stamp: max of every write folded in (create, update, delete, destroy);
 * - destroyed: OR, and a destroyed record has no attributes: terminal whatever the delivery order.
 *
 * Memory (x64 Node 20, 8-byte pointers; measured by bench/memory.ts at 100k copies, heap plus
 * off-heap memory): a record is three fields, `id`, `lastAccessMs` and `body`: 48 bytes plus the
 * boxed double of lastAccessMs, 64. Everything else is in `body` (packed.ts), ONE one-byte
 * string, 16 bytes of header plus about the copy's encoded size minus its id (metadata 39 bytes,
 * 12 per distinct stamp plus its epoch as a varint, node ids, names and values as msgpack
 * bytes). No object per attribute, value, stamp or node id. The id string (~40 bytes for 22
 * characters) is shared with the store's Map key; a store entry plus an expiry-index entry add
 * ~90 (Map slots and slack). The express-session shape {cookie, userId, views}: body 166 bytes,
 * 380 bytes of heap per copy for 176 encoded (overhead 205; 202–208 once stamps carried their
 * epoch, +1 byte; it was 655 and 479 when values were live object graphs, each stamp
 * an Hlc object and the record 10 fields). A 1 KiB session (a cart of 8 objects): 1 052 bytes
 * of heap for 839 encoded (overhead 213; was 2 036 and 1 197).
 *
 * Costs moved to the operations instead: the metadata getters decode a few bytes of the body
 * (no allocation; stamp and maxIdleStamp allocate one Hlc), toPlainData is one msgpack decode of
 * the body's data map (~0.8 µs small, ~3.4 µs for 1 KiB; the deep copy it replaces took ~0.2 /
 * ~1 µs), and every write packs new bodies (applyUpdate ~6-7 µs, including the digest, which the
 * store then reads in O(1) instead of hashing twice per put: a whole primary write costs what it
 * did). touch() shares the body: it allocates only the record. See docs/architecture.md.
 */
import type { Hlc } from '../clock/hlc.js';
import { SessionMeshError } from '../errors.js';
import { type AttrTable, countLive } from './attrs.js';
import { type BodyParts, bodyCreatedAtMs, bodyData, bodyDestroyed, bodyLiveBytes, bodyMaxIdleMs, bodyStamp, bodyVersion, packBody, unpackBody } from './packed.js';

export class SessionRecord {
  /**
   * Build records only through createRecord/applyUpdate/merge/decode (or recordFromParts): they
   * keep the invariants. Two records with the same id, lastAccessMs and body are the same copy
   * (the body is canonical), so assert.deepStrictEqual compares replicated state.
   */
  constructor(
    readonly id: string,
    readonly lastAccessMs: number,
    /** @internal The packed replicated state (packed.ts). */
    readonly body: string,
  ) {}

  get version(): number {
    return bodyVersion(this.body);
  }

  get createdAtMs(): number {
    return bodyCreatedAtMs(this.body);
  }

  get maxIdleMs(): number {
    return bodyMaxIdleMs(this.body);
  }

  get destroyed(): boolean {
    return bodyDestroyed(this.body);
  }

  /** Max stamp of every write folded into this copy; ≥ every attribute stamp and maxIdleStamp. A new object per call. */
  get stamp(): Hlc {
    return bodyStamp(this.body, 0);
  }

  get maxIdleStamp(): Hlc {
    return bodyStamp(this.body, 1);
  }

  /** The attribute table, unpacked (values are encodings, see attrs.ts). A new array per call. */
  get attrs(): AttrTable {
    return unpackBody(this.body).attrs;
  }

  /** Σ encodedSize(name) + encodedSize(value) over live attributes. O(1): kept in the body. */
  liveBytes(): number {
    return bodyLiveBytes(this.body);
  }
}

/** A delta is a record fragment: only the changed attributes, with the full metadata. */
export type SessionDelta = SessionRecord;

/** A record from its parts (attribute values already encoded, table sorted and unique). */
export function recordFromParts(id: string, lastAccessMs: number, parts: BodyParts): SessionRecord {
  return new SessionRecord(id, lastAccessMs, packBody(id, parts));
}

export function expiresAtMs(record: SessionRecord): number {
  return record.lastAccessMs + record.maxIdleMs;
}

/**
 * Idle-expired at nowMs. Backups pass a graceMs margin (≥ the touch replication interval) so a
 * copy whose latest touches have not arrived yet is never expired before the primary would.
 * A destroyed marker expires on the same schedule: it is kept long enough to absorb late deltas.
 */
export function isExpired(record: SessionRecord, nowMs: number, graceMs = 0): boolean {
  return nowMs >= record.lastAccessMs + record.maxIdleMs + graceMs;
}

/** Records an access. O(1); returns the same record when nothing changes. */
export function touch(record: SessionRecord, nowMs: number): SessionRecord {
  nowMs = timeMs(nowMs);
  if (record.destroyed || !(nowMs > record.lastAccessMs)) return record;
  return new SessionRecord(record.id, nowMs, record.body);
}

/** Upper bound of accessResolutionMs. */
export const MAX_ACCESS_RESOLUTION_MS = 1000;

/**
 * How finely the primary records accesses to a session: 1/1000 of its idle timeout, at most
 * MAX_ACCESS_RESOLUTION_MS (0 below 1 s of idle timeout: every millisecond counts). An access
 * closer than this to the recorded one is not recorded. A session read many times a second would
 * otherwise get a new record and a queued touch on every read; the price is that an idle session
 * may expire up to this much early (≤ 0.1 % of its idle timeout, 1 s at the 30 min default).
 * Only for the primary's own accesses: merges of replicated touches stay exact (max), which keeps
 * them commutative.
 */
export function accessResolutionMs(maxIdleMs: number): number {
  return Math.min(MAX_ACCESS_RESOLUTION_MS, Math.floor(maxIdleMs / 1000));
}

/** The app's view: live attributes, decoded afresh (the app may change them freely). */
export function toPlainData(record: SessionRecord): Record<string, unknown> {
  return bodyData(record.body);
}

export function attributeCount(record: SessionRecord): number {
  return countLive(record.attrs);
}

/** Record times are whole milliseconds in [0, 2^48); a clock outside that is a driver bug. */
export function timeMs(nowMs: number): number {
  if (!(nowMs >= 0 && nowMs < 2 ** 48)) throw new Error(`session: bad time ${nowMs}`);
  return Math.floor(nowMs);
}

export function notFound(id: string): SessionMeshError {
  return new SessionMeshError('ERR_NOT_FOUND', `session ${id} does not exist`, { id });
}
