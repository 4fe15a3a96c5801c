/**
 * The primary's write operations: create, update, destroy. Each returns the new record and the
 * delta to send to backups; applyDelta(previous, delta) on a backup yields a record equal to the
 * primary's (merge.ts), because the delta's stamp is newer than everything in `previous`.
 *
 * Choice for unchanged values: none — every attribute an update names is written. A set to a
 * value deep-equal to the current one re-stamps it, and a delete of an attribute the copy does
 * not hold (never set, or already deleted) leaves a tombstone at the write's stamp; both are in
 * the delta and the version goes up by one. An acknowledged write must leave a stamp that wins
 * over everything older (DESIGN.md §7): the primary's copy is not the only copy, and the other
 * side of a split, or a backup holding a write that never reached this copy, would otherwise
 * bring its older value back at the merge (issue #11, defect 3). The same holds for `maxIdleMs`.
 * The price: such a tombstone takes an entry (2 × maxAttributes cap, see write()) for the life of
 * the session. Only an update that names nothing (no set, no delete, no maxIdleMs) is not a
 * write: the version stays, lastAccessMs is touched, and its delta is a metadata-only fragment
 * (`changed: false`), which the caller may coalesce as a touch.
 *
 * Choice for undefined: `set: {a: undefined}` deletes `a` (JSON has no undefined: an absent key);
 * undefined nested inside objects is dropped, inside arrays refused (values.ts).
 */
import { type Hlc, type HybridClock, ZERO_HLC, compareHlc, formatHlc } from '../clock/hlc.js';
import { SessionMeshError } from '../errors.js';
import { type AttrTable, EMPTY_TABLE, STRIDE, TOMBSTONE, findSlot, overwrite } from './attrs.js';
import { type BodyParts, encodedNameSize, unpackBody } from './packed.js';
import { isValidSessionId } from './id.js';
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from './limits.js';
import { type SessionDelta, type SessionRecord, notFound, recordFromParts, timeMs, touch } from './record.js';
import { ValueCloner, checkChange, checkMaxIdleMs, encodeValue } from './values.js';
import { wireFromParts } from './codec.js';

export interface SessionUpdate {
  set?: Record<string, unknown>;
  delete?: readonly string[];
  /** New idle timeout; LWW like an attribute. */
  maxIdleMs?: number;
}

export interface WriteOptions {
  /** From the primary's HybridClock.now(), after it received record.stamp: must be newer. */
  stamp: Hlc;
  nowMs: number;
  limits?: SessionLimits;
}

export interface UpdateOptions extends WriteOptions {
  /** Optimistic concurrency: refuse with ERR_VERSION_CONFLICT unless record.version === ifVersion. */
  ifVersion?: number;
}

export interface UpdateResult {
  readonly record: SessionRecord;
  /** What backups merge, as a record; packed on first use. */
  readonly delta: SessionDelta;
  /**
   * The delta in wire form (codec.ts), built from the values this write checked and encoded:
   * what replication sends. Replication never needs the packed delta, so a write packs one body
   * (the new record), not two, and nothing is unpacked and decoded again to be sent.
   */
  readonly deltaWire: unknown[];
  /** False when the update named nothing: only lastAccessMs changed (version not incremented). */
  readonly changed: boolean;
}

/** An UpdateResult whose delta forms are built when asked for. */
class WriteResult implements UpdateResult {
  private packed: SessionDelta | undefined;
  private wire: unknown[] | undefined;

  constructor(
    readonly record: SessionRecord,
    readonly changed: boolean,
    private readonly accessMs: number,
    private readonly parts: BodyParts,
    /** Decoded value of each live attribute in `parts`. */
    private readonly valueOf: (name: string) => unknown,
    packed?: SessionDelta,
  ) {
    this.packed = packed;
  }

  get delta(): SessionDelta {
    return (this.packed ??= recordFromParts(this.record.id, this.accessMs, this.parts));
  }

  get deltaWire(): unknown[] {
    return (this.wire ??= wireFromParts(this.record.id, this.accessMs, this.parts, this.valueOf));
  }
}

/** The writes' cloner, restarted per write (see ValueCloner.begin). */
const writeCloner = new ValueCloner({ maxValueDepth: 1, budgetBytes: 0 });

const NO_VALUES = (): never => {
  throw new Error('a metadata-only delta has no values');
};

export interface CreateOptions extends WriteOptions {
  maxIdleMs: number;
}

/**
 * A stamp for writing to `record`: newer than everything in it, as applyUpdate/destroyRecord
 * require, even when the record came from a member whose clock is ahead (failover, migration).
 *
 * Stamps rank by table epoch first (hlc.ts): a record stamped under a newer epoch than the
 * clock's was written by the primary of a table this member has not adopted yet, so this member
 * is a stale primary. It must not write (its write would lose to the newer primary's anyway, or
 * worse, be acknowledged and then lose): ERR_NOT_PRIMARY, and the requester retries once it
 * learns the newer table. Nothing has been changed when it throws.
 */
export function writeStamp(hlc: HybridClock, record: SessionRecord): Hlc {
  const current = record.stamp;
  if (current.epoch > hlc.epoch) {
    throw new SessionMeshError('ERR_NOT_PRIMARY', `session ${record.id} was written under table epoch ${current.epoch}, newer than this member's ${hlc.epoch}`, {
      id: record.id,
      epoch: current.epoch,
      ownEpoch: hlc.epoch,
    });
  }
  // An older epoch: any stamp of ours is newer. The same one: newer in (wallMs, logical) too.
  if (current.epoch < hlc.epoch || compareHlc(hlc.current(), current) >= 0) return hlc.now();
  const stamp = hlc.receive(current);
  // Stored stamps passed the drift check when they arrived, and our clock only moves forward.
  if (stamp === null) throw new Error(`record ${record.id} carries a stamp beyond the drift bound: ${formatHlc(current)}`);
  return stamp;
}

/** A new session at version 1; the record is also the delta to send to backups. */
export function createRecord(id: string, data: Record<string, unknown>, opts: CreateOptions): SessionRecord {
  if (!isValidSessionId(id)) throw new SessionMeshError('ERR_INVALID_VALUE', 'invalid session id', { id: String(id).slice(0, 200) });
  checkMaxIdleMs(opts.maxIdleMs);
  // An empty version-0 copy that every stamp beats; the update below fills it in.
  const nowMs = timeMs(opts.nowMs);
  const empty: BodyParts = { version: 0, createdAtMs: nowMs, maxIdleMs: opts.maxIdleMs, destroyed: false, stamp: ZERO_HLC, maxIdleStamp: ZERO_HLC, attrs: EMPTY_TABLE };
  return write(id, nowMs, empty, 0, { set: data }, opts, true).record;
}

export function applyUpdate(record: SessionRecord, update: SessionUpdate, opts: UpdateOptions): UpdateResult {
  if (record.destroyed) throw notFound(record.id);
  if (opts.ifVersion !== undefined && opts.ifVersion !== record.version) {
    throw new SessionMeshError('ERR_VERSION_CONFLICT', `session ${record.id} is at version ${record.version}, not ${opts.ifVersion}`, {
      id: record.id,
      expected: opts.ifVersion,
      actual: record.version,
    });
  }
  const parts = unpackBody(record.body);
  return write(record.id, record.lastAccessMs, parts, parts.liveBytes, update, opts, false, record);
}

/** Destroys a session for good; the returned record (no attributes) is also the delta. */
export function destroyRecord(record: SessionRecord, opts: { stamp: Hlc; nowMs: number }): SessionRecord {
  if (record.destroyed) return record;
  checkStamp(record.stamp, opts.stamp);
  const r = record;
  const lastAccessMs = Math.max(r.lastAccessMs, timeMs(opts.nowMs));
  return recordFromParts(r.id, lastAccessMs, {
    version: r.version + 1,
    createdAtMs: r.createdAtMs,
    maxIdleMs: r.maxIdleMs,
    destroyed: true,
    stamp: opts.stamp,
    maxIdleStamp: r.maxIdleStamp,
    attrs: EMPTY_TABLE,
  });
}

/**
 * `r` is the unpacked state of the copy (`stored` itself unless creating), `liveBytes` its size.
 * Values are compared and stored encoded: a new value is cloned (checked, normalised), then
 * encoded once; that encoding is what the body keeps and what counts against the limits.
 */
function write(
  id: string,
  lastAccessMs: number,
  r: BodyParts,
  liveBytes: number,
  update: SessionUpdate,
  opts: UpdateOptions,
  creating: boolean,
  stored?: SessionRecord,
): UpdateResult {
  const limits = opts.limits ?? DEFAULT_SESSION_LIMITS;
  const nowMs = timeMs(opts.nowMs);
  // name → the checked copy of its new value (TOMBSTONE to delete): encoded below, and carried as
  // is by the delta's wire form. Every name is written, unchanged values and absent deletes
  // included (see "Choice for unchanged values"). (checkChange is the one check of a change;
  // members that route an op elsewhere run it where the op enters.)
  const wanted = checkChange(update, writeCloner.begin({ maxValueDepth: limits.maxValueDepth, budgetBytes: limits.maxSessionBytes }));
  // A new session has no older state to override: an undefined value is just absent.
  if (creating) for (const [name, copy] of wanted) if (copy === TOMBSTONE) wanted.delete(name);
  const maxIdleMs = update.maxIdleMs;
  const t = r.attrs;

  let live = 0;
  let entries = t.length / STRIDE;
  for (let i = 1; i < t.length; i += STRIDE) if (t[i] !== TOMBSTONE) live++;
  const written: [string, unknown][] = [];
  for (const [name, copy] of wanted) {
    const value = copy === TOMBSTONE ? TOMBSTONE : encodeValue(copy);
    const slot = findSlot(t, name);
    const old = slot < 0 ? TOMBSTONE : t[slot + 1];
    if (old !== TOMBSTONE) {
      liveBytes -= encodedNameSize(name) + (old as string).length;
      live--;
    }
    if (value !== TOMBSTONE) {
      liveBytes += encodedNameSize(name) + (value as string).length;
      live++;
    }
    if (slot < 0) entries++;
    written.push([name, value]);
  }
  const idleNamed = maxIdleMs !== undefined;

  if (written.length === 0 && !idleNamed && !creating && stored !== undefined) {
    const touched = touch(stored, nowMs);
    const meta: BodyParts = { version: r.version, createdAtMs: r.createdAtMs, maxIdleMs: r.maxIdleMs, destroyed: r.destroyed, stamp: r.stamp, maxIdleStamp: r.maxIdleStamp, attrs: EMPTY_TABLE };
    return new WriteResult(touched, false, touched.lastAccessMs, meta, NO_VALUES);
  }
  checkStamp(r.stamp, opts.stamp);
  if (live > limits.maxAttributes) {
    throw tooLarge(id, `${live} attributes exceed maxAttributes (${limits.maxAttributes})`, { attributes: live, maxAttributes: limits.maxAttributes });
  }
  // Tombstones are kept for the life of the session (pruning one could let an old write come
  // back in a later merge), so the total is capped too. A delete of a name the copy never held
  // takes an entry as well (it must leave a stamp): at the cap, it is refused like a new name.
  if (entries > 2 * limits.maxAttributes) {
    throw tooLarge(id, `${entries} attribute entries including deleted names exceed 2 × maxAttributes`, {
      entries,
      maxAttributes: limits.maxAttributes,
    });
  }
  if (liveBytes > limits.maxSessionBytes) {
    throw tooLarge(id, `session data of ${liveBytes} bytes exceeds maxSessionBytes (${limits.maxSessionBytes})`, {
      bytes: liveBytes,
      maxSessionBytes: limits.maxSessionBytes,
    });
  }

  written.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const delta = new Array<unknown>(written.length * STRIDE);
  written.forEach(([name, value], i) => {
    delta[i * STRIDE] = name;
    delta[i * STRIDE + 1] = value;
    delta[i * STRIDE + 2] = opts.stamp;
  });
  // (Object literals, not spreads: a spread here cost more than packing the body.)
  const parts = (attrs: AttrTable): BodyParts => ({
    version: r.version + 1,
    createdAtMs: r.createdAtMs,
    maxIdleMs: idleNamed ? maxIdleMs : r.maxIdleMs,
    destroyed: false,
    stamp: opts.stamp,
    maxIdleStamp: idleNamed || creating ? opts.stamp : r.maxIdleStamp,
    attrs,
  });
  const nextAccessMs = Math.max(lastAccessMs, nowMs);
  const next = recordFromParts(id, nextAccessMs, parts(overwrite(t, delta)));
  if (next.liveBytes() !== liveBytes) throw new Error(`session ${id}: size bookkeeping ${liveBytes} != ${next.liveBytes()}`);
  const valueOf = (name: string): unknown => wanted.get(name);
  return new WriteResult(next, true, nextAccessMs, parts(delta), valueOf, creating ? next : undefined);
}

function checkStamp(current: Hlc, stamp: Hlc): void {
  // A stale stamp would make the primary's copy and the merged backup copies disagree. It is a
  // driver bug (receive(record.stamp) before now()), so it throws loudly rather than returning.
  if (compareHlc(stamp, current) <= 0) {
    throw new Error(`session write stamp ${formatHlc(stamp)} is not newer than the record's ${formatHlc(current)}`);
  }
}


function tooLarge(id: string, reason: string, details: Record<string, unknown>): SessionMeshError {
  return new SessionMeshError('ERR_SESSION_TOO_LARGE', `session ${id}: ${reason}`, { id, ...details });
}
