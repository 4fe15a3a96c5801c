/**
 * Hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014).
 *
 * A stamp is (epoch, wallMs, logical, nodeId), totally ordered in that order. `epoch` is the
 * epoch of the partition table the issuing member had adopted (advanceEpoch), `wallMs` is always
 * some member's physical reading (never invented), `logical` orders events within one millisecond
 * and `nodeId` breaks the remaining ties, so two members never issue equal stamps. LWW session
 * merges (DESIGN.md §7) compare these stamps.
 *
 * Why the epoch ranks first (docs/architecture.md, "Stamps rank by epoch"): only the primary of a
 * partition writes, and a newer table's primary is the one whose writes were acknowledged. A
 * stale primary (paused, then resumed before it learnt the newer table) must never win a merge
 * over a write made under the newer table, whatever the clocks say: its wall clock may well be
 * later (skew, or just because it writes later in real time). The epoch is not an HLC component:
 * `receive(remote)` keeps the wall/logical/drift logic and does not take the remote epoch (an
 * epoch is only raised by adopting that table), so `now()` is greater than every stamp issued
 * and, in (wallMs, logical), every stamp received; writeStamp (session/update.ts) refuses to
 * write a record that already holds a stamp of a newer epoch than the clock's.
 *
 * Drift bound (choice: REFUSE, not clamp). `receive(remote)` returns null, and leaves the clock
 * untouched, when the remote wall time is more than `maxDriftMs` ahead of our physical clock.
 * Clamping would be worse: we would still store the peer's far-future stamp on the data, so our
 * own later writes would lose to it until real time caught up. Refusing means the caller drops
 * (and logs) the message; a member with a broken clock cannot replicate until it is fixed, but it
 * can never drag the cluster's clocks forward by more than `maxDriftMs`: every accepted wall time
 * is within `maxDriftMs` of an honest member's physical clock.
 *
 * Logical overflow: `logical` stays below 2^31 (a small integer in V8, cheap to store). If it
 * would pass that (a stuck physical clock), `wallMs` is advanced by one and `logical` resets;
 * monotonicity is kept at the price of a wall component a little ahead of real time.
 */
import type { Clock } from './clock.js';
import { SessionMeshError } from '../errors.js';

export interface Hlc {
  /** Epoch of the partition table the writing member had adopted; 0 before any. */
  readonly epoch: number;
  readonly wallMs: number;
  readonly logical: number;
  readonly nodeId: string;
}

/** Table epochs are safe integers (they only grow by one per committed table). */
export const MAX_HLC_EPOCH = Number.MAX_SAFE_INTEGER;
/** 2^48 ms is the year 10889: plenty, and it keeps wall times exact integers. */
export const MAX_HLC_WALL_MS = 2 ** 48 - 1;
export const MAX_HLC_LOGICAL = 2 ** 31 - 1;
export const MAX_HLC_NODE_ID_LENGTH = 128;
/** NTP-synced hosts are well within this; a member further off is broken and should be noticed. */
export const DEFAULT_MAX_DRIFT_MS = 10_000;

/** Smaller than every stamp a clock issues (node ids are never empty). Not valid on the wire. */
export const ZERO_HLC: Hlc = Object.freeze({ epoch: 0, wallMs: 0, logical: 0, nodeId: '' });

export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  if (a.nodeId === b.nodeId) return 0;
  return a.nodeId < b.nodeId ? -1 : 1;
}

export function maxHlc(a: Hlc, b: Hlc): Hlc {
  return compareHlc(a, b) >= 0 ? a : b;
}

export function formatHlc(h: Hlc): string {
  return `${h.epoch}:${h.wallMs}.${h.logical}@${h.nodeId}`;
}

export function isValidNodeId(nodeId: unknown): nodeId is string {
  return typeof nodeId === 'string' && nodeId.length > 0 && nodeId.length <= MAX_HLC_NODE_ID_LENGTH;
}

export function isValidEpoch(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_HLC_EPOCH;
}

function isWall(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_HLC_WALL_MS;
}

function isLogical(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_HLC_LOGICAL;
}

/** Wire form: a 4-tuple, the smallest msgpack shape (no field names). */
export type HlcWire = [epoch: number, wallMs: number, logical: number, nodeId: string];

export function encodeHlc(h: Hlc): HlcWire {
  return [h.epoch, h.wallMs, h.logical, h.nodeId];
}

/** Validates untrusted input; anything else than a well-formed tuple is ERR_BAD_FRAME. */
export function decodeHlc(x: unknown): Hlc {
  if (!Array.isArray(x) || x.length !== 4) throw badStamp('not a 4-tuple');
  const [epoch, wallMs, logical, nodeId] = x as unknown[];
  return hlcOf(epoch, wallMs, logical, nodeId);
}

/** Builds a stamp from untrusted parts (used by decoders that store stamps in flat arrays). */
export function hlcOf(epoch: unknown, wallMs: unknown, logical: unknown, nodeId: unknown): Hlc {
  if (!isValidEpoch(epoch)) throw badStamp('bad epoch');
  if (!isWall(wallMs)) throw badStamp('bad wallMs');
  if (!isLogical(logical)) throw badStamp('bad logical');
  if (!isValidNodeId(nodeId)) throw badStamp('bad nodeId');
  return { epoch, wallMs, logical, nodeId };
}

function badStamp(reason: string): SessionMeshError {
  return new SessionMeshError('ERR_BAD_FRAME', `invalid HLC stamp: ${reason}`);
}

export interface HybridClockOptions {
  maxDriftMs?: number;
}

/** One per member. Deterministic given its Clock, so the simulator can drive it. */
export class HybridClock {
  readonly maxDriftMs: number;
  private epochNow = 0;
  private wallMs = 0;
  private logical = 0;
  private lastStamp: Hlc;

  constructor(
    readonly nodeId: string,
    private readonly clock: Clock,
    options: HybridClockOptions = {},
  ) {
    if (!isValidNodeId(nodeId)) throw new Error(`HybridClock: invalid node id ${JSON.stringify(nodeId)}`);
    this.maxDriftMs = options.maxDriftMs ?? DEFAULT_MAX_DRIFT_MS;
    if (!Number.isFinite(this.maxDriftMs) || this.maxDriftMs < 0) throw new Error('HybridClock: bad maxDriftMs');
    this.lastStamp = ZERO_HLC;
  }

  /** The last stamp issued (ZERO_HLC before the first one). Does not tick. */
  current(): Hlc {
    return this.lastStamp;
  }

  /** The epoch the next stamps carry: the highest passed to advanceEpoch (0 before any). */
  get epoch(): number {
    return this.epochNow;
  }

  /**
   * The member adopted a partition table of epoch `e`: its stamps carry it from now on. Monotone:
   * a lower epoch than the current one is ignored (the clock's epoch never decreases).
   */
  advanceEpoch(e: number): void {
    if (!isValidEpoch(e)) throw new Error(`HybridClock: bad epoch ${e}`);
    if (e > this.epochNow) this.epochNow = e;
  }

  /**
   * A stamp for a local event, at the current epoch: strictly greater than every stamp issued
   * before, and than every stamp received before in (wallMs, logical) (see receive).
   */
  now(): Hlc {
    const pt = this.physicalMs();
    if (pt > this.wallMs) this.set(pt, 0);
    else this.set(this.wallMs, this.logical + 1);
    return this.lastStamp;
  }

  /**
   * Merges a remote stamp (message receipt) and returns a stamp greater than every earlier one and,
   * in (wallMs, logical), than the remote one; or null, with no change, if the remote is more
   * than maxDriftMs in our future. The remote epoch is not taken: the returned stamp carries the
   * clock's own epoch (only adopting a table raises it), so it is greater than the remote stamp
   * only when the remote epoch is not greater than ours.
   */
  receive(remote: Hlc): Hlc | null {
    const pt = this.physicalMs();
    if (remote.wallMs - pt > this.maxDriftMs) return null;
    const wall = Math.max(this.wallMs, remote.wallMs, pt);
    let logical: number;
    if (wall === this.wallMs && wall === remote.wallMs) logical = Math.max(this.logical, remote.logical) + 1;
    else if (wall === this.wallMs) logical = this.logical + 1;
    else if (wall === remote.wallMs) logical = remote.logical + 1;
    else logical = 0;
    this.set(wall, logical);
    return this.lastStamp;
  }

  private set(wallMs: number, logical: number): void {
    if (logical > MAX_HLC_LOGICAL) {
      wallMs += 1;
      logical = 0;
    }
    if (wallMs > MAX_HLC_WALL_MS) throw new Error('HybridClock: wall time beyond MAX_HLC_WALL_MS');
    this.wallMs = wallMs;
    this.logical = logical;
    this.lastStamp = { epoch: this.epochNow, wallMs, logical, nodeId: this.nodeId };
  }

  private physicalMs(): number {
    const ms = this.clock.nowMs();
    // A broken clock is an invariant failure (the driver feeds it), not a network input.
    if (!Number.isFinite(ms)) throw new Error(`HybridClock: clock returned ${ms}`);
    return Math.min(Math.max(Math.floor(ms), 0), MAX_HLC_WALL_MS);
  }
}
