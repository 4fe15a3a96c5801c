/**
 * Drives the pure Replicator with real time, a timer and the transport, and offers its ops as
 * the promise-based SessionsApi. Every promise settles: the Replicator completes every op within
 * opTimeoutMs (with ERR_TIMEOUT at worst), and close() rejects what is still pending.
 *
 * Graceful leave (node.close()): leave() hands off every copy this member holds while ops keep
 * being accepted and routed to their primaries; the node closes the service only afterwards.
 */
import { SessionMeshError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock, Random } from '../clock/clock.js';
import type { Transport } from '../transport/transport.js';
import type { MemberRecord } from '../membership/member.js';
import type { NearCacheStatus } from '../replication/replicator.js';
import type { ReadCacheStats } from '../session/read-cache.js';
import { Replicator, type OpResult, type ReplicationConfig, type ReplicatorOutput, type SessionOp, type ReplicationEvent, movingPartitions } from '../replication/index.js';
import type { SessionLimits } from '../session/limits.js';
import { MachineTimer } from './machine-timer.js';
import { internalError } from './internal-error.js';
import type { NodeSessionsApi, SessionChange, SessionView } from './sessions-api.js';
import type { NodeStatus } from './status.js';
import type { InboundMessage } from '../transport/transport.js';
import { MessageType } from '../wire/message-types.js';
import { drawLocalSessionId } from '../placement/index.js';
import { isValidSessionId, newSessionId } from '../session/id.js';
import { liveIds, listClusterIds, listLimit, listRequestFromWire } from './session-listing.js';

interface Pending {
  resolve: (r: OpResult) => void;
  reject: (e: SessionMeshError) => void;
}

export interface SessionServiceOptions {
  selfId: string;
  startedAtMs: number;
  config: Partial<ReplicationConfig>;
  limits?: SessionLimits;
  clock: Clock;
  random: Random;
  transport: Transport;
  /** Where to dial a member id (from the membership view). */
  addressOf: (id: string) => { readonly id: string; readonly address: MemberRecord['address'] } | undefined;
  logger: Logger;
  onEvent: (e: ReplicationEvent) => void;
  /** The membership view, for listIds (which asks every data member). */
  members?: () => MemberRecord[];
}

/** How a graceful leave ended, and (for the log) what was still here when it ended. */
export interface LeaveOutcome {
  /** True: the Replicator reported leaveComplete; false: the timeout came first. */
  completed: boolean;
  elapsedMs: number;
  /** Session copies still held here. */
  sessionsHeld: number;
  /** Partitions whose committed table still lists this member (as owner or migration target). */
  partitionsListed: number;
  /** Session operations submitted here and not yet completed. */
  opsPending: number;
}

export class SessionService implements NodeSessionsApi {
  readonly replicator: Replicator;
  private readonly pending = new Map<number, Pending>();
  private nextOpId = 1;
  private readonly timer: MachineTimer;
  private closed = false;
  private leaveCompleted = false;
  private leaveWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly o: SessionServiceOptions) {
    this.timer = new MachineTimer(o.clock, () => this.drive((now) => this.replicator.tick(now), 'tick'));
    this.replicator = new Replicator({ selfId: o.selfId, startedAtMs: o.startedAtMs, random: o.random, config: o.config, ...(o.limits ? { limits: o.limits } : {}) });
    // A closed connection may have lost a primary's near-cache invalidations: drop what it served.
    o.transport.onPeerEvent((e) => {
      if (e.kind === 'disconnected') this.drive((now) => this.replicator.peerDisconnected(now, e.peer.id), 'peerDisconnected', undefined, e.peer.id);
    });
  }

  // ---- driving

  membershipChanged(members: MemberRecord[]): void {
    this.drive((now) => this.replicator.membershipChanged(now, members), 'membershipChanged');
  }

  receive(fromId: string, type: number, body: unknown): void {
    this.drive((now) => this.replicator.receive(now, fromId, type, body), 'receive', undefined, fromId, type);
  }

  /**
   * Runs one step of the Replicator and carries out its outputs, then re-arms the timer. It runs
   * in timer, socket and transport callbacks, so nothing may escape it (internal-error.ts): a
   * step that throws is logged and fails the op it was for (`opId`); an output that fails is
   * logged and fails the op it carried; the other outputs are still carried out. (What the step
   * was for is passed as arguments, not an object: this runs for every op and message.)
   */
  private drive(step: (nowMs: number) => ReplicatorOutput[], input: string, opId?: number, peer?: string, messageType?: number): void {
    if (this.closed) return;
    let outs: ReplicatorOutput[] | undefined; // (no array allocated for nothing: this runs per op and message)
    let failed = false;
    try {
      outs = step(this.o.clock.nowMs());
    } catch (err) {
      failed = true;
      const failure = internalError(this.o.logger, err, `replication ${input}`, { opId, peer, messageType });
      if (opId !== undefined) this.settle(opId, failure);
    }
    for (let i = 0; outs !== undefined && i < outs.length; i++) {
      const out = outs[i]!;
      try {
        this.apply(out);
      } catch (err) {
        const failure = internalError(this.o.logger, err, `replication output ${out.type}`, out.type === 'send' ? { to: out.to, messageType: out.messageType } : out.type === 'complete' ? { opId: out.opId } : {});
        // A send that failed fails the op it carried (its outputs are carried out after these).
        if (out.type === 'send') {
          try {
            outs!.push(...this.replicator.sendFailed(this.o.clock.nowMs(), out.messageType, out.body, failure));
          } catch (e) {
            internalError(this.o.logger, e, 'replication sendFailed', { to: out.to, messageType: out.messageType });
          }
        }
      }
    }
    // After a failed step the machine's deadline may be stale (already due): a step that keeps
    // failing must not spin the timer (nor flood the log), so the next one is at least a second away.
    this.schedule(failed);
  }

  private apply(out: ReplicatorOutput): void {
    switch (out.type) {
      case 'send': {
        const m = this.o.addressOf(out.to);
        if (!m) {
          this.o.logger.debug({ to: out.to, type: out.messageType }, 'replication message to an unknown member dropped');
          return;
        }
        this.o.transport.send({ id: m.id, address: m.address }, out.messageType, out.body);
        return;
      }
      case 'complete':
        return this.settle(out.opId, 'error' in out ? out.error : out.result);
      case 'event':
        if (out.event.type === 'leaveComplete') {
          this.leaveCompleted = true;
          for (const w of this.leaveWaiters.splice(0)) w();
        }
        this.o.onEvent(out.event);
        return;
      case 'warn':
        this.o.logger.warn({ ...out.details }, out.message);
        return;
    }
  }

  private settle(opId: number, outcome: OpResult | SessionMeshError): void {
    const p = this.pending.get(opId);
    if (!p) return;
    this.pending.delete(opId);
    if (outcome instanceof SessionMeshError) p.reject(outcome);
    else p.resolve(outcome);
    if (this.pending.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private schedule(failedStep = false): void {
    if (this.closed) return;
    this.timer.rearm(() => this.replicator.nextDeadlineMs(), failedStep, (err) => internalError(this.o.logger, err, 'replication nextDeadlineMs'));
  }

  private submit(op: SessionOp): Promise<OpResult> {
    if (this.closed) return Promise.reject(new SessionMeshError('ERR_CLOSED', 'the node is closed'));
    const opId = this.nextOpId++;
    return new Promise<OpResult>((resolve, reject) => {
      this.pending.set(opId, { resolve, reject });
      this.drive((now) => this.replicator.submit(now, opId, op), 'submit', opId);
    });
  }

  /**
   * Graceful leave: asks the Replicator to hand off every copy held here and resolves when it
   * reports leaveComplete, or after `timeoutMs` with completed: false. Ops keep being served
   * meanwhile. A member with nothing to hand off (role `client`, which never holds copies, or no
   * partition table yet and no session) completes at once: no table can list it, so no migration
   * would ever be planned for it to wait on.
   */
  leave(timeoutMs: number, options: { holdsData: boolean }): Promise<LeaveOutcome> {
    const startMs = this.o.clock.nowMs();
    const outcome = (completed: boolean): LeaveOutcome => ({ completed, elapsedMs: this.o.clock.nowMs() - startMs, ...this.leaveProgress() });
    if (this.closed) return Promise.resolve(outcome(false));
    if (!options.holdsData || (this.replicator.currentTable() === null && this.replicator.store.size === 0)) return Promise.resolve(outcome(true));
    return new Promise<LeaveOutcome>((resolve) => {
      if (this.leaveCompleted) return resolve(outcome(true));
      const done = () => {
        clearTimeout(timer);
        resolve(outcome(true));
      };
      const timer = setTimeout(() => {
        this.leaveWaiters = this.leaveWaiters.filter((w) => w !== done);
        resolve(outcome(false));
      }, timeoutMs);
      // Registered before leave(): with no other data member the Replicator completes at once.
      this.leaveWaiters.push(done);
      this.drive((now) => this.replicator.leave(now), 'leave');
    });
  }

  /** What still ties this member to the cluster's data (for the leave timeout warning). */
  leaveProgress(): Omit<LeaveOutcome, 'completed' | 'elapsedMs'> {
    const t = this.replicator.currentTable();
    let partitionsListed = 0;
    if (t) for (let p = 0; p < t.partitions; p++) if (t.owners[p]!.includes(this.o.selfId) || t.target[p]!.includes(this.o.selfId)) partitionsListed++;
    return { sessionsHeld: this.replicator.store.size, partitionsListed, opsPending: this.pending.size };
  }

  /** Resolves true once no op submitted here is pending, false if that takes longer than `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.pending.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.push(done);
    });
  }

  /** Stops driving the Replicator; ops still pending (and any submitted later) fail with ERR_CLOSED. */
  close(): void {
    this.closed = true;
    this.timer.cancel();
    for (const p of this.pending.values()) p.reject(new SessionMeshError('ERR_CLOSED', 'the node closed before the operation completed'));
    this.pending.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  // ---- SessionsApi

  async create(input: { id?: string; data?: Record<string, unknown>; maxIdleMs?: number }): Promise<{ id: string; version: number }> {
    if (input.id !== undefined && !isValidSessionId(input.id)) throw new SessionMeshError('ERR_INVALID_VALUE', 'invalid session id (22 to 128 base64url characters)');
    const r = await this.submit({ kind: 'create', ...(input.id === undefined ? {} : { id: input.id }), data: input.data ?? {}, ...(input.maxIdleMs === undefined ? {} : { maxIdleMs: input.maxIdleMs }) });
    if (r.kind !== 'create') throw unexpected(r);
    return { id: r.id, version: r.version };
  }

  getLocal(id: string): SessionView | null | undefined {
    if (this.closed) return undefined;
    // On the primary a read needs no round of the machine: answer it synchronously.
    const fast = this.replicator.readLocal(this.o.clock.nowMs(), id);
    if (fast === undefined) return undefined;
    this.schedule();
    return fast.session && { id: fast.session.id, data: fast.session.data, version: fast.session.version };
  }

  async get(id: string): Promise<SessionView | null> {
    const local = this.getLocal(id);
    if (local !== undefined) return local;
    const r = await this.submit({ kind: 'get', id });
    if (r.kind !== 'get') throw unexpected(r);
    return r.session && { id: r.session.id, data: r.session.data, version: r.session.version };
  }

  async update(id: string, change: SessionChange, options: { ifVersion?: number } = {}): Promise<{ version: number }> {
    // (Built field by field: the same object as spreads of optional fields, without the copies.)
    const update: SessionChange = {};
    if (change.set) update.set = change.set;
    if (change.delete) update.delete = change.delete;
    if (change.maxIdleMs !== undefined) update.maxIdleMs = change.maxIdleMs;
    const r = await this.submit(options.ifVersion === undefined ? { kind: 'update', id, update } : { kind: 'update', id, update, ifVersion: options.ifVersion });
    if (r.kind !== 'update') throw unexpected(r);
    return { version: r.version };
  }

  async touch(id: string): Promise<boolean> {
    const r = await this.submit({ kind: 'touch', id });
    if (r.kind !== 'touch') throw unexpected(r);
    return r.found;
  }

  async destroy(id: string): Promise<void> {
    const r = await this.submit({ kind: 'destroy', id });
    if (r.kind !== 'destroy') throw unexpected(r);
  }

  newLocalId(): string {
    const draw = () => newSessionId(this.o.random);
    const t = this.replicator.currentTable();
    if (t === null) return draw();
    return drawLocalSessionId(t, this.o.selfId, draw, this.replicator.config.maxIdDraws).id;
  }

  listIds(options: { limit?: number } = {}): Promise<string[]> {
    if (this.closed) return Promise.reject(new SessionMeshError('ERR_CLOSED', 'the node is closed'));
    let limit: number;
    try {
      limit = listLimit(options.limit);
    } catch (err) {
      return Promise.reject(err);
    }
    const peers = (this.o.members?.() ?? []).filter((m) => m.id !== this.o.selfId && m.role === 'member' && (m.state === 'alive' || m.state === 'suspect'));
    return listClusterIds({ transport: this.o.transport, peers, local: (l) => liveIds(this.replicator.store, this.o.clock.nowMs(), l), timeoutMs: this.replicator.config.opTimeoutMs }, limit);
  }

  /** Answers a peer's SessionList request (see session-listing.ts). */
  answerList(msg: InboundMessage): void {
    if (!msg.reply || !msg.replyError) return;
    try {
      const limit = listRequestFromWire(msg.body);
      msg.reply(MessageType.SessionListReply, liveIds(this.replicator.store, this.o.clock.nowMs(), limit));
    } catch (err) {
      msg.replyError(err instanceof SessionMeshError ? err.code : 'ERR_BAD_FRAME', err instanceof Error ? err.message : String(err));
    }
  }

  // ---- status

  /** Partition table and this member's session counts, for /status. */
  status(): { partitions: NodeStatus['partitions']; sessions: { primary: number; backup: number }; nearCache: NearCacheStatus; readCache: ReadCacheStats } {
    const t = this.replicator.currentTable();
    let primary = 0;
    let backup = 0;
    if (t) {
      for (let p = 0; p < t.partitions; p++) {
        const owners = t.owners[p] ?? [];
        const i = owners.indexOf(this.o.selfId);
        if (i === 0) primary += this.replicator.store.count(p);
        else if (i > 0) backup += this.replicator.store.count(p);
      }
    }
    return {
      partitions: t ? { count: t.partitions, epoch: t.epoch, owners: t.owners.map((row) => [...row]), moving: movingPartitions(t) } : null,
      sessions: { primary, backup },
      nearCache: this.replicator.nearCacheStatus(),
      readCache: this.replicator.readCacheStatus(),
    };
  }
}

function unexpected(r: OpResult): SessionMeshError {
  return new SessionMeshError('ERR_CLOSED', `internal: unexpected result kind ${r.kind}`);
}
