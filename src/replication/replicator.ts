/**
 * The per-member replication state machine (DESIGN.md §7, docs/architecture.md "Replication").
 * Pure: time comes in as `nowMs`, randomness through the injected Random; every input returns
 * the outputs (sends, op completions, events, warnings) for the driver to carry out, and the
 * driver calls tick() at nextDeadlineMs().
 *
 * Roles per partition come from the committed table: the primary applies ops and replicates
 * deltas to its backups and migration targets; backups accept deltas, chunks and touches only
 * from the member that is primary in THEIR table (otherwise they answer with their table, so
 * a stale primary learns it was replaced and its write is not counted as acknowledged).
 * The coordinator (oldest live data member) plans tables (plan.ts) and commits them.
 */
import type { Random } from '../clock/clock.js';
import { type Hlc, HybridClock } from '../clock/hlc.js';
import { ErrorCodes, type ErrorCode, SessionMeshError, isSessionMeshError } from '../errors.js';
import type { MemberRecord } from '../membership/member.js';
import { type PartitionTable, coordinatorOf, drawLocalSessionId, isPlacementMember, partitionOf } from '../placement/index.js';
import { type WireParts, partsFromWire, recordFromWireParts, recordToWire } from '../session/codec.js';
import { sessionDigest } from '../session/digest.js';
import { ExpiryIndex } from '../session/expiry.js';
import { isValidSessionId, newSessionId } from '../session/id.js';
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from '../session/limits.js';
import { type SessionRecord, accessResolutionMs, expiresAtMs, isExpired } from '../session/record.js';
import type { ReadCacheStats } from '../session/read-cache.js';
import { SessionStore } from '../session/store.js';
import { applyUpdate, createRecord, destroyRecord, writeStamp } from '../session/update.js';
import { MessageType } from '../wire/message-types.js';
import { type ReplicationConfig, resolveReplicationConfig } from './config.js';
import { type OpResult, type RoutedOp, type SessionOp, checkOp, isWriteOp, opFromWire, resultFromWire } from './ops.js';
import type { ReplicationEvent, ReplicatorOutput } from './outputs.js';
import { NearCache, type NearCacheStats } from './near-cache.js';
import { type Invalidations, NearReaders, type NearReadersStats } from './near-readers.js';
import { planTable, readyKey, rowsEqual } from './plan.js';
import { type AppliedOpWire, AppliedOps, appliedOpsFromWire, opKey } from './applied-ops.js';
import { CutReports, Unreachable } from './reachability.js';
import { type AcceptedTable, type Ballot, type TableKey, Voter, ballotAbove, isMajority, keyOfTable, sameKey, valueToPropose, votersOf } from './table-votes.js';
import { type ReplTable, isId, isIncomplete, isNewerTable, primaryIn, tableFromWire, tableToWire } from './table.js';

export interface ReplicatorOptions {
  selfId: string;
  /** This member's start time (the coordinator is the oldest member; tables order by it). */
  startedAtMs: number;
  random: Random;
  config?: Partial<ReplicationConfig>;
  limits?: SessionLimits;
}

type Origin =
  | { kind: 'local'; opId: number }
  /**
   * nc: the requester keeps a get's answer in its near cache; ncOk: it was registered as a reader.
   * key: the op's cluster-wide key (applied-ops.ts), absent from members that send none.
   */
  | { kind: 'remote'; from: string; reqId: number; key?: string; nc?: boolean; ncOk?: boolean }
  /** superseded: a write hand-off whose write lost to writes made under a newer table (see onHandoff). */
  | { kind: 'handoff'; from: string; h: number; superseded?: boolean }
  | { kind: 'internal' };

interface LocalOp {
  opId: number;
  op: SessionOp;
  deadlineMs: number;
  state: 'wait' | 'remote' | 'local';
  retryAtMs: number;
  to: string;
  reqId: number;
  sentAtMs: number;
  /** A get that may fill the near cache (NearCache.beginFill was called), since when. */
  fillSinceMs: number | null;
  /**
   * An attempt of this op went unanswered and was given up (its member died or left): that
   * member may have applied it. A later definite refusal then no longer means "not applied",
   * so it is reported as indeterminate (see completeLocal).
   */
  uncertain: boolean;
}

/** A replicated write waiting for acknowledgements; kept until every replica acked or it expires. */
interface PendingWrite {
  seq: number;
  p: number;
  wire: unknown[];
  /** Who must acknowledge (backups and migration targets of p), and who did; a few ids, so arrays. */
  required: string[];
  acked: string[];
  sentAtMs: number;
  /** The table epoch our clock had when the write was applied (its stamps carry it). */
  epoch: number;
  deadlineMs: number;
  origin: Origin;
  result: OpResult | null;
  finished: boolean;
  /** Ids of the written sessions (for handOverWrite). */
  ids: string[];
  /** The op keys this write applied, sent with every copy of its delta (applied-ops.ts). */
  ops: AppliedOpWire[] | undefined;
}

interface Stream {
  id: number;
  p: number;
  to: string;
  afterId: string | null;
  exhausted: boolean;
  nextChunk: number;
  inflight: Map<number, { body: unknown; sentAtMs: number }>;
  done: boolean;
  reportedAtMs: number;
}

interface Handoff {
  p: number;
  to: string;
  records: SessionRecord[];
  sentAtMs: number;
  /** Set for the hand-off of a write this member applied as primary and could not get acknowledged (handOverWrite). */
  write?: PendingWrite;
}

/** Bounds on untrusted message contents (beyond the frame size limit). */
const MAX_RECORDS_PER_MESSAGE = 10_000;
const MAX_DIGESTS_PER_MESSAGE = 50_000;
/** Near-cache state of a member, for status. */
export interface NearCacheStatus extends NearCacheStats {
  /** The cache is on here (nearCacheEntries > 0); the primary side (readers) always answers. */
  enabled: boolean;
  /** As a primary: readers registered for other members' near caches. */
  readers: NearReadersStats;
}

/** Partitions whose mismatch one anti-entropy answer follows up (bounds the repair traffic). */
const MAX_REPAIRS_PER_ROUND = 8;

export class Replicator {
  readonly config: ReplicationConfig;
  /** Every copy this member holds (primary, backup, migration target, orphan awaiting handoff). */
  readonly store: SessionStore;
  private readonly selfId: string;
  private readonly startedAtMs: number;
  private readonly random: Random;
  private readonly limits: SessionLimits;
  private readonly hlc: HybridClock;
  private readonly expiry = new ExpiryIndex(1000);
  private nowMs = 0;
  private out: ReplicatorOutput[] = [];

  private table: ReplTable | null = null;
  private members: MemberRecord[] = [];
  private alive = new Set<string>();
  private coordinatorId: string | null = null;
  /** Coordinator only: (partition, member) migrations reported complete by the current primary. */
  private readonly ready = new Set<string>();
  private planDirty = false;
  private lastRefreshMs = -Infinity;
  /** When this coordinator last committed a table (finished migrations wait for tableCommitBatchMs after it). */
  private lastCommitMs = -Infinity;
  /** hasQuorum() for the current table and view (null: recompute). */
  private quorumCache: boolean | null = null;
  /** Quorum 'majority' (table-votes.ts): this member's Paxos state as a voter for the next table. */
  private readonly voter = new Voter();
  /** Coordinator under quorum 'majority': its attempt to get the next table chosen. */
  private proposal: Proposal | null = null;
  /** The highest ballot round seen (ours are above it). */
  private maxRound = 0;
  /** As a primary: live members that leave our deltas and chunks unanswered (reachability.ts). */
  private readonly unreachable = new Unreachable();
  private nextCutReportMs = 0;
  /** The last list reported (logged only when it changes). */
  private lastCutReport = '';
  /** As the coordinator: which primaries cannot reach which members. */
  private readonly cuts = new CutReports();
  /**
   * The last input of any kind, and when inputs resumed after a gap longer than 2 × tableRefreshMs
   * (every member has an input at least every tableRefreshMs while it runs: the coordinator's
   * refresh tick, the others its broadcast): a process pause, or cut off from the coordinator.
   */
  private lastInputMs = -Infinity;
  private resumedAtMs = -Infinity;
  /** As the coordinator: readyKey(p, id) of lost holders of incomplete partitions that drained them. */
  private readonly drained = new Set<string>();
  private readonly tableSentTo = new Map<string, number>();

  private readonly localOps = new Map<number, LocalOp>();
  private readonly reqToOp = new Map<number, number>();
  private readonly writes = new Map<number, PendingWrite>();
  /** Remote requests: 'pending' while applying, then the reply, so a retry is not applied twice. */
  private readonly served = new Map<string, unknown>();
  /** Write ops applied here or on the primary whose deltas we hold, by cluster-wide op key. */
  private readonly applied: AppliedOps;
  private readonly streams = new Map<string, Stream>();
  private readonly handoffs = new Map<number, Handoff>();
  private readonly touches = new Map<number, Map<string, number>>();
  private readonly primarySinceMs = new Map<number, number>();
  private nextReq = 1;
  private nextSeq = 1;
  private nextStreamId = 1;
  private nextHandoff = 1;
  private nextAeMs = 0;
  private nextTouchFlushMs = 0;
  /** Graceful leave of this member: requested (leave()), and leaveComplete emitted. */
  private leaving = false;
  private leaveDone = false;
  private nextLeaveMsgMs = Infinity;
  /** The last ReplLeaveAck: who answered and the table it had committed. */
  private leaveAck: { from: string; epoch: number; coordinatorId: string } | null = null;
  /** Members that announced a graceful leave (ReplLeave, or this member itself); the coordinator plans without them. */
  private readonly leavers = new Set<string>();
  /** Near cache of sessions whose primary is elsewhere (off unless nearCacheEntries > 0). */
  private readonly near: NearCache;
  /** As a primary: who keeps what this member served in a near cache. */
  private readonly readers: NearReaders;
  /** Near-cache hits to report to their primaries (NearTouches), per primary. */
  private readonly nearTouches = new Map<string, Set<string>>();

  constructor(options: ReplicatorOptions) {
    this.config = resolveReplicationConfig(options.config);
    this.selfId = options.selfId;
    this.startedAtMs = options.startedAtMs;
    this.random = options.random;
    this.limits = options.limits ?? DEFAULT_SESSION_LIMITS;
    this.hlc = new HybridClock(options.selfId, { nowMs: () => this.nowMs });
    const partitions = this.config.partitions;
    this.store = new SessionStore((id) => partitionOf(id, partitions), this.config.readCacheEntries);
    this.near = new NearCache({ maxEntries: this.config.nearCacheEntries, maxAgeMs: this.config.nearCacheMaxAgeMs });
    this.readers = new NearReaders(this.config.nearCacheReaders);
    // A requester retries until its op's deadline; twice that covers a retry sent just before it.
    this.applied = new AppliedOps(this.config.dedupEntries, 2 * this.config.opTimeoutMs);
  }

  // ------------------------------------------------------------------ inputs

  membershipChanged(nowMs: number, members: readonly MemberRecord[]): ReplicatorOutput[] {
    this.at(nowMs);
    this.members = members.map((m) => ({ ...m }));
    this.alive = new Set(this.members.filter(isPlacementMember).map((m) => m.id));
    this.quorumCache = null;
    this.coordinatorId = coordinatorOf(this.members)?.id ?? null;
    if (!this.isCoordinator()) this.proposal = null;
    for (const id of [...this.leavers]) if (id !== this.selfId && !this.alive.has(id)) this.leavers.delete(id);
    // Near cache: what a dead member served is dropped (its successor does not know we read it);
    // a dead reader is forgotten (a restarted process is a new member with an empty cache).
    const live = new Set(this.members.filter((m) => m.state === 'alive' || m.state === 'suspect').map((m) => m.id));
    this.near.flushPrimary((id) => !live.has(id));
    this.readers.forgetReaders((id) => !live.has(id));
    this.planDirty = true;
    this.maybePlan(true);
    this.syncStreams();
    this.rerouteWaiting(true);
    return this.flush();
  }

  /**
   * The fast path of a read on the primary: answers at once, with no op queued and no output,
   * when this member is the partition's primary in its table — exactly what submit() of a get
   * would answer, minus the bookkeeping (a read on the primary is the hottest operation there
   * is; the session stays in memory here). Returns undefined when the read must go through
   * submit(): not the primary here, no table yet, or an invalid id (submit() reports the error).
   * The access is recorded like any get (touch batch), so the caller re-arms its timer.
   */
  readLocal(nowMs: number, id: string): Extract<OpResult, { kind: 'get' }> | undefined {
    if (this.table === null || !isValidSessionId(id)) return undefined;
    const p = partitionOf(id, this.config.partitions);
    if (this.table.owners[p]![0] !== this.selfId) return undefined;
    this.at(nowMs);
    const rec = this.store.get(id);
    // Not held, and maybe held by copies out of reach: submit() answers ERR_UNAVAILABLE.
    if (rec === undefined && isIncomplete(this.table, p)) return undefined;
    const live = rec !== undefined && !rec.destroyed && !isExpired(rec, this.nowMs, this.expiryMargin(p)) ? rec : undefined;
    if (live === undefined) return { kind: 'get', session: null };
    this.touchLocal(p, live);
    return { kind: 'get', session: { id, version: live.version, data: this.store.data(live) } };
  }

  submit(nowMs: number, opId: number, op: SessionOp): ReplicatorOutput[] {
    this.at(nowMs);
    if (op.kind !== 'create' && !isValidSessionId(op.id)) {
      this.out.push({ type: 'complete', opId, error: new SessionMeshError('ERR_INVALID_VALUE', 'invalid session id') });
      return this.flush();
    }
    // Checked where the op enters (issue #11); its values by the write itself when this member
    // executes it right away (a write on the primary must not pay twice).
    try {
      op = checkOp(op, this.limits, this.executesAtOnce(op));
    } catch (err) {
      if (!(err instanceof SessionMeshError)) throw err;
      this.out.push({ type: 'complete', opId, error: err });
      return this.flush();
    }
    // Read-your-writes through this member: a write drops the near-cache entry and fences gets in flight.
    if (isWriteOp(op) && op.id !== undefined) this.near.invalidate(op.id);
    const lo: LocalOp = { opId, op, deadlineMs: nowMs + this.config.opTimeoutMs, state: 'wait', retryAtMs: nowMs, to: '', reqId: 0, sentAtMs: 0, fillSinceMs: null, uncertain: false };
    this.localOps.set(opId, lo);
    this.route(lo);
    return this.flush();
  }

  /** This member is the primary of the op's session in its table: route() executes it in this step. */
  private executesAtOnce(op: SessionOp): boolean {
    return op.id !== undefined && this.table !== null && this.table.owners[partitionOf(op.id, this.config.partitions)]![0] === this.selfId;
  }

  receive(nowMs: number, from: string, type: number, body: unknown): ReplicatorOutput[] {
    this.at(nowMs);
    try {
      this.dispatch(from, type, body);
    } catch (err) {
      if (!isSessionMeshError(err, 'ERR_BAD_FRAME')) throw err;
      this.warn('invalid replication message ignored', { from, type, reason: err.message.slice(0, 200) });
    }
    return this.flush();
  }

  /**
   * The connection to `peer` closed. Invalidations it sent may have been lost with it, so the
   * near-cache entries it served are dropped and gets in flight do not fill.
   */
  peerDisconnected(nowMs: number, peer: string): ReplicatorOutput[] {
    this.at(nowMs);
    this.near.flushPrimary((id) => id === peer);
    return this.flush();
  }

  /**
   * The driver could not carry out a send (transport.send threw: a body it cannot encode, a frame
   * over maxFrameBytes). The op of this member that the message carried, if any, fails with
   * `error` rather than being retried into the same failure until it times out.
   */
  sendFailed(nowMs: number, messageType: number, body: unknown, error: SessionMeshError): ReplicatorOutput[] {
    this.at(nowMs);
    if (messageType === MessageType.ReplOp && typeof body === 'object' && body !== null) {
      const opId = this.reqToOp.get((body as { r?: unknown }).r as number);
      const lo = opId === undefined ? undefined : this.localOps.get(opId);
      if (lo !== undefined) this.completeLocal(lo, error);
    }
    return this.flush();
  }

  /** Near-cache counters (reader side) and reader registrations (primary side). */
  nearCacheStatus(): NearCacheStatus {
    return { enabled: this.near.enabled, ...this.near.stats(), readers: this.readers.stats() };
  }

  /** Reads as primary answered from kept decoded data (hits) or by decoding (misses). */
  readCacheStatus(): ReadCacheStats {
    return this.store.readCacheStats();
  }

  tick(nowMs: number): ReplicatorOutput[] {
    this.at(nowMs);
    const c = this.config;
    if (this.planDirty && nowMs >= this.lastCommitMs + c.tableCommitBatchMs) this.maybePlan(false);
    if (this.proposal !== null && nowMs >= this.proposal.sentAtMs + c.retryMs) this.sendPaxos();
    if (this.isCoordinator() && nowMs >= this.lastRefreshMs + c.tableRefreshMs) {
      this.lastRefreshMs = nowMs;
      this.planDirty = true;
      this.maybePlan(false);
      if (this.table !== null) for (const id of this.alive) if (id !== this.selfId) this.sendTable(id, true);
    }
    for (const lo of [...this.localOps.values()]) {
      if (lo.state === 'local') continue;
      if (nowMs >= lo.deadlineMs) this.completeLocal(lo, timeout(lo.op));
      else if (lo.state === 'wait' && nowMs >= lo.retryAtMs) this.route(lo);
      else if (lo.state === 'remote' && nowMs >= lo.sentAtMs + 2 * c.retryMs) {
        // Same request id to the same member (it answers a duplicate from its dedup cache), even
        // when the table moved the partition: see rerouteWaiting().
        if (this.alive.has(lo.to)) this.sendOp(lo);
        else this.abandonAttempt(lo);
      }
    }
    for (const w of [...this.writes.values()]) {
      if (nowMs >= w.deadlineMs) {
        this.writes.delete(w.seq);
        if (!w.finished) this.finish(w.origin, timeout());
        continue;
      }
      if (nowMs >= w.sentAtMs + c.retryMs) {
        w.sentAtMs = nowMs;
        for (const m of w.required) if (!w.acked.includes(m)) this.sendDelta(m, w);
      }
    }
    for (const s of this.streams.values()) {
      for (const [, chunk] of s.inflight) {
        if (nowMs >= chunk.sentAtMs + c.retryMs) {
          chunk.sentAtMs = nowMs;
          this.send(s.to, MessageType.ReplChunk, chunk.body);
        }
      }
      if (s.done && nowMs >= s.reportedAtMs + c.tableRefreshMs) this.reportMigrated(s);
    }
    for (const [h, ho] of [...this.handoffs]) {
      if (ho.write !== undefined) {
        this.retryWriteHandoff(h, ho);
        continue;
      }
      // A lost handoff or ack must not stall the cleanup (merging twice is harmless): resend it
      // like a request, or forget it when p's primary changed (the next anti-entropy round
      // hands off to the new one).
      if (primaryIn(this.table, ho.p) !== ho.to || !this.alive.has(ho.to)) this.handoffs.delete(h);
      else if (nowMs >= ho.sentAtMs + 2 * c.retryMs) {
        ho.sentAtMs = nowMs;
        this.send(ho.to, MessageType.ReplHandoff, { p: ho.p, h, recs: ho.records.map(recordToWire) });
      }
    }
    if (nowMs >= this.nextTouchFlushMs) this.flushTouches();
    this.applied.expire(nowMs);
    this.checkReachability();
    if (this.leaving && !this.leaveDone && nowMs >= this.nextLeaveMsgMs) this.sendLeave();
    this.expire();
    if (nowMs >= this.nextAeMs) {
      this.nextAeMs = nowMs + c.antiEntropyIntervalMs;
      this.antiEntropy();
    }
    return this.flush();
  }

  /**
   * Graceful leave (call it before leaving membership): this member takes no new copies, the
   * coordinator migrates every copy it holds to other members (primaries handed over, backups
   * re-created elsewhere) and commits tables without it; ops submitted here meanwhile are still
   * routed to their primaries. Emits the event `leaveComplete` once nothing is left here (see
   * ReplicationEvent); at once when no other data member is alive. Idempotent.
   */
  leave(nowMs: number): ReplicatorOutput[] {
    this.at(nowMs);
    if (this.leaving) return this.flush();
    this.leaving = true;
    this.leavers.add(this.selfId);
    if (this.isCoordinator()) {
      this.planDirty = true;
      this.maybePlan(true);
    }
    this.sendLeave();
    return this.flush();
  }

  /** leave() was called (whether or not it completed). */
  isLeaving(): boolean {
    return this.leaving;
  }

  /** When tick() must run next (virtual or real ms). */
  nextDeadlineMs(): number {
    let t = Math.min(this.nextAeMs, this.expiry.nextDueMs() ?? Infinity);
    if (this.leaving && !this.leaveDone) t = Math.min(t, this.nextLeaveMsgMs);
    const busy = this.localOps.size > 0 || this.writes.size > 0 || this.streams.size > 0 || this.handoffs.size > 0 || this.proposal !== null;
    if (busy) t = Math.min(t, this.nowMs + this.config.retryMs);
    if (this.touches.size > 0 || this.nearTouches.size > 0) t = Math.min(t, this.nextTouchFlushMs);
    if (this.isCoordinator()) t = Math.min(t, this.lastRefreshMs + this.config.tableRefreshMs);
    // A plan deferred by the commit batching (only deferrals leave this in the future).
    const batchDueMs = this.lastCommitMs + this.config.tableCommitBatchMs;
    if (this.planDirty && this.isCoordinator() && batchDueMs > this.nowMs) t = Math.min(t, batchDueMs);
    return Math.max(t, this.nowMs);
  }

  /** The committed table this member routes by (null before the first one). */
  currentTable(): ReplTable | null {
    return this.table;
  }

  // ------------------------------------------------------------------ routing (requester side)

  private route(lo: LocalOp): void {
    const c = this.config;
    if (this.nowMs >= lo.deadlineMs) return this.completeLocal(lo, timeout(lo.op));
    // Under quorum 'majority' a member in the minority refuses writes at once (waiting would not
    // help: its side commits no tables, and the primary may be on the other side).
    if (isWriteOp(lo.op) && !this.hasQuorum()) return this.completeLocal(lo, noQuorum());
    lo.state = 'wait';
    lo.retryAtMs = this.nowMs + c.retryMs;
    if (this.table === null) return;
    if (lo.op.kind === 'create' && lo.op.id === undefined) {
      const asPlacement: PartitionTable = { epoch: this.table.epoch, partitions: c.partitions, replicas: c.replicas, owners: this.table.owners, coordinatorId: this.table.coordinatorId };
      // A leaving member takes no new sessions: any id will do, the primary is elsewhere.
      lo.op = { ...lo.op, id: this.leaving ? newSessionId(this.random) : drawLocalSessionId(asPlacement, this.selfId, () => newSessionId(this.random), c.maxIdDraws).id };
    }
    const primary = primaryIn(this.table, partitionOfOp(lo.op, c.partitions));
    if (primary === this.selfId) {
      lo.state = 'local';
      this.execute(lo.op as RoutedOp, { kind: 'local', opId: lo.opId });
    } else if (primary !== undefined && this.alive.has(primary)) {
      if (lo.op.kind === 'get' && this.near.enabled) {
        const hit = this.near.lookup(lo.op.id, primary, this.nowMs);
        if (hit !== undefined) {
          this.nearTouch(primary, hit.id);
          return this.completeLocal(lo, { kind: 'get', session: hit });
        }
        if (lo.fillSinceMs === null) {
          lo.fillSinceMs = this.nowMs;
          this.near.beginFill(lo.op.id, partitionOfOp(lo.op, c.partitions));
        }
      }
      lo.state = 'remote';
      lo.to = primary;
      this.reqToOp.delete(lo.reqId);
      lo.reqId = this.nextReq++;
      this.reqToOp.set(lo.reqId, lo.opId);
      this.sendOp(lo);
    } else if (!this.hasQuorum()) {
      // No reachable primary, and no majority here: no table will come to wait for.
      this.completeLocal(lo, noQuorum('the primary is unreachable'));
    }
    // else: no reachable primary; wait (bounded by the deadline) for the next table.
  }

  private sendOp(lo: LocalOp): void {
    lo.sentAtMs = this.nowMs;
    // `o` (the op's number here) makes its cluster-wide key; gets need none.
    if (lo.fillSinceMs !== null) this.send(lo.to, MessageType.ReplOp, { r: lo.reqId, op: lo.op, nc: true });
    else if (isWriteOp(lo.op)) this.send(lo.to, MessageType.ReplOp, { r: lo.reqId, op: lo.op, o: lo.opId });
    else this.send(lo.to, MessageType.ReplOp, { r: lo.reqId, op: lo.op });
  }

  private rerouteWaiting(all: boolean): void {
    for (const lo of [...this.localOps.values()]) {
      if (lo.state === 'wait') this.route(lo);
      // A remote op goes elsewhere only when its member is gone. One that is alive answers: it
      // may have applied the op before the table moved the partition (a handover, a graceful
      // leave), and sending it to the new primary too would apply it twice or fail its ifVersion.
      // If it is not primary any more it says so (ERR_NOT_PRIMARY), and the op is routed again.
      else if (all && lo.state === 'remote' && !this.alive.has(lo.to)) this.abandonAttempt(lo);
    }
  }

  /** The member a remote op was sent to is gone without answering: it may have applied the op. */
  private abandonAttempt(lo: LocalOp): void {
    if (isWriteOp(lo.op)) lo.uncertain = true;
    this.route(lo);
  }

  /** `fill`: the answer of a get whose primary registered this member as a near-cache reader. */
  private completeLocal(lo: LocalOp, outcome: OpResult | SessionMeshError, fill?: { primary: string }): void {
    this.localOps.delete(lo.opId);
    this.reqToOp.delete(lo.reqId);
    if (lo.fillSinceMs !== null) {
      const view = fill !== undefined && !(outcome instanceof SessionMeshError) && outcome.kind === 'get' ? outcome.session : null;
      this.near.endFill(lo.op.id!, view === null ? null : { view, primary: fill!.primary, sentAtMs: lo.fillSinceMs });
    }
    // A write through this member completed (or failed: it may still have been applied).
    if (isWriteOp(lo.op) && lo.op.id !== undefined) this.near.invalidate(lo.op.id);
    if (outcome instanceof SessionMeshError && lo.uncertain && DEFINITE_REFUSALS.has(outcome.code)) {
      // A definite refusal promises the write did not and will not take effect. After an attempt
      // that went unanswered (its member may have applied the op and may still pass it on), this
      // member cannot promise that: the refusal is reported as what it is, indeterminate.
      outcome = new SessionMeshError('ERR_TIMEOUT', `session ${lo.op.kind} outcome unknown: an earlier attempt got no answer (it may have been applied), and the retry was refused: ${outcome.message}`, {
        refusedWith: outcome.code,
      });
    }
    if (outcome instanceof SessionMeshError) this.out.push({ type: 'complete', opId: lo.opId, error: outcome });
    else this.out.push({ type: 'complete', opId: lo.opId, result: outcome });
  }

  private onOpReply(from: string, body: Record<string, unknown>): void {
    const r = body.r;
    if (!Number.isSafeInteger(r)) throw bad('reply id');
    const opId = this.reqToOp.get(r as number);
    const lo = opId === undefined ? undefined : this.localOps.get(opId);
    if (lo === undefined || lo.state !== 'remote' || lo.reqId !== r || lo.to !== from) return;
    if (body.ok === true) {
      // Kept only if the primary registered us (an older member ignores `nc`) and still is the primary here.
      const registered = body.nc === true && lo.fillSinceMs !== null && primaryIn(this.table, partitionOfOp(lo.op, this.config.partitions)) === from;
      return this.completeLocal(lo, resultFromWire(lo.op.kind, body.res), registered ? { primary: from } : undefined);
    }
    const code = body.code;
    if (typeof code !== 'string' || !Object.hasOwn(ErrorCodes, code)) throw bad('error code');
    if (code === 'ERR_NOT_PRIMARY') {
      // Back to waiting BEFORE adopting the table: adopting reroutes waiting ops at once, and that
      // reroute's new request id must not be forgotten afterwards (its reply would be ignored).
      const table = body.table === undefined ? undefined : tableFromWire(body.table);
      this.reqToOp.delete(lo.reqId);
      lo.state = 'wait';
      lo.retryAtMs = this.nowMs + this.config.retryMs;
      if (table !== undefined) this.considerTable(table, from);
      return;
    }
    if (code === 'ERR_NO_QUORUM' && this.hasQuorum()) {
      // The primary does not see a majority yet, we do (e.g. just after a heal its view lags):
      // transient, retried until the op's deadline.
      this.reqToOp.delete(lo.reqId);
      lo.state = 'wait';
      lo.retryAtMs = this.nowMs + this.config.retryMs;
      return;
    }
    const msg = typeof body.msg === 'string' ? body.msg.slice(0, 500) : code;
    this.completeLocal(lo, new SessionMeshError(code as ErrorCode, msg));
  }

  // ------------------------------------------------------------------ primary: apply and replicate

  private execute(op: RoutedOp, origin: Origin): void {
    const p = partitionOf(op.id, this.config.partitions);
    if (primaryIn(this.table, p) !== this.selfId) return this.finish(origin, notPrimary(p));
    if (isWriteOp(op) && !this.hasQuorum()) return this.finish(origin, noQuorum());
    const nowMs = this.nowMs;
    const key = isWriteOp(op) ? keyOf(origin, this.selfId) : undefined;
    if (key !== undefined) {
      const first = this.applied.lookup(key, p);
      if (first !== undefined) {
        // A retry of an op applied before, here or by the primary whose delta we merged: answer
        // with that application's result, once every copy in our table has the record.
        const rec = this.store.get(op.id);
        return rec === undefined ? this.finish(origin, first) : this.replicate(p, [rec], origin, first);
      }
    }
    try {
      const rec = this.store.get(op.id);
      // A session we do not hold in a partition whose earlier copies are out of reach may exist
      // there: "not found" would make an app log its user out, and a write answered 404 could
      // still show up at the heal. Creates (fresh ids) and destroys (a marker) are safe.
      if (rec === undefined && (op.kind === 'get' || op.kind === 'update' || op.kind === 'touch') && isIncomplete(this.table!, p)) {
        return this.finish(origin, unavailable(op.id, p));
      }
      // Same grace as expire(): a copy just promoted may miss the old primary's last touches.
      const live = rec !== undefined && !rec.destroyed && !isExpired(rec, nowMs, this.expiryMargin(p)) ? rec : undefined;
      switch (op.kind) {
        case 'get': {
          if (live === undefined) return this.finish(origin, { kind: 'get', session: null });
          this.touchLocal(p, live);
          if (origin.kind === 'remote' && origin.nc === true) {
            const evicted: Invalidations = new Map();
            origin.ncOk = this.readers.register(op.id, p, origin.from, evicted);
            this.sendInvalidations(evicted);
          }
          return this.finish(origin, { kind: 'get', session: { id: op.id, version: live.version, data: this.store.data(live) } });
        }
        case 'touch':
          if (live !== undefined) this.touchLocal(p, live);
          return this.finish(origin, { kind: 'touch', found: live !== undefined });
        case 'create': {
          if (rec !== undefined && (rec.destroyed || live === undefined)) {
            return this.finish(origin, new SessionMeshError('ERR_INVALID_VALUE', 'session id already used', { id: op.id }));
          }
          if (live !== undefined) {
            // A retried create whose first attempt was applied (e.g. before a failover): same data again.
            const u = applyUpdate(live, { set: op.data }, { stamp: writeStamp(this.hlc, live), nowMs, limits: this.limits });
            this.putLocal(u.record);
            return this.replicateWire(p, [u.deltaWire], [op.id], origin, { kind: 'create', id: op.id, version: u.record.version });
          }
          const created = createRecord(op.id, op.data, { stamp: this.hlc.now(), nowMs, maxIdleMs: op.maxIdleMs ?? this.config.defaultMaxIdleMs, limits: this.limits });
          this.putLocal(created);
          return this.replicate(p, [created], origin, { kind: 'create', id: op.id, version: created.version });
        }
        case 'update': {
          if (live === undefined) return this.finish(origin, new SessionMeshError('ERR_NOT_FOUND', `session ${op.id} does not exist`, { id: op.id }));
          const opts = op.ifVersion === undefined ? { stamp: writeStamp(this.hlc, live), nowMs, limits: this.limits } : { stamp: writeStamp(this.hlc, live), nowMs, limits: this.limits, ifVersion: op.ifVersion };
          const u = applyUpdate(live, op.update, opts);
          this.putLocal(u.record);
          const result: OpResult = { kind: 'update', version: u.record.version, changed: u.changed };
          // Every name the update gives is written with a fresh stamp (update.ts), equal values
          // and absent deletes included: only an update that names nothing is a mere touch.
          if (!u.changed) {
            this.touchLocal(p, u.record);
            return this.finish(origin, result);
          }
          return this.replicateWire(p, [u.deltaWire], [op.id], origin, result);
        }
        case 'destroy': {
          // Already destroyed: the marker may stem from a write that was never acknowledged (not on
          // every backup), replicate it. (destroyed is an OR: nothing can win over it.)
          if (rec?.destroyed === true) return this.replicate(p, [rec], origin, { kind: 'destroy', destroyed: false });
          // Unknown here (e.g. a split: the other side holds it) still leaves a destroyed marker,
          // so the session cannot come back when the copies merge.
          const base = rec ?? createRecord(op.id, {}, { stamp: this.hlc.now(), nowMs, maxIdleMs: this.config.defaultMaxIdleMs, limits: this.limits });
          const d = destroyRecord(base, { stamp: writeStamp(this.hlc, base), nowMs });
          this.putLocal(d);
          return this.replicate(p, [d], origin, { kind: 'destroy', destroyed: live !== undefined });
        }
      }
    } catch (err) {
      if (err instanceof SessionMeshError) return this.finish(origin, err);
      throw err;
    }
  }

  /** Sends `records` to every backup and migration target of p; finishes `origin` per the ack policy. */
  private replicate(p: number, records: SessionRecord[], origin: Origin, result: OpResult | null): void {
    this.replicateWire(
      p,
      records.map(recordToWire),
      records.map((r) => r.id),
      origin,
      result,
    );
  }

  /** replicate() for records already in wire form (a write's deltaWire), with their ids. */
  private replicateWire(p: number, wire: unknown[][], ids: string[], origin: Origin, result: OpResult | null): void {
    const required = this.replicasOf(p);
    const deadlineMs = origin.kind === 'local' ? (this.localOps.get(origin.opId)?.deadlineMs ?? this.nowMs + this.config.opTimeoutMs) : this.nowMs + this.config.opTimeoutMs;
    const key = keyOf(origin, this.selfId);
    let ops: AppliedOpWire[] | undefined;
    if (key !== undefined && result !== null && (result.kind === 'create' || result.kind === 'update' || result.kind === 'destroy')) {
      this.applied.record(key, p, result, this.nowMs);
      ops = [[key, result]];
    }
    const w: PendingWrite = { seq: this.nextSeq++, p, wire, required, acked: [], sentAtMs: this.nowMs, epoch: this.hlc.epoch, deadlineMs, origin, result, finished: false, ids, ops };
    this.writes.set(w.seq, w);
    for (const m of required) this.sendDelta(m, w);
    this.checkWrite(w);
  }

  private sendDelta(to: string, w: PendingWrite): void {
    this.unreachable.sent(to, this.nowMs);
    this.send(to, MessageType.ReplDelta, w.ops === undefined ? { p: w.p, s: w.seq, recs: w.wire } : { p: w.p, s: w.seq, recs: w.wire, ops: w.ops });
  }

  private checkWrite(w: PendingWrite): void {
    let acked = 0;
    for (const m of w.required) if (w.acked.includes(m)) acked++;
    const all = acked === w.required.length;
    const ack = this.config.ack;
    if (!w.finished && (ack === 'none' || all || (ack === 'one' && acked >= 1))) {
      w.finished = true;
      this.finish(w.origin, this.overtaken(w) ? overtakenWrite(w.p) : w.result);
    }
    if (all) this.writes.delete(w.seq);
  }

  /**
   * A client write of ours that a write made under a newer table overtook while it waited for its
   * acknowledgements: our primaryship of its partition was interrupted (we were cut off or paused,
   * another member led it, and a migration brought it back to us with that member's newer writes
   * merged in). It lost those merges (stamps rank by epoch) and its version may have been given to
   * another write meanwhile: it must not be reported as acknowledged. (The quorum sweeps found it:
   * a minority primary's pending write acknowledged with a stale version after the heal.)
   */
  private overtaken(w: PendingWrite): boolean {
    if (w.origin.kind !== 'local' && w.origin.kind !== 'remote') return false;
    // (Only a newer table can bring such writes: while our epoch is the write's, nothing to look at.)
    if (w.epoch === this.hlc.epoch) return false;
    for (const id of w.ids) if ((this.store.get(id)?.stamp.epoch ?? -1) > w.epoch) return true;
    return false;
  }

  private finish(origin: Origin, outcome: OpResult | SessionMeshError | null): void {
    switch (origin.kind) {
      case 'internal':
        return;
      case 'local': {
        const lo = this.localOps.get(origin.opId);
        if (lo === undefined) return;
        if (isSessionMeshError(outcome, 'ERR_NOT_PRIMARY')) {
          lo.state = 'wait';
          lo.retryAtMs = this.nowMs + this.config.retryMs;
          return;
        }
        return this.completeLocal(lo, outcome as OpResult | SessionMeshError);
      }
      case 'remote': {
        const key = `${origin.from}\u0000${origin.reqId}`;
        const body =
          outcome instanceof SessionMeshError
            ? { r: origin.reqId, ok: false, code: outcome.code, msg: outcome.message, ...(outcome.code === 'ERR_NOT_PRIMARY' && this.table !== null ? { table: tableToWire(this.table) } : {}) }
            : origin.ncOk === true
              ? { r: origin.reqId, ok: true, res: outcome, nc: true }
              : { r: origin.reqId, ok: true, res: outcome };
        if (this.served.has(key)) this.served.set(key, body);
        return this.send(origin.from, MessageType.ReplOpReply, body);
      }
      case 'handoff': {
        const ok = !(outcome instanceof SessionMeshError);
        return this.send(origin.from, MessageType.ReplHandoffAck, { h: origin.h, ok, ...(!ok && this.table !== null ? { table: tableToWire(this.table) } : {}), ...(ok && origin.superseded === true ? { sup: true } : {}) });
      }
    }
  }

  private onOp(from: string, body: Record<string, unknown>): void {
    const r = body.r;
    if (!Number.isSafeInteger(r)) throw bad('request id');
    const op = opFromWire(body.op);
    const key = `${from}\u0000${String(r)}`;
    const cached = this.served.get(key);
    if (cached === 'pending') return;
    if (cached !== undefined) return this.send(from, MessageType.ReplOpReply, cached);
    const o = body.o;
    if (o !== undefined && !Number.isSafeInteger(o)) throw bad('op number');
    this.served.set(key, 'pending');
    while (this.served.size > this.config.dedupEntries) this.served.delete(this.served.keys().next().value as string);
    const origin: Origin = { kind: 'remote', from, reqId: r as number, nc: body.nc === true && op.kind === 'get' };
    if (o !== undefined) origin.key = opKey(from, o as number);
    this.execute(op, origin);
  }

  // ------------------------------------------------------------------ backup side

  private onDelta(from: string, body: Record<string, unknown>): void {
    const p = this.partitionField(body.p);
    const s = body.s;
    if (!Number.isSafeInteger(s)) throw bad('seq');
    if (!this.acceptsFrom(from, p)) return this.send(from, MessageType.ReplDeltaAck, this.nack({ s }));
    // Deltas are merged from their parts: packing each into a body only for the merge to unpack
    // it again was a third of a backup's work per delta.
    const deltas = this.partsField(body.recs, p);
    const ops = body.ops === undefined ? [] : appliedOpsFromWire(body.ops);
    if (deltas === null) return;
    for (const d of deltas) {
      const merged = this.store.mergeParts(d.id, d.lastAccessMs, d.parts);
      this.merged(merged);
    }
    // Remembered with the data: if this copy becomes primary, a retry of the op is answered, not applied again.
    for (const [k, result] of ops) this.applied.record(k, p, result, this.nowMs);
    this.send(from, MessageType.ReplDeltaAck, { s, ok: true });
  }

  private onDeltaAck(from: string, body: Record<string, unknown>): void {
    const s = body.s;
    if (!Number.isSafeInteger(s)) throw bad('seq');
    if (body.ok !== true) return this.onNack(from, body);
    const w = this.writes.get(s as number);
    if (w === undefined || !w.required.includes(from)) return;
    if (!w.acked.includes(from)) w.acked.push(from);
    this.unreachable.answered(from);
    this.checkWrite(w);
  }

  private onTouches(from: string, body: Record<string, unknown>): void {
    const p = this.partitionField(body.p);
    if (!this.acceptsFrom(from, p)) return;
    const ts = body.ts;
    if (!Array.isArray(ts) || ts.length > MAX_DIGESTS_PER_MESSAGE) throw bad('touches');
    for (const t of ts as unknown[]) {
      if (!Array.isArray(t) || !isValidSessionId(t[0]) || !isTimeMs(t[1])) throw bad('touch');
      if (partitionOf(t[0], this.config.partitions) === p) this.store.touch(t[0], t[1]);
    }
  }

  /** Whether `from` may write partition p here: it is p's primary in this member's table. */
  private acceptsFrom(from: string, p: number): boolean {
    // Also: this member must hold p in its own table (owner or migration target). A member with
    // a stale table that says otherwise would hand the data off and drop it (antiEntropy), so it
    // refuses, the sender answers with its newer table, and the retry is accepted.
    const t = this.table;
    return t !== null && t.owners[p]![0] === from && (t.owners[p]!.includes(this.selfId) || t.target[p]!.includes(this.selfId));
  }

  private nack<T extends object>(fields: T): T & { ok: false; table?: unknown } {
    return this.table === null ? { ...fields, ok: false } : { ...fields, ok: false, table: tableToWire(this.table) };
  }

  /** A peer refused us with its table: adopt it if newer, else tell it ours. */
  private onNack(from: string, body: Record<string, unknown>): void {
    if (body.table === undefined) return this.sendTable(from, false);
    this.considerTable(tableFromWire(body.table), from);
  }

  // ------------------------------------------------------------------ tables

  private considerTable(t: ReplTable, from: string): void {
    if (t.partitions !== this.config.partitions) return this.warn('table with another partition count ignored', { from, partitions: t.partitions });
    if (isNewerTable(t, this.table)) this.adopt(t, false);
    else if (this.table !== null && isNewerTable(this.table, t)) this.sendTable(from, false);
  }

  private sendTable(to: string, force: boolean): void {
    if (this.table === null) return;
    const last = this.tableSentTo.get(to) ?? -Infinity;
    if (!force && this.nowMs < last + this.config.retryMs) return;
    this.tableSentTo.set(to, this.nowMs);
    this.send(to, MessageType.ReplTable, tableToWire(this.table));
  }

  private isCoordinator(): boolean {
    return this.coordinatorId === this.selfId;
  }

  private liveMembers(): { id: string; zone: string | null }[] {
    return this.members.filter(isPlacementMember).map((m) => ({ id: m.id, zone: m.zone }));
  }

  /**
   * Commits the next table if it differs. `urgent` (membership changed, a leave, a table adopted
   * from elsewhere) commits at once; otherwise (finished migrations, the refresh tick) at most
   * one commit per tableCommitBatchMs, so migrations that finish together share one epoch.
   */
  private maybePlan(urgent: boolean): void {
    if (!this.planDirty || !this.isCoordinator()) return;
    if (!urgent && this.nowMs < this.lastCommitMs + this.config.tableCommitBatchMs) return;
    // A coordinator without a majority commits nothing under quorum 'majority': the majority side
    // carries on with its own tables, which win at the heal. A coordinator whose leave completed
    // commits nothing either: its successor confirmed its last table and takes over from it.
    if (!this.hasQuorum() || this.leaveDone) return;
    // A member whose membership view lacks members the committed table names has not seen the
    // cluster yet (a joiner before its join completed: it knows only itself). Planning from that
    // view would declare every owner lost and commit itself owner of every partition, with no
    // data; that table could even reach the cluster. It waits for a view that knows them (dead
    // members stay known for membership's deadRetentionMs, so real failures are still planned).
    if (this.table !== null && !this.viewKnowsTable(this.table)) return;
    // Under quorum 'majority' one table change is voted on at a time; a membership change
    // (urgent) starts it over with a higher ballot (Paxos keeps whatever may have been chosen).
    const voting = this.config.quorum === 'majority';
    if (voting && this.proposal !== null && !urgent) return;
    const base = this.table;
    this.planDirty = false;
    const leaving = new Set([...this.leavers].filter((id) => this.alive.has(id)));
    const known = new Set(this.members.map((m) => m.id));
    const plan = planTable(
      base,
      this.liveMembers(),
      this.ready,
      { partitions: this.config.partitions, replicas: this.config.replicas },
      leaving,
      known,
      (primary, peer) => this.cuts.cut(primary, peer),
      (p, id) => this.drained.has(readyKey(p, id)),
    );
    const someIncomplete = plan.incomplete.some((row) => row.length > 0);
    const unchanged =
      base !== null &&
      rowsEqual(plan.owners, base.owners) &&
      rowsEqual(plan.target, base.target) &&
      (someIncomplete ? base.incomplete !== undefined && rowsEqual(plan.incomplete, base.incomplete) : !base.incomplete?.some((row) => row.length > 0));
    // Nothing to change (an attempt to get a table chosen that is already running goes on).
    if (unchanged) return;
    const next: ReplTable = {
      epoch: (base?.epoch ?? 0) + 1,
      coordinatorId: this.selfId,
      coordinatorStartedAtMs: this.startedAtMs,
      partitions: this.config.partitions,
      replicas: this.config.replicas,
      owners: plan.owners,
      target: plan.target,
      ...(someIncomplete ? { incomplete: plan.incomplete } : {}),
    };
    if (voting) return this.propose(next);
    this.commit(next);
  }

  private commit(next: ReplTable): void {
    this.lastCommitMs = this.nowMs;
    this.adopt(next, true);
    for (const id of this.alive) if (id !== this.selfId) this.sendTable(id, true);
  }

  // ------------------------------------------------------------------ reachability (reachability.ts)

  /**
   * As a primary: reports the live members that left our deltas or chunks unanswered for
   * unreachableAfterMs. As the coordinator: forgets reports no longer renewed.
   */
  private checkReachability(): void {
    if (this.isCoordinator() && this.cuts.expire(this.nowMs)) {
      this.planDirty = true;
      this.maybePlan(false);
    }
    if (this.nowMs < this.nextCutReportMs) return;
    const ids = this.unreachable.list(this.nowMs, this.config.unreachableAfterMs, (peer) => this.alive.has(peer) && this.owesAck(peer));
    const key = ids.join();
    if (key !== this.lastCutReport) this.emit({ type: 'unreachable', members: ids });
    this.lastCutReport = key;
    if (ids.length === 0) return;
    this.nextCutReportMs = this.nowMs + 2 * this.config.retryMs;
    if (this.isCoordinator()) return this.onCutReport(this.selfId, ids);
    // Also to every data member we reach: in a non-transitive split the coordinator may be
    // across the cut from us but not from them (they pass it on once).
    for (const id of this.alive) if (id !== this.selfId && !ids.includes(id)) this.send(id, MessageType.ReplUnreachable, { r: this.selfId, ids });
  }

  /** Whether `peer` still has a delta or chunk of ours to acknowledge. */
  private owesAck(peer: string): boolean {
    for (const w of this.writes.values()) if (w.required.includes(peer) && !w.acked.includes(peer)) return true;
    for (const s of this.streams.values()) if (s.to === peer && s.inflight.size > 0) return true;
    return false;
  }

  private onUnreachable(from: string, body: Record<string, unknown>): void {
    const { r, ids } = body;
    if (!isId(r) || !Array.isArray(ids) || ids.length > 1024 || !ids.every(isId)) throw bad('unreachable report');
    if (this.isCoordinator()) return this.onCutReport(r, ids as string[]);
    if (body.f === undefined && this.coordinatorId !== null && this.coordinatorId !== from) this.send(this.coordinatorId, MessageType.ReplUnreachable, { r, ids, f: 1 });
  }

  private onCutReport(reporter: string, ids: string[]): void {
    // Valid for a few report periods: the reporter renews it while the cut lasts.
    if (this.cuts.report(reporter, ids, this.nowMs + 8 * this.config.retryMs)) {
      this.planDirty = true;
      this.maybePlan(true);
    }
  }

  // ------------------------------------------------------------------ table votes (quorum 'majority', table-votes.ts)

  /** Starts a Paxos attempt to get `plan` (built on our committed table) chosen as the next table. */
  private propose(plan: ReplTable): void {
    const ballot: Ballot = { round: ++this.maxRound, by: this.selfId };
    this.proposal = { slot: keyOfTable(this.table), ballot, plan, value: null, promises: new Map(), accepts: new Set(), sentAtMs: -Infinity };
    this.sendPaxos();
  }

  /** Sends the attempt's current phase to the voters that have not answered it (and votes itself). */
  private sendPaxos(): void {
    const pr = this.proposal!;
    pr.sentAtMs = this.nowMs;
    const slot = pr.slot === null ? null : keyToWire(pr.slot);
    const b = ballotToWire(pr.ballot);
    if (pr.value === null) {
      if (!pr.promises.has(this.selfId)) {
        const r = this.voter.prepare(pr.slot, pr.ballot);
        if (r.ok) pr.promises.set(this.selfId, r.accepted);
      }
      for (const id of this.votersOfCommitted()) if (id !== this.selfId && !pr.promises.has(id)) this.send(id, MessageType.ReplPropose, { k: 'prepare', s: slot, b });
      return this.checkPromises();
    }
    if (!pr.accepts.has(this.selfId) && this.voter.accept(pr.slot, pr.ballot, pr.value).ok) pr.accepts.add(this.selfId);
    const body = { k: 'accept', s: slot, b, t: tableToWire(pr.value) };
    for (const id of new Set([...this.votersOfCommitted(), ...votersOf(pr.value, (x) => this.hasLeft(x))])) {
      if (id !== this.selfId && !pr.accepts.has(id)) this.send(id, MessageType.ReplPropose, body);
    }
    this.checkAccepts();
  }

  /** Phase 1 done (a majority promised): propose the highest accepted table among them, else our plan. */
  private checkPromises(): void {
    const pr = this.proposal;
    if (pr === null || pr.value !== null || !isMajority(this.votersOfCommitted(), (id) => pr.promises.has(id))) return;
    const taken = valueToPropose(pr.promises.values());
    pr.value = taken ?? pr.plan;
    if (taken !== null && taken !== pr.plan) this.planDirty = true; // ours goes in the next slot
    this.sendPaxos();
  }

  /** Phase 2 done: a majority of the slot's voters and of the table's own accepted it. Commit. */
  private checkAccepts(): void {
    const pr = this.proposal;
    if (pr === null || pr.value === null) return;
    const votes = (id: string) => pr.accepts.has(id);
    if (!isMajority(this.votersOfCommitted(), votes) || !isMajority(votersOf(pr.value, (x) => this.hasLeft(x)), votes)) return;
    this.proposal = null;
    this.commit(pr.value);
    if (this.planDirty) this.maybePlan(true);
  }

  /** A voter's side of both phases. */
  private onPropose(from: string, body: Record<string, unknown>): void {
    const slot = body.s === null ? null : keyFromWire(body.s);
    const ballot = ballotFromWire(body.b);
    if (ballot.round > this.maxRound) this.maxRound = ballot.round;
    const answer = { k: '', s: body.s, b: body.b };
    let r: ReturnType<Voter['prepare']> | ReturnType<Voter['accept']>;
    if (body.k === 'prepare') r = this.voter.prepare(slot, ballot);
    else if (body.k === 'accept') {
      const t = tableFromWire(body.t);
      if (t.partitions !== this.config.partitions) return this.warn('table proposal with another partition count ignored', { from, partitions: t.partitions });
      r = this.voter.accept(slot, ballot, t);
    } else throw bad('proposal kind');
    if (r.ok) {
      answer.k = body.k === 'prepare' ? 'promise' : 'accepted';
      const accepted = 'accepted' in r ? (r.accepted as AcceptedTable | null) : null;
      return this.send(from, MessageType.ReplVote, accepted === null ? answer : { ...answer, a: [ballotToWire(accepted.ballot), tableToWire(accepted.table)] });
    }
    answer.k = 'nack';
    // In another slot: our committed table tells the coordinator (or, if older, asks for its).
    if (r.wrongSlot) return this.send(from, MessageType.ReplVote, this.table === null ? answer : { ...answer, t: tableToWire(this.table) });
    this.send(from, MessageType.ReplVote, { ...answer, pb: ballotToWire(r.promised!) });
  }

  /** The coordinator's side: promises, acceptances and refusals. */
  private onVote(from: string, body: Record<string, unknown>): void {
    const slot = body.s === null ? null : keyFromWire(body.s);
    const ballot = ballotFromWire(body.b);
    if (body.k === 'nack' && body.t !== undefined) {
      // The voter is in another slot: adopt its table if newer (our attempt is then void), or
      // send it ours (it catches up and can answer a retransmission).
      return this.considerTable(tableFromWire(body.t), from);
    }
    const pr = this.proposal;
    if (pr === null || !sameKey(slot, pr.slot) || pr.ballot.round !== ballot.round || pr.ballot.by !== ballot.by) return;
    if (body.k === 'promise') {
      let accepted: AcceptedTable | null = null;
      if (body.a !== undefined) {
        if (!Array.isArray(body.a) || body.a.length !== 2) throw bad('accepted table');
        accepted = { ballot: ballotFromWire(body.a[0]), table: tableFromWire(body.a[1]) };
      }
      if (pr.value === null) pr.promises.set(from, accepted);
      return this.checkPromises();
    }
    if (body.k === 'accepted') {
      pr.accepts.add(from);
      return this.checkAccepts();
    }
    if (body.k !== 'nack') throw bad('vote kind');
    // Someone else's higher ballot: try again above it, after a random pause (two coordinators
    // that keep outbidding each other in lockstep would never finish).
    const pb = ballotFromWire(body.pb);
    if (pb.round > this.maxRound) this.maxRound = pb.round;
    if (!ballotAbove(pb, pr.ballot)) return;
    this.proposal = null;
    this.planDirty = true;
    this.lastCommitMs = this.nowMs - this.config.tableCommitBatchMs + this.random.int(2 * this.config.retryMs);
  }

  /** Voters of the committed table; before the first one, every known data member that did not leave. */
  private votersOfCommitted(): string[] {
    if (this.table !== null) return votersOf(this.table, (x) => this.hasLeft(x));
    return this.members.filter((m) => m.role === 'member' && m.state !== 'left').map((m) => m.id);
  }

  /** The member announced its graceful leave to membership: it no longer votes, nor counts as a voter. */
  private hasLeft(id: string): boolean {
    for (const m of this.members) if (m.id === id) return m.state === 'left';
    return false;
  }

  private viewKnowsTable(t: ReplTable): boolean {
    const known = new Set(this.members.map((m) => m.id));
    const knows = (rows: readonly (readonly string[])[]) => rows.every((row) => row.every((id) => known.has(id)));
    return knows(t.owners) && knows(t.target);
  }

  private adopt(t: ReplTable, committedByMe: boolean): void {
    const old = this.table;
    this.table = t;
    this.hlc.advanceEpoch(t.epoch); // our writes from now on rank above every older table's (hlc.ts)
    this.quorumCache = null;
    // A new slot: the attempt for the old one is void; the voter starts afresh.
    if (this.proposal !== null && !sameKey(this.proposal.slot, keyOfTable(t))) this.proposal = null;
    this.voter.enter(keyOfTable(t));
    this.emit({ type: 'table', epoch: t.epoch, coordinatorId: t.coordinatorId, committedByMe });
    const gained: number[] = [];
    const lost: number[] = [];
    for (let p = 0; p < t.partitions; p++) {
      const was = primaryIn(old, p) === this.selfId;
      const is = t.owners[p]![0] === this.selfId;
      if (was && !is) lost.push(p);
      if (!was && is) gained.push(p);
      if (was !== is || primaryIn(old, p) !== t.owners[p]![0]) for (const k of [...this.ready]) if (k.startsWith(`${p}:`)) this.ready.delete(k);
    }
    for (const p of gained) this.primarySinceMs.set(p, this.nowMs);
    for (const p of lost) this.primarySinceMs.delete(p);
    // Near cache: the primary of a partition changed → what its old primary served is dropped here
    // (the new one does not know we read it), and an old primary tells its readers the same.
    const moved = new Set<number>();
    for (let p = 0; p < t.partitions; p++) if (primaryIn(old, p) !== t.owners[p]![0]) moved.add(p);
    if (moved.size > 0) {
      this.near.flushPartitions((p) => moved.has(p));
      if (lost.length > 0) {
        const out: Invalidations = new Map();
        const lostHere = new Set(lost);
        this.readers.takePartitions((p) => lostHere.has(p), out);
        this.sendInvalidations(out);
      }
    }
    if (gained.length + lost.length > 0) this.emit({ type: 'primaries', gained, lost });
    const lostSet = new Set(lost);
    for (const w of [...this.writes.values()]) {
      if (lostSet.has(w.p)) {
        // Not primary any more: the new primary's backups would refuse our deltas. The write was
        // applied here, so it is not retried elsewhere (see handOverWrite).
        this.writes.delete(w.seq);
        if (!w.finished) this.handOverWrite(w);
        continue;
      }
      // Only shrink: a copy added since is brought up to date by its migration stream.
      const now = this.replicasOf(w.p);
      w.required = w.required.filter((m) => now.includes(m));
      this.checkWrite(w);
    }
    for (const k of [...this.ready]) {
      const [ps, id] = splitKey(k);
      if (t.owners[ps]?.includes(id) || !t.target[ps]?.includes(id)) this.ready.delete(k);
    }
    for (const k of [...this.drained]) {
      const [ps, id] = splitKey(k);
      if (!t.incomplete?.[ps]?.includes(id)) this.drained.delete(k);
    }
    this.syncStreams();
    this.rerouteWaiting(true);
    this.nextAeMs = Math.min(this.nextAeMs, this.nowMs + 2 * this.config.retryMs);
    if (!committedByMe) {
      this.planDirty = true;
      this.maybePlan(true);
    }
  }

  /** Backups and migration targets of p (not this member). */
  private replicasOf(p: number): string[] {
    const row = this.table?.owners[p] ?? [];
    const out = row.filter((id) => id !== this.selfId);
    for (const s of this.streams.values()) if (s.p === p && !out.includes(s.to)) out.push(s.to);
    return out;
  }

  // ------------------------------------------------------------------ migrations

  private syncStreams(): void {
    const t = this.table;
    for (const [k, s] of this.streams) {
      const keep = t !== null && t.owners[s.p]![0] === this.selfId && t.target[s.p]!.includes(s.to) && !t.owners[s.p]!.includes(s.to) && this.alive.has(s.to);
      if (!keep) {
        this.streams.delete(k);
        if (t?.owners[s.p]!.includes(s.to)) this.emit({ type: 'migrationFinished', partition: s.p, target: s.to });
      }
    }
    if (t === null) return;
    for (let p = 0; p < t.partitions; p++) {
      if (t.owners[p]![0] !== this.selfId) continue;
      for (const to of t.target[p]!) {
        if (t.owners[p]!.includes(to) || !this.alive.has(to) || this.streams.has(readyKey(p, to))) continue;
        const s: Stream = { id: this.nextStreamId++, p, to, afterId: null, exhausted: false, nextChunk: 0, inflight: new Map(), done: false, reportedAtMs: -Infinity };
        this.streams.set(readyKey(p, to), s);
        this.emit({ type: 'migrationStarted', partition: p, target: to });
        this.pump(s);
      }
    }
  }

  private pump(s: Stream): void {
    while (!s.exhausted && s.inflight.size < this.config.maxChunksInFlight) {
      const chunk = this.store.chunk(s.p, s.afterId, this.config.migrationChunkBytes);
      const c = s.nextChunk++;
      s.exhausted = chunk.nextAfterId === null;
      s.afterId = chunk.nextAfterId;
      const body = { p: s.p, m: s.id, c, recs: chunk.records.map(recordToWire), last: s.exhausted };
      s.inflight.set(c, { body, sentAtMs: this.nowMs });
      this.unreachable.sent(s.to, this.nowMs);
      this.send(s.to, MessageType.ReplChunk, body);
    }
    if (s.exhausted && s.inflight.size === 0 && !s.done) {
      s.done = true;
      this.reportMigrated(s);
    }
  }

  private reportMigrated(s: Stream): void {
    s.reportedAtMs = this.nowMs;
    if (this.isCoordinator()) this.onMigrated(this.selfId, { p: s.p, t: s.to });
    else if (this.coordinatorId !== null) this.send(this.coordinatorId, MessageType.ReplMigrated, { p: s.p, t: s.to });
  }

  private onChunk(from: string, body: Record<string, unknown>): void {
    const p = this.partitionField(body.p);
    const { m, c } = body;
    if (!Number.isSafeInteger(m) || !Number.isSafeInteger(c) || typeof body.last !== 'boolean') throw bad('chunk header');
    if (!this.acceptsFrom(from, p)) return this.send(from, MessageType.ReplChunkAck, this.nack({ m, c }));
    const records = this.recordsField(body.recs, p);
    if (records === null) return;
    for (const r of records) this.mergeLocal(r);
    this.send(from, MessageType.ReplChunkAck, { m, c, ok: true });
  }

  private onChunkAck(from: string, body: Record<string, unknown>): void {
    const { m, c } = body;
    if (!Number.isSafeInteger(m) || !Number.isSafeInteger(c)) throw bad('chunk ack');
    if (body.ok !== true) return this.onNack(from, body);
    for (const s of this.streams.values()) {
      if (s.id === m && s.to === from) {
        s.inflight.delete(c as number);
        this.unreachable.answered(from);
        this.pump(s);
        return;
      }
    }
  }

  private onMigrated(from: string, body: Record<string, unknown>): void {
    const p = this.partitionField(body.p);
    const target = body.t;
    if (!isId(target)) throw bad('migration target');
    const t = this.table;
    if (!this.isCoordinator() || t === null) return;
    // Only the current primary's stream counts: it alone has forwarded every write since it began.
    if (t.owners[p]![0] !== from || !t.target[p]!.includes(target) || t.owners[p]!.includes(target)) return;
    this.ready.add(readyKey(p, target));
    this.planDirty = true;
    this.maybePlan(false);
  }

  // ------------------------------------------------------------------ handoff of data we no longer own

  private handoff(p: number): void {
    const primary = primaryIn(this.table, p);
    if (primary === undefined || primary === this.selfId || !this.alive.has(primary)) return;
    for (const ho of this.handoffs.values()) if (ho.p === p) return;
    const chunk = this.store.chunk(p, null, this.config.migrationChunkBytes);
    if (chunk.records.length === 0) return;
    const h = this.nextHandoff++;
    this.handoffs.set(h, { p, to: primary, records: chunk.records, sentAtMs: this.nowMs });
    this.send(primary, MessageType.ReplHandoff, { p, h, recs: chunk.records.map(recordToWire) });
  }

  /**
   * A write this member applied as primary, whose partition moved (a rebalance, a graceful
   * leave) before every copy acknowledged it. It must not fail with ERR_NOT_PRIMARY: the
   * requester would retry it at the new primary, which may already hold it (through our delta,
   * a migration chunk or a repair) and would then apply it twice or refuse its ifVersion. So its
   * records are handed off to the new primary, which merges and replicates them like a write,
   * and the write is acknowledged when that primary acknowledges the hand-off (ERR_TIMEOUT at
   * the write's deadline otherwise).
   */
  private handOverWrite(w: PendingWrite): void {
    const records: SessionRecord[] = [];
    for (const id of w.ids) {
      const r = this.store.get(id);
      if (r !== undefined) records.push(r);
    }
    const h = this.nextHandoff++;
    this.handoffs.set(h, { p: w.p, to: '', records, sentAtMs: -Infinity, write: w });
    this.retryWriteHandoff(h, this.handoffs.get(h)!);
  }

  /** Sends a write hand-off to p's current primary (again, after 2 × retryMs without an answer). */
  private retryWriteHandoff(h: number, ho: Handoff): void {
    const w = ho.write!;
    if (this.nowMs >= w.deadlineMs) {
      this.handoffs.delete(h);
      return this.finish(w.origin, timeout());
    }
    const primary = primaryIn(this.table, ho.p);
    if (primary === this.selfId) {
      // Primary again: replicate the records from here like any write — unless writes made
      // under a newer table reached us meanwhile (a migration brought the partition back with
      // them): then this write lost to them, and is indeterminate, not acknowledged.
      this.handoffs.delete(h);
      if (this.overtaken(w)) return this.finish(w.origin, overtakenWrite(ho.p));
      const records = ho.records.map((r) => this.store.get(r.id) ?? r);
      return this.replicate(ho.p, records, w.origin, w.result);
    }
    if (primary === undefined || !this.alive.has(primary)) return; // wait for the next table
    if (primary === ho.to && this.nowMs < ho.sentAtMs + 2 * this.config.retryMs) return;
    ho.to = primary;
    ho.sentAtMs = this.nowMs;
    this.send(primary, MessageType.ReplHandoff, { p: ho.p, h, recs: ho.records.map(recordToWire), w: 1 });
  }

  private onHandoff(from: string, body: Record<string, unknown>): void {
    const p = this.partitionField(body.p);
    const h = body.h;
    if (!Number.isSafeInteger(h)) throw bad('handoff id');
    if (primaryIn(this.table, p) !== this.selfId) return this.send(from, MessageType.ReplHandoffAck, this.nack({ h }));
    const records = this.recordsField(body.recs, p);
    if (records === null) return;
    // The hand-off of a write its old primary applied but could not get acknowledged (w: 1): if
    // a copy here was written under a newer table since, that write lost the merge (stamps rank
    // by epoch) and must not be acknowledged as if it took effect: the new writes did not see it,
    // and one of them may carry the same version. Its requester gets "indeterminate" instead.
    const superseded = body.w === 1 && records.some((r) => {
      const cur = this.store.get(r.id);
      return cur !== undefined && cur.stamp.epoch > r.stamp.epoch;
    });
    // Merged, then replicated like a write: the sender drops its copy only once our backups have it.
    const merged = records.map((r) => this.mergeLocal(r));
    this.replicate(p, merged, { kind: 'handoff', from, h: h as number, superseded }, null);
  }

  private onHandoffAck(from: string, body: Record<string, unknown>): void {
    const h = body.h;
    if (!Number.isSafeInteger(h)) throw bad('handoff ack');
    const ho = this.handoffs.get(h as number);
    if (ho === undefined || ho.to !== from) return;
    // A refused write hand-off stays: tick() sends it to whoever is primary then.
    if (body.ok !== true && ho.write !== undefined) return this.onNack(from, body);
    this.handoffs.delete(h as number);
    if (body.ok !== true) return this.onNack(from, body);
    if (ho.write !== undefined) {
      ho.write.finished = true;
      const lost = new SessionMeshError('ERR_TIMEOUT', 'write outcome unknown: this member applied it as primary, then lost the partition, and writes made under the newer table overtook it; it may be partly visible', {
        partition: ho.p,
      });
      this.finish(ho.write.origin, body.sup === true ? lost : ho.write.result);
    }
    const t = this.table;
    if (t !== null && (t.owners[ho.p]!.includes(this.selfId) || t.target[ho.p]!.includes(this.selfId))) return; // ours again
    // Drop only copies unchanged since they were sent; a newer one goes in the next handoff.
    for (const r of ho.records) {
      if (this.store.get(r.id) === r) {
        this.store.delete(r.id);
        this.expiry.remove(r.id);
      }
    }
    if (this.store.count(ho.p) > 0) this.handoff(ho.p);
    else if (t?.incomplete?.[ho.p]?.includes(this.selfId)) this.reportDrained();
  }

  // ------------------------------------------------------------------ graceful leave

  /** Who must hear of our leave: the coordinator, or (we coordinate) our successor. */
  private leaveContact(): string | null {
    if (!this.isCoordinator()) return this.coordinatorId;
    return coordinatorOf(this.members.filter((m) => m.id !== this.selfId))?.id ?? null;
  }

  private sendLeave(): void {
    this.nextLeaveMsgMs = this.nowMs + this.config.retryMs;
    const to = this.leaveContact();
    if (to !== null && to !== this.selfId) this.send(to, MessageType.ReplLeave, {});
  }

  /** A member announced its leave. Every receiver remembers it (a successor may coordinate next). */
  private onLeave(from: string): void {
    if (this.alive.has(from) && !this.leavers.has(from)) {
      this.leavers.add(from);
      this.planDirty = true;
      this.maybePlan(true);
    }
    const t = this.table;
    this.send(from, MessageType.ReplLeaveAck, t === null ? { e: -1, c: '' } : { e: t.epoch, c: t.coordinatorId });
  }

  private onLeaveAck(from: string, body: Record<string, unknown>): void {
    const { e, c } = body;
    if (!Number.isSafeInteger(e) || (e as number) < -1 || typeof c !== 'string' || c.length > 128) throw bad('leave ack');
    if (!this.leaving) return;
    this.leaveAck = { from, epoch: e as number, coordinatorId: c };
    const t = this.table;
    // A successor behind us gets our table (it must hold the last one we committed).
    if (t !== null && (t.epoch !== e || t.coordinatorId !== c)) this.sendTable(from, false);
  }

  private checkLeave(): void {
    // Members that announced their own leave do not count: when every other data member leaves
    // too (a whole-cluster shutdown), there is nowhere to hand off to, and waiting would only run
    // into the node's leaveTimeoutMs. The coordinator hears every leave, so it goes first; the
    // others follow as it leaves membership and the next coordinator hears theirs.
    const others = [...this.alive].some((id) => id !== this.selfId && !this.leavers.has(id));
    if (others) {
      const t = this.table;
      if (t === null) return;
      for (let p = 0; p < t.partitions; p++) if (t.owners[p]!.includes(this.selfId) || t.target[p]!.includes(this.selfId)) return;
      if (this.store.size > 0 || this.handoffs.size > 0 || this.writes.size > 0 || this.streams.size > 0 || this.localOps.size > 0) return;
      const a = this.leaveAck;
      if (a === null || a.from !== this.leaveContact() || a.epoch !== t.epoch || a.coordinatorId !== t.coordinatorId) return;
    }
    this.leaveDone = true;
    this.emit({ type: 'leaveComplete' });
  }

  // ------------------------------------------------------------------ anti-entropy

  private antiEntropy(): void {
    const t = this.table;
    if (t === null) return;
    const perBackup = new Map<string, [number, number][]>();
    for (let p = 0; p < t.partitions; p++) {
      const row = t.owners[p]!;
      if (row[0] !== this.selfId) continue;
      for (const b of row.slice(1)) {
        if (!this.alive.has(b)) continue;
        let list = perBackup.get(b);
        if (list === undefined) perBackup.set(b, (list = []));
        list.push([p, this.store.digest(p)]);
      }
    }
    for (const [b, ds] of perBackup) this.send(b, MessageType.ReplDigest, { ds });
    for (const p of this.store.partitionIds()) {
      if (!t.owners[p]!.includes(this.selfId) && !t.target[p]!.includes(this.selfId)) this.handoff(p);
    }
    this.reportDrained();
  }

  /** Tells the coordinator which incomplete partitions naming us as a lost holder we hold nothing of any more. */
  private reportDrained(): void {
    const t = this.table;
    if (t?.incomplete === undefined) return;
    const ps: number[] = [];
    for (let p = 0; p < t.partitions; p++) if (t.incomplete[p]!.includes(this.selfId) && this.store.count(p) === 0) ps.push(p);
    if (ps.length === 0) return;
    if (this.isCoordinator()) this.onDrained(this.selfId, { ps });
    else if (this.coordinatorId !== null) this.send(this.coordinatorId, MessageType.ReplDrained, { ps });
  }

  private onDrained(from: string, body: Record<string, unknown>): void {
    const ps = body.ps;
    if (!Array.isArray(ps) || ps.length > this.config.partitions) throw bad('drained partitions');
    const t = this.table;
    if (!this.isCoordinator() || t === null) return;
    let added = false;
    for (const x of ps as unknown[]) {
      const p = this.partitionField(x);
      if (!t.incomplete?.[p]?.includes(from) || this.drained.has(readyKey(p, from))) continue;
      this.drained.add(readyKey(p, from));
      added = true;
    }
    if (added) {
      this.planDirty = true;
      this.maybePlan(false);
    }
  }

  /** Backup: compare the primary's partition digests with ours; answer mismatches with per-session digests. */
  private onDigest(from: string, body: Record<string, unknown>): void {
    const ds = body.ds;
    if (!Array.isArray(ds) || ds.length > this.config.partitions) throw bad('digests');
    let repairs = 0;
    for (const e of ds as unknown[]) {
      if (!Array.isArray(e) || !Number.isSafeInteger(e[1])) throw bad('digest entry');
      const p = this.partitionField(e[0]);
      if (!this.acceptsFrom(from, p) || this.store.digest(p) === e[1] || repairs >= MAX_REPAIRS_PER_ROUND) continue;
      repairs++;
      const list: [string, number][] = [];
      for (const r of this.store.records(p)) list.push([r.id, sessionDigest(r)]);
      this.send(from, MessageType.ReplSessionDigests, { p, ds: list.slice(0, MAX_DIGESTS_PER_MESSAGE) });
    }
  }

  /** Primary: send what differs, ask for what the backup has that differs. */
  private onSessionDigests(from: string, body: Record<string, unknown>): void {
    const p = this.partitionField(body.p);
    const ds = body.ds;
    if (!Array.isArray(ds) || ds.length > MAX_DIGESTS_PER_MESSAGE) throw bad('session digests');
    const t = this.table;
    if (t === null || t.owners[p]![0] !== this.selfId || !t.owners[p]!.includes(from)) return;
    const theirs = new Map<string, number>();
    for (const e of ds as unknown[]) {
      if (!Array.isArray(e) || !isValidSessionId(e[0]) || !Number.isSafeInteger(e[1])) throw bad('session digest');
      theirs.set(e[0], e[1] as number);
    }
    const send: SessionRecord[] = [];
    const want: string[] = [];
    let bytes = 0;
    for (const r of this.store.records(p)) {
      const d = theirs.get(r.id);
      if (d === sessionDigest(r)) continue;
      if (d !== undefined) want.push(r.id);
      if (bytes < this.config.migrationChunkBytes) {
        send.push(r);
        bytes += r.liveBytes() + 64;
      }
    }
    for (const id of theirs.keys()) if (this.store.get(id) === undefined) want.push(id);
    this.send(from, MessageType.ReplRepair, { p, recs: send.map(recordToWire), want });
  }

  private onRepair(from: string, body: Record<string, unknown>): void {
    const p = this.partitionField(body.p);
    const want = body.want;
    if (!Array.isArray(want) || want.length > MAX_DIGESTS_PER_MESSAGE || !want.every(isValidSessionId)) throw bad('repair want');
    const t = this.table;
    const fromPrimary = this.acceptsFrom(from, p);
    const fromBackup = t !== null && t.owners[p]![0] === this.selfId && t.owners[p]!.includes(from);
    if (!fromPrimary && !fromBackup) return;
    const records = this.recordsField(body.recs, p);
    if (records === null) return;
    for (const r of records) this.mergeLocal(r);
    if (want.length === 0 || !fromPrimary) return;
    const back: SessionRecord[] = [];
    let bytes = 0;
    for (const id of want as string[]) {
      const r = this.store.get(id);
      if (r === undefined || partitionOf(id, this.config.partitions) !== p) continue;
      back.push(r);
      bytes += r.liveBytes() + 64;
      if (bytes >= this.config.migrationChunkBytes) break;
    }
    if (back.length > 0) this.send(from, MessageType.ReplRepair, { p, recs: back.map(recordToWire), want: [] });
  }

  // ------------------------------------------------------------------ touches and expiry

  /**
   * An access on the primary to `cur`, the stored copy, recorded to accessResolutionMs (record.ts)
   * and batched for the backups.
   */
  private touchLocal(p: number, cur: SessionRecord): void {
    if (this.nowMs - cur.lastAccessMs < accessResolutionMs(cur.maxIdleMs)) return;
    const id = cur.id;
    const r = this.store.touch(id, this.nowMs);
    if (r === undefined) return;
    let batch = this.touches.get(p);
    if (batch === undefined) {
      this.touches.set(p, (batch = new Map()));
      if (this.touches.size === 1) this.nextTouchFlushMs = this.nowMs + this.config.touchFlushMs;
    }
    batch.set(id, r.lastAccessMs);
  }

  private flushTouches(): void {
    for (const [p, batch] of this.touches) {
      const ts = [...batch];
      for (const m of this.replicasOf(p)) this.send(m, MessageType.ReplTouches, { p, ts });
    }
    this.touches.clear();
    for (const [primary, ids] of this.nearTouches) if (this.alive.has(primary)) this.send(primary, MessageType.NearTouches, { ids: [...ids] });
    this.nearTouches.clear();
    this.nextTouchFlushMs = this.nowMs + this.config.touchFlushMs;
  }

  /**
   * The primary expires idle sessions and replicates the destroy. For expiryGraceMs after it
   * became primary it allows that much extra idle time: touches batched on the old primary may
   * not have reached it. Backups never expire live sessions themselves; every copy drops a
   * destroyed marker after its own idle period plus the grace (it absorbs late deltas until then).
   */
  private expire(): void {
    const grace = this.config.expiryGraceMs;
    for (const id of this.expiry.takeDue(this.nowMs, 1000)) {
      const rec = this.store.get(id);
      if (rec === undefined) continue;
      const p = partitionOf(id, this.config.partitions);
      if (rec.destroyed) {
        if (isExpired(rec, this.nowMs, grace)) this.store.delete(id);
        else this.expiry.schedule(id, expiresAtMs(rec) + grace);
        continue;
      }
      if (primaryIn(this.table, p) !== this.selfId || !this.primarySinceMs.has(p)) {
        this.expiry.schedule(id, expiresAtMs(rec) + grace);
        continue;
      }
      const margin = this.expiryMargin(p);
      if (!isExpired(rec, this.nowMs, margin)) {
        this.expiry.schedule(id, expiresAtMs(rec) + margin);
        continue;
      }
      // Just back from a gap in our inputs (a pause, a cut): the table may have moved on without
      // us, and a newer primary may have recorded touches we did not see; a destroy marker wins
      // every merge. Expire only after two table refreshes had time to reach us.
      if (this.nowMs - this.resumedAtMs < 2 * this.config.tableRefreshMs) {
        this.expiry.schedule(id, this.nowMs + this.config.retryMs);
        continue;
      }
      let stamp: Hlc;
      try {
        stamp = writeStamp(this.hlc, rec);
      } catch (err) {
        // Written under a newer table than ours: we are a stale primary, it is not ours to expire.
        if (!isSessionMeshError(err, 'ERR_NOT_PRIMARY')) throw err;
        this.expiry.schedule(id, this.nowMs + this.config.retryMs);
        continue;
      }
      const d = destroyRecord(rec, { stamp, nowMs: this.nowMs });
      this.putLocal(d);
      this.emit({ type: 'sessionExpired', id });
      this.replicate(p, [d], { kind: 'internal' }, null);
    }
  }

  /** Extra idle time the primary of p allows: expiryGraceMs during the grace period after it became primary. */
  private expiryMargin(p: number): number {
    const since = this.primarySinceMs.get(p);
    return since !== undefined && this.nowMs - since < this.config.expiryGraceMs ? this.config.expiryGraceMs : 0;
  }

  // ------------------------------------------------------------------ helpers

  /**
   * Quorum 'majority': more than half of the voters of the committed table are alive in this
   * member's view (before the first table: of every known data member that did not leave).
   * This is only the fast refusal (ERR_NO_QUORUM at once instead of a timeout): what keeps a
   * minority from acting is that its tables never take effect without a majority's votes
   * (table-votes.ts), so it can neither shrink the voter set nor promote its own primaries.
   * Dead members count without a vote until a table without them is committed, which only a
   * majority can do; members that left gracefully do not count.
   */
  private hasQuorum(): boolean {
    if (this.config.quorum === 'none') return true;
    if (this.quorumCache === null) this.quorumCache = this.computeQuorum();
    return this.quorumCache;
  }

  private computeQuorum(): boolean {
    const voters = this.votersOfCommitted();
    if (voters.length === 0) return false;
    return isMajority(voters, (id) => this.alive.has(id));
  }

  private putLocal(r: SessionRecord): void {
    this.store.put(r);
    this.expiry.schedule(r.id, expiresAtMs(r));
    this.invalidateReaders(r.id);
  }

  private mergeLocal(r: SessionRecord): SessionRecord {
    const merged = this.store.merge(r);
    this.merged(merged);
    return merged;
  }

  /** Bookkeeping after a copy was merged into the store. */
  private merged(r: SessionRecord): void {
    this.expiry.schedule(r.id, expiresAtMs(r));
    this.invalidateReaders(r.id);
  }

  // ------------------------------------------------------------------ near cache

  /**
   * The session changed here (a write, an expiry, a merged hand-off or repair): members that keep
   * it in a near cache are told now, in the same step that applied the change, so the message
   * leaves before the write can be acknowledged.
   */
  private invalidateReaders(id: string): void {
    if (!this.readers.has(id)) return; // (the common case: nobody reads it through a near cache)
    const out: Invalidations = new Map();
    this.readers.take(id, out);
    this.sendInvalidations(out);
  }

  private sendInvalidations(out: Invalidations): void {
    if (out.size === 0) return;
    this.readers.countSent(out);
    for (const [member, ids] of out) {
      for (let i = 0; i < ids.length; i += MAX_DIGESTS_PER_MESSAGE) this.send(member, MessageType.NearInvalidate, { ids: ids.slice(i, i + MAX_DIGESTS_PER_MESSAGE) });
    }
  }

  /** A near-cache hit still counts as an access at the primary (else a session read only here would expire). */
  private nearTouch(primary: string, id: string): void {
    if (this.touches.size === 0 && this.nearTouches.size === 0) this.nextTouchFlushMs = this.nowMs + this.config.touchFlushMs;
    let ids = this.nearTouches.get(primary);
    if (ids === undefined) this.nearTouches.set(primary, (ids = new Set()));
    ids.add(id);
  }

  private onNearInvalidate(body: Record<string, unknown>): void {
    const ids = this.idsField(body.ids);
    for (const id of ids) this.near.invalidate(id);
  }

  private onNearTouches(body: Record<string, unknown>): void {
    for (const id of this.idsField(body.ids)) {
      const p = partitionOf(id, this.config.partitions);
      if (primaryIn(this.table, p) !== this.selfId) continue;
      const rec = this.store.get(id);
      if (rec !== undefined && !rec.destroyed && !isExpired(rec, this.nowMs, this.expiryMargin(p))) this.touchLocal(p, rec);
    }
  }

  private idsField(x: unknown): string[] {
    if (!Array.isArray(x) || x.length > MAX_DIGESTS_PER_MESSAGE || !x.every(isValidSessionId)) throw bad('session ids');
    return x as string[];
  }

  /** Validated records of partition p, or null (message dropped) if one carries a stamp too far ahead. */
  private recordsField(x: unknown, p: number): SessionRecord[] | null {
    const parts = this.partsField(x, p);
    if (parts === null) return null;
    return parts.map(recordFromWireParts);
  }

  /** The records of a message, validated (as recordFromWire does) but not packed. */
  private partsField(x: unknown, p: number): WireParts[] | null {
    if (!Array.isArray(x) || x.length > MAX_RECORDS_PER_MESSAGE) throw bad('records');
    const out: WireParts[] = [];
    for (const w of x as unknown[]) {
      const r = partsFromWire(w, this.limits);
      if (partitionOf(r.id, this.config.partitions) !== p) throw bad('record of another partition');
      if (this.hlc.receive(r.parts.stamp) === null) {
        this.warn('records with a stamp beyond the drift bound dropped', { id: r.id });
        return null;
      }
      out.push(r);
    }
    return out;
  }

  private partitionField(x: unknown): number {
    if (!Number.isInteger(x) || (x as number) < 0 || (x as number) >= this.config.partitions) throw bad('partition');
    return x as number;
  }

  private dispatch(from: string, type: number, body: unknown): void {
    if (!isId(from)) throw bad('sender');
    if (type === MessageType.ReplTable) return this.considerTable(tableFromWire(body), from);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('body');
    const b = body as Record<string, unknown>;
    switch (type) {
      case MessageType.ReplOp:
        return this.onOp(from, b);
      case MessageType.ReplOpReply:
        return this.onOpReply(from, b);
      case MessageType.ReplDelta:
        return this.onDelta(from, b);
      case MessageType.ReplDeltaAck:
        return this.onDeltaAck(from, b);
      case MessageType.ReplChunk:
        return this.onChunk(from, b);
      case MessageType.ReplChunkAck:
        return this.onChunkAck(from, b);
      case MessageType.ReplMigrated:
        return this.onMigrated(from, b);
      case MessageType.ReplTouches:
        return this.onTouches(from, b);
      case MessageType.ReplDigest:
        return this.onDigest(from, b);
      case MessageType.ReplSessionDigests:
        return this.onSessionDigests(from, b);
      case MessageType.ReplRepair:
        return this.onRepair(from, b);
      case MessageType.ReplHandoff:
        return this.onHandoff(from, b);
      case MessageType.ReplHandoffAck:
        return this.onHandoffAck(from, b);
      case MessageType.ReplLeave:
        return this.onLeave(from);
      case MessageType.ReplLeaveAck:
        return this.onLeaveAck(from, b);
      case MessageType.NearInvalidate:
        return this.onNearInvalidate(b);
      case MessageType.NearTouches:
        return this.onNearTouches(b);
      case MessageType.ReplPropose:
        return this.onPropose(from, b);
      case MessageType.ReplVote:
        return this.onVote(from, b);
      case MessageType.ReplUnreachable:
        return this.onUnreachable(from, b);
      case MessageType.ReplDrained:
        return this.onDrained(from, b);
      default:
        throw bad(`unexpected message type ${type}`);
    }
  }

  private at(nowMs: number): void {
    if (!Number.isFinite(nowMs)) throw new Error(`Replicator: bad time ${nowMs}`);
    this.nowMs = Math.max(this.nowMs, Math.floor(nowMs));
    if (this.nowMs - this.lastInputMs > 2 * this.config.tableRefreshMs) this.resumedAtMs = this.nowMs;
    this.lastInputMs = this.nowMs;
  }

  private send(to: string, messageType: number, body: unknown): void {
    if (to === this.selfId) throw new Error('Replicator: send to self');
    this.out.push({ type: 'send', to, messageType, body });
  }

  private emit(event: ReplicationEvent): void {
    this.out.push({ type: 'event', event });
  }

  private warn(message: string, details?: Record<string, unknown>): void {
    this.out.push(details === undefined ? { type: 'warn', message } : { type: 'warn', message, details });
  }

  private flush(): ReplicatorOutput[] {
    if (this.leaving && !this.leaveDone) this.checkLeave();
    const o = this.out;
    this.out = [];
    return o;
  }
}

/** Refusals that promise the write did not and will not take effect (docs/consistency.md). */
const DEFINITE_REFUSALS: ReadonlySet<string> = new Set(['ERR_NOT_FOUND', 'ERR_VERSION_CONFLICT', 'ERR_NO_QUORUM', 'ERR_UNAVAILABLE', 'ERR_NOT_PRIMARY']);

/** The cluster-wide key of the op behind `origin` (applied-ops.ts), when it has one. */
function keyOf(origin: Origin, selfId: string): string | undefined {
  if (origin.kind === 'local') return opKey(selfId, origin.opId);
  if (origin.kind === 'remote') return origin.key;
  return undefined;
}

/** A coordinator's Paxos attempt (table-votes.ts) to get the next table chosen in `slot`. */
interface Proposal {
  /** The committed table it builds on. */
  slot: TableKey | null;
  ballot: Ballot;
  /** Our own plan, proposed if no voter accepted another table in this slot. */
  plan: ReplTable;
  /** Phase 2's table (null during phase 1). */
  value: ReplTable | null;
  promises: Map<string, AcceptedTable | null>;
  accepts: Set<string>;
  sentAtMs: number;
}

function ballotToWire(b: Ballot): [number, string] {
  return [b.round, b.by];
}

function ballotFromWire(x: unknown): Ballot {
  if (!Array.isArray(x) || x.length !== 2 || !Number.isSafeInteger(x[0]) || x[0] < 0 || !isId(x[1])) throw bad('ballot');
  return { round: x[0] as number, by: x[1] as string };
}

/** A table key on the wire: [epoch, coordinator start, coordinator id]. */
function keyToWire(k: TableKey): [number, number, string] {
  return [k.epoch, k.coordinatorStartedAtMs, k.coordinatorId];
}

function keyFromWire(x: unknown): TableKey {
  if (!Array.isArray(x) || x.length !== 3 || !Number.isSafeInteger(x[0]) || x[0] < 0 || !Number.isSafeInteger(x[1]) || x[1] < 0 || !isId(x[2])) throw bad('table key');
  return { epoch: x[0] as number, coordinatorStartedAtMs: x[1] as number, coordinatorId: x[2] as string };
}

function partitionOfOp(op: SessionOp, partitions: number): number {
  return partitionOf(op.id!, partitions);
}

function splitKey(k: string): [number, string] {
  const i = k.indexOf(':');
  return [Number(k.slice(0, i)), k.slice(i + 1)];
}

function isTimeMs(x: unknown): x is number {
  return Number.isInteger(x) && (x as number) >= 0 && (x as number) < 2 ** 48;
}

function bad(reason: string): SessionMeshError {
  return new SessionMeshError('ERR_BAD_FRAME', `invalid replication message: ${reason}`);
}

function notPrimary(p: number): SessionMeshError {
  return new SessionMeshError('ERR_NOT_PRIMARY', `not the primary of partition ${p}`, { partition: p });
}

function noQuorum(what = 'writes are refused'): SessionMeshError {
  return new SessionMeshError('ERR_NO_QUORUM', `this member sees no majority of the cluster; ${what}`);
}

function overtakenWrite(p: number): SessionMeshError {
  return new SessionMeshError('ERR_TIMEOUT', `write outcome unknown: writes made under a newer table of partition ${p} overtook it while it waited for its copies; it may be partly visible`, { partition: p });
}

function unavailable(id: string, p: number): SessionMeshError {
  return new SessionMeshError('ERR_UNAVAILABLE', `session ${id} may exist on members out of reach (every copy of partition ${p} is lost from view); retry later`, { id, partition: p });
}

function timeout(op?: SessionOp): SessionMeshError {
  return new SessionMeshError('ERR_TIMEOUT', `session ${op?.kind ?? 'write'} did not complete in time`);
}
