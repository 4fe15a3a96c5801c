/**
 * A simulated cluster of REAL Replicator machines on the seeded network model, in virtual time.
 *
 * Membership is an oracle, not the SWIM machine: each member's view is "alive iff up and
 * reachable from me", delivered to it after a random detection delay (300–1000 ms) whenever the
 * truth changes (crash, join, partition, heal, exit after a graceful leave: then 'left').
 * Restarted processes are new members (new id).
 *
 * Graceful leave (leave()): like the node's close(), the Replicator's leave() runs first; when it
 * emits leaveComplete the process leaves membership and exits a moment later.
 */
import { SeededRandom } from '../../../src/clock/clock.js';
import type { MemberRecord } from '../../../src/membership/member.js';
import type { ReplicationConfig } from '../../../src/replication/config.js';
import type { OpResult, SessionOp } from '../../../src/replication/ops.js';
import type { ReplicatorOutput } from '../../../src/replication/outputs.js';
import { Replicator } from '../../../src/replication/replicator.js';
import type { ReplTable } from '../../../src/replication/table.js';
import { SessionMeshError } from '../../../src/errors.js';
import { EventQueue, type ScheduledEvent } from './event-queue.js';
import { type NetworkConditions, NetworkModel, lan } from './network.js';

export interface ReplProcess {
  readonly id: string;
  readonly startedAtMs: number;
  readonly rep: Replicator;
  up: boolean;
  timer: ScheduledEvent | null;
  /** Exited after a graceful leave (its peers see it 'left'). */
  left: boolean;
  leaveStartedAtMs: number | null;
  leaveCompletedAtMs: number | null;
  /** Sessions it still held when it exited (must be 0 unless it was alone). */
  heldAtExit: number | null;
}

export type OpOutcome = { ok: true; result: OpResult } | { ok: false; error: SessionMeshError };

export class ReplCluster {
  readonly queue = new EventQueue();
  readonly random: SeededRandom;
  readonly net: NetworkModel;
  readonly procs: ReplProcess[] = [];
  readonly warnings: string[] = [];
  /** Client ops still pending on a member when it exited after its leave (the node would drop them). */
  droppedAtExit = 0;
  /** Sees every message when it is sent and when it is delivered (tests that check what arrived when). */
  observer: { sent?(from: ReplProcess, to: string, type: number, body: unknown): void; delivered?(from: string, to: ReplProcess, type: number, body: unknown): void } = {};
  /**
   * Model TCP: a message lost on the way also closes the connection, and the receiver hears of it
   * (Replicator.peerDisconnected). Off by default: the other sims test loss without that hint.
   */
  disconnectOnLoss = false;
  /** Every sessionExpired event: which member expired which session when. */
  readonly expired: { id: string; by: string; atMs: number }[] = [];
  private readonly pending = new Map<number, { via: ReplProcess; done: (o: OpOutcome) => void }>();
  private nextOpId = 1;
  private nextMember = 1;
  /** Every table adopted anywhere, by (epoch, coordinator): they must all be identical. */
  private readonly tables = new Map<string, string>();

  constructor(
    readonly seed: number,
    readonly config: Partial<ReplicationConfig>,
    conditions: NetworkConditions = lan,
  ) {
    this.random = new SeededRandom(seed);
    this.net = new NetworkModel(this.random.fork(), conditions);
  }

  get nowMs(): number {
    return this.queue.nowMs;
  }

  up(): ReplProcess[] {
    return this.procs.filter((p) => p.up);
  }

  start(): ReplProcess {
    const id = `m${String(this.nextMember++).padStart(3, '0')}`;
    const p: ReplProcess = { id, startedAtMs: this.nowMs + this.procs.length, rep: new Replicator({ selfId: id, startedAtMs: this.nowMs + this.procs.length, random: this.random.fork(), config: this.config }), up: true, timer: null, left: false, leaveStartedAtMs: null, leaveCompletedAtMs: null, heldAtExit: null };
    this.procs.push(p);
    this.deliverView(p);
    this.membershipTruthChanged();
    return p;
  }

  crash(p: ReplProcess): void {
    p.up = false;
    if (p.timer) p.timer.cancelled = true;
    // The client died with its member: its ops end without an answer (they may have been applied).
    for (const [opId, op] of [...this.pending]) {
      if (op.via !== p) continue;
      this.pending.delete(opId);
      op.done({ ok: false, error: new SessionMeshError('ERR_CLOSED', 'member crashed') });
    }
    this.membershipTruthChanged();
  }

  /** Graceful leave: Replicator.leave(), then (on leaveComplete) membership leave and exit. */
  leave(p: ReplProcess): void {
    if (!p.up || p.leaveStartedAtMs !== null) return;
    p.leaveStartedAtMs = this.nowMs;
    this.handle(p, p.rep.leave(this.nowMs));
  }

  private exit(p: ReplProcess): void {
    if (!p.up) return;
    p.heldAtExit = p.rep.store.size;
    p.left = true;
    p.up = false;
    if (p.timer) p.timer.cancelled = true;
    for (const [opId, op] of [...this.pending]) {
      if (op.via !== p) continue;
      this.pending.delete(opId);
      this.droppedAtExit++;
      op.done({ ok: false, error: new SessionMeshError('ERR_CLOSED', 'member exited') });
    }
    this.membershipTruthChanged();
  }

  partition(groups: ReplProcess[][]): void {
    this.net.partition(groups.map((g) => g.map((p) => p.id)));
    this.membershipTruthChanged();
  }

  heal(): void {
    this.net.heal();
    this.membershipTruthChanged();
  }

  submit(via: ReplProcess, op: SessionOp, done: (o: OpOutcome) => void): void {
    const opId = this.nextOpId++;
    this.pending.set(opId, { via, done });
    this.handle(via, via.rep.submit(this.nowMs, opId, op));
  }

  runFor(ms: number, eachStep?: () => void): void {
    const until = this.nowMs + ms;
    while (this.queue.runNext(until)) eachStep?.();
    this.queue.runUntil(until);
  }

  /** The view `of` has of the cluster: alive iff up and reachable. */
  view(of: ReplProcess): MemberRecord[] {
    return this.procs.map((p) => ({
      id: p.id,
      name: p.id,
      address: { host: '127.0.0.1', port: 1 },
      httpAddress: null,
      role: 'member' as const,
      zone: null,
      startedAtMs: p.startedAtMs,
      state: p.left ? ('left' as const) : p.up && (p === of || this.net.connected(of.id, p.id)) ? ('alive' as const) : ('dead' as const),
      incarnation: 0,
    }));
  }

  /** Every up member has the same table, copies are where the target wants them, rows are full. */
  settled(): boolean {
    const ups = this.up();
    const t = ups[0]?.rep.currentTable();
    if (!t) return false;
    const copies = Math.min(typeof this.config.replicas === 'number' ? this.config.replicas : 2, ups.length);
    for (const p of ups) {
      const u = p.rep.currentTable();
      if (!u || u.epoch !== t.epoch || u.coordinatorId !== t.coordinatorId) return false;
      const view = this.view(p);
      if (view.filter((m) => m.state === 'alive').length !== ups.length) return false;
    }
    const upIds = new Set(ups.map((p) => p.id));
    return t.owners.every((row, i) => row.length === copies && row.every((id) => upIds.has(id)) && row.join() === t.target[i]!.join());
  }

  private membershipTruthChanged(): void {
    for (const p of this.procs) {
      if (!p.up) continue;
      this.queue.after(300 + this.random.int(700), () => this.deliverView(p));
    }
  }

  private deliverView(p: ReplProcess): void {
    if (p.up) this.handle(p, p.rep.membershipChanged(this.nowMs, this.view(p)));
  }

  private handle(p: ReplProcess, outs: ReplicatorOutput[]): void {
    if (p.left) return; // outputs of inputs that were already queued when it exited
    for (const o of outs) {
      switch (o.type) {
        case 'send': {
          this.observer.sent?.(p, o.to, o.messageType, o.body);
          const fates = this.net.fate(p.id, o.to);
          for (const delay of fates) {
            this.queue.after(delay, () => {
              const to = this.procs.find((q) => q.id === o.to);
              if (!(to?.up && (p.up || p.left))) return;
              this.observer.delivered?.(p.id, to, o.messageType, o.body);
              this.handle(to, to.rep.receive(this.nowMs, p.id, o.messageType, o.body));
            });
          }
          if (fates.length === 0 && this.disconnectOnLoss) {
            this.queue.after(this.net.conditions.baseDelayMs, () => {
              const to = this.procs.find((q) => q.id === o.to);
              if (to?.up) this.handle(to, to.rep.peerDisconnected(this.nowMs, p.id));
            });
          }
          break;
        }
        case 'complete': {
          const done = this.pending.get(o.opId)?.done;
          this.pending.delete(o.opId);
          if ('error' in o) done?.({ ok: false, error: o.error });
          else done?.({ ok: true, result: o.result });
          break;
        }
        case 'event':
          if (o.event.type === 'table') this.recordTable(p.rep.currentTable()!);
          if (o.event.type === 'sessionExpired') this.expired.push({ id: o.event.id, by: p.id, atMs: this.nowMs });
          if (o.event.type === 'leaveComplete') {
            if (p.leaveStartedAtMs === null) throw new Error(`${p.id}: leaveComplete without leave()`);
            if (p.leaveCompletedAtMs !== null) throw new Error(`${p.id}: leaveComplete twice`);
            p.leaveCompletedAtMs = this.nowMs;
            // The node leaves membership and exits (its last sends still go out: a graceful close).
            this.exit(p);
          }
          break;
        case 'warn':
          this.warnings.push(`${p.id}: ${o.message} ${JSON.stringify(o.details ?? {})}`);
          break;
      }
    }
    this.arm(p);
  }

  /** Invariant: one table per (epoch, coordinator), so at most one primary per partition per epoch. */
  private recordTable(t: ReplTable): void {
    const key = `${t.epoch}/${t.coordinatorId}`;
    const value = JSON.stringify([t.owners, t.target]);
    const seen = this.tables.get(key);
    if (seen !== undefined && seen !== value) throw new Error(`two different tables for epoch ${key}`);
    this.tables.set(key, value);
  }

  private arm(p: ReplProcess): void {
    if (!p.up) return;
    const at = p.rep.nextDeadlineMs();
    if (p.timer && !p.timer.cancelled && p.timer.atMs <= at) return;
    if (p.timer) p.timer.cancelled = true;
    p.timer = this.queue.schedule(Math.max(at, this.nowMs + 1), () => {
      p.timer = null;
      if (p.up) this.handle(p, p.rep.tick(this.nowMs));
    });
  }
}
