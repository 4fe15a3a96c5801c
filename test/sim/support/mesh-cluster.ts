/**
 * A seeded, virtual-time cluster where every member runs BOTH real pure machines, composed as
 * src/node/node.ts composes them: the SWIM `Membership` machine decides who is alive, and every
 * batch of its outputs that holds a `change` is followed by
 * `replicator.membershipChanged(now, membership.members())`; the `Replicator` sends to member ids,
 * which are resolved to addresses through the membership view (unknown ids are dropped, like
 * SessionService does). Each machine has its own timer, armed at its nextDeadlineMs().
 *
 * The network is NetworkModel (delay, jitter/reorder, loss, duplicates, partitions); bodies go
 * through msgpack as on the wire. Process faults follow what the TCP transport reports:
 * crash (kill -9): peers with a connection hear `peerDisconnected` (membership and replicator,
 * as node.ts and session-service.ts both subscribe to the transport's peer events), later sends
 * to the address are refused (`peerUnreachable`); restart: a NEW member id at the same address
 * (sends meant for the old id fail the handshake → `peerUnreachable`).
 * pause (SIGSTOP): the process runs nothing — its timers do not fire, every input meant for it
 * (messages, client requests, peer events) waits in its inbox, its connections stay open; resume
 * (SIGCONT) hands it the whole inbox at once, in arrival order (a socket read returns all that
 * queued), and then its overdue timers fire, as Node's event loop does after a stop in poll.
 * Clock skew: each member's machines see virtual time + a fixed per-member offset (startedAtMs
 * and HLC stamps included); timers still fire at the virtual time their deadline means.
 *
 * Checked on every step: one table per (epoch, coordinator) anywhere in the cluster, so at most
 * one primary per partition per epoch (a split's two sides may both commit epoch n; tables are
 * ordered by (epoch, coordinator start, coordinator id) and the heal picks one).
 */
import { pack, unpack } from 'msgpackr';
import { SeededRandom } from '../../../src/clock/clock.js';
import { SessionMeshError } from '../../../src/errors.js';
import type { MembershipConfig } from '../../../src/membership/config.js';
import type { MemberInfo } from '../../../src/membership/member.js';
import { Membership, type MembershipOutput, type SendTarget } from '../../../src/membership/membership.js';
import { isMembershipMessageType } from '../../../src/membership/messages.js';
import type { ReplicationConfig } from '../../../src/replication/config.js';
import type { SessionOp } from '../../../src/replication/ops.js';
import type { ReplicatorOutput } from '../../../src/replication/outputs.js';
import { Replicator } from '../../../src/replication/replicator.js';
import type { ReplTable } from '../../../src/replication/table.js';
import { formatAddress, type PeerAddress } from '../../../src/transport/address.js';
import { EventQueue, type ScheduledEvent } from './event-queue.js';
import { type NetworkConditions, NetworkModel, lan } from './network.js';
import type { OpOutcome } from './replication-cluster.js';

export interface MeshProcess {
  readonly id: string;
  readonly name: string;
  readonly address: PeerAddress;
  readonly key: string;
  readonly membership: Membership;
  readonly rep: Replicator;
  running: boolean;
  /** Peers it exchanged messages with: an open connection in the real transport. */
  readonly connections: Set<string>;
  memTimer: ScheduledEvent | null;
  memDueMs: number;
  repTimer: ScheduledEvent | null;
  repDueMs: number;
  /** SIGSTOPped: inputs wait in `inbox`, timers do not run. */
  paused: boolean;
  readonly inbox: (() => void)[];
  /** This member's clock minus virtual time (ms): what its machines read as now is virtual + offsetMs. */
  readonly offsetMs: number;
}

export interface MeshOptions {
  seed: number;
  replication: Partial<ReplicationConfig>;
  membership?: Partial<MembershipConfig>;
  network?: Partial<NetworkConditions>;
  /**
   * Clock skew bound: each member's clock is off by a fixed seeded amount in
   * [−maxClockSkewMs, +maxClockSkewMs] (0, default: every clock exact and no random draw for it).
   */
  maxClockSkewMs?: number;
  /** Replication message types that may be delivered once more much later (network lateDuplicateRate). */
  lateDuplicateTypes?: readonly number[];
}

/** Wall-clock start times as the node sets them (Date.now() at boot); the sim starts at this instant. */
const EPOCH_MS = 1_700_000_000_000;

export class MeshCluster {
  readonly seed: number;
  readonly random: SeededRandom;
  readonly queue = new EventQueue();
  readonly net: NetworkModel;
  readonly procs: MeshProcess[] = [];
  readonly warnings: string[] = [];
  /** Every distinct table committed anywhere (by epoch/coordinator). */
  readonly tables = new Map<string, string>();
  /** Messages sent, by kind. */
  readonly sent = { membership: 0, replication: 0 };
  private readonly byAddress = new Map<string, MeshProcess>();
  private readonly pending = new Map<number, { via: MeshProcess; done: (o: OpOutcome) => void }>();
  private nextOpId = 1;
  private hostCounter = 0;

  constructor(private readonly o: MeshOptions) {
    this.seed = o.seed;
    this.random = new SeededRandom(o.seed);
    this.net = new NetworkModel(this.random.fork(), { ...lan, ...o.network });
  }

  get nowMs(): number {
    return this.queue.nowMs;
  }

  fail(message: string): never {
    throw new Error(`[sim seed=${this.seed}] at ${this.nowMs.toFixed(1)} ms: ${message} (replay: SIM_SEED=${this.seed})`);
  }

  /** Running members that joined: the ones a load balancer would send requests to (createNode awaits the join). */
  up(): MeshProcess[] {
    return this.procs.filter((p) => p.running && p.membership.isJoined());
  }

  running(): MeshProcess[] {
    return this.procs.filter((p) => p.running);
  }

  /** Starts a member (at `address`: a restart there) that joins through up to two joined members. */
  start(address?: PeerAddress): MeshProcess {
    address ??= { host: `10.1.0.${++this.hostCounter}`, port: 7946 };
    const id = Buffer.from(this.random.bytes(8)).toString('hex');
    const name = `m${this.procs.length}`;
    const maxSkewMs = this.o.maxClockSkewMs ?? 0;
    // Offsets are kept ≥ 0 (a base of maxSkewMs) so no machine ever sees a negative time.
    const offsetMs = maxSkewMs > 0 ? maxSkewMs + Math.round((this.random.float() * 2 - 1) * maxSkewMs) : 0;
    const startedAtMs = EPOCH_MS + Math.floor(this.nowMs + offsetMs);
    const self: MemberInfo = { id, name, address, httpAddress: null, role: 'member', zone: null, startedAtMs };
    const random = this.random.fork();
    const p: MeshProcess = {
      id,
      name,
      address,
      key: formatAddress(address),
      membership: new Membership({ self, config: this.o.membership ?? {}, random, nowMs: this.nowMs + offsetMs }),
      rep: new Replicator({ selfId: id, startedAtMs, random, config: this.o.replication }),
      running: true,
      connections: new Set(),
      memTimer: null,
      memDueMs: Infinity,
      repTimer: null,
      repDueMs: Infinity,
      paused: false,
      inbox: [],
      offsetMs,
    };
    // Seeds are joined members (a static seed list of long-lived members). A seed that is itself
    // still joining answers with a view of one, which makes an island (see the report in docs).
    const others = this.up();
    const seeds: PeerAddress[] = [];
    for (let i = 0; i < 2 && others.length > 0; i++) seeds.push(others.splice(this.random.int(others.length), 1)[0]!.address);
    this.procs.push(p);
    this.byAddress.set(p.key, p);
    this.driveMembership(p, (m, now) => m.start(now, seeds));
    return p;
  }

  /** kill -9: sockets close (connected peers on its side of any split hear it), later dials are refused. */
  crash(p: MeshProcess): void {
    if (!p.running) return;
    p.running = false;
    p.paused = false;
    p.inbox.length = 0;
    for (const t of [p.memTimer, p.repTimer]) if (t) t.cancelled = true;
    p.memTimer = p.repTimer = null;
    for (const [opId, op] of [...this.pending]) {
      if (op.via !== p) continue;
      // The client's request died with the member: no answer (the op may have been applied).
      this.pending.delete(opId);
      op.done({ ok: false, error: new SessionMeshError('ERR_CLOSED', 'member crashed') });
    }
    for (const q of this.procs) {
      if (!q.running || !q.connections.has(p.id) || !this.net.connected(p.key, q.key)) continue;
      this.queue.after(1 + this.random.float() * 4, () =>
        this.input(q, () => {
          this.driveMembership(q, (m, now) => m.peerDisconnected(now, p.id));
          this.driveReplicator(q, (r, now) => r.peerDisconnected(now, p.id));
        }),
      );
    }
  }

  /** SIGSTOP: nothing runs on p until resume(); what arrives meanwhile waits in its inbox. */
  pause(p: MeshProcess): void {
    if (!p.running || p.paused) return;
    p.paused = true;
    for (const t of [p.memTimer, p.repTimer]) if (t) t.cancelled = true;
    p.memTimer = p.repTimer = null;
    p.memDueMs = p.repDueMs = Infinity;
  }

  /** SIGCONT: the inbox is handled at once, in arrival order, then the overdue timers fire. */
  resume(p: MeshProcess): void {
    if (!p.running || !p.paused) return;
    p.paused = false;
    for (const run of p.inbox.splice(0)) {
      if (!p.running) return;
      run();
    }
    // Inputs re-arm the timers; with an empty inbox nothing did yet.
    this.armMembership(p);
    this.armReplicator(p);
  }

  /** A new process (new id) at the address of a crashed one. */
  restart(p: MeshProcess): MeshProcess {
    if (p.running) this.fail(`restart of ${p.name}: still running`);
    return this.start(p.address);
  }

  partition(groups: MeshProcess[][]): void {
    this.net.partition(groups.map((g) => g.map((p) => p.key)));
  }

  /** Cuts single links (non-transitive partitions: a bridge member keeps reaching both sides). */
  cut(pairs: readonly (readonly [MeshProcess, MeshProcess])[]): void {
    this.net.cut(pairs.map(([a, b]) => [a.key, b.key] as const));
  }

  heal(): void {
    this.net.heal();
  }

  submit(via: MeshProcess, op: SessionOp, done: (o: OpOutcome) => void): void {
    const opId = this.nextOpId++;
    this.pending.set(opId, { via, done });
    // A paused process does not read its client's request until it resumes.
    this.input(via, () => this.driveReplicator(via, (r, now) => r.submit(now, opId, op)));
  }

  /** What p's clock reads now. */
  clockOf(p: MeshProcess): number {
    return this.nowMs + p.offsetMs;
  }

  /** An input for p: handled now, or queued while p is paused. */
  private input(p: MeshProcess, run: () => void): void {
    if (!p.running) return;
    if (p.paused) p.inbox.push(run);
    else run();
  }

  runFor(ms: number, eachStep?: () => void): void {
    const until = this.nowMs + ms;
    while (this.queue.runNext(until)) eachStep?.();
    this.queue.runUntil(until);
  }

  /**
   * Recovered: every running member sees exactly the running members alive, all have the same
   * table, and every row is full, on running members, and at its target.
   */
  settled(): boolean {
    const ups = this.running();
    if (ups.length === 0) return false;
    const ids = new Set(ups.map((p) => p.id));
    const t = ups[0]!.rep.currentTable();
    if (t === null) return false;
    for (const p of ups) {
      const u = p.rep.currentTable();
      if (u === null || u.epoch !== t.epoch || u.coordinatorId !== t.coordinatorId) return false;
      let live = 0;
      let wrong = false;
      p.membership.forEachMember((r) => {
        if (r.state !== 'alive' && r.state !== 'suspect') return;
        live++;
        if (r.state !== 'alive' || !ids.has(r.id)) wrong = true;
      });
      if (wrong || live !== ids.size) return false;
    }
    const replicas = this.o.replication.replicas ?? 2;
    const copies = replicas === 'all' ? ups.length : Math.min(replicas, ups.length);
    return t.owners.every((row, i) => row.length === copies && row.every((id) => ids.has(id)) && row.join() === t.target[i]!.join());
  }

  describe(): string {
    return this.running()
      .map((p) => {
        const t = p.rep.currentTable();
        const moving = t ? t.owners.filter((r, i) => r.join() !== t.target[i]!.join()).length : -1;
        const states: Record<string, number> = {};
        p.membership.forEachMember((r) => void (states[r.state] = (states[r.state] ?? 0) + 1));
        return `${p.name}(${p.id.slice(0, 4)}): epoch ${t?.epoch}@${t?.coordinatorId.slice(0, 4)} moving ${moving} held ${p.rep.store.size} view ${JSON.stringify(states)}`;
      })
      .join('; ');
  }

  // ------------------------------------------------------------------ driving (as node.ts / session-service.ts)

  private driveMembership(p: MeshProcess, step: (m: Membership, nowMs: number) => MembershipOutput[]): void {
    if (!p.running || p.paused) return;
    let changed = false;
    for (const out of step(p.membership, this.clockOf(p))) {
      switch (out.kind) {
        case 'send':
          this.sent.membership++;
          this.transmit(p, out.to, out.type, out.body);
          break;
        case 'change':
        case 'joined':
          changed = true;
          break;
        case 'warn':
          this.warnings.push(`${p.name} membership: ${out.reason}`);
          break;
      }
    }
    this.armMembership(p);
    // Placement follows membership: node.ts hands every changed view to the replicator, once joined.
    if (changed && p.membership.isJoined()) this.driveReplicator(p, (r, now) => r.membershipChanged(now, p.membership.members()));
  }

  private driveReplicator(p: MeshProcess, step: (r: Replicator, nowMs: number) => ReplicatorOutput[]): void {
    if (!p.running || p.paused) return;
    for (const out of step(p.rep, this.clockOf(p))) {
      switch (out.type) {
        case 'send': {
          const m = p.membership.member(out.to);
          if (m === undefined) break; // SessionService drops sends to members it cannot address
          this.sent.replication++;
          this.transmit(p, { id: m.id, address: m.address }, out.messageType, out.body);
          break;
        }
        case 'complete': {
          const op = this.pending.get(out.opId);
          this.pending.delete(out.opId);
          if ('error' in out) op?.done({ ok: false, error: out.error });
          else op?.done({ ok: true, result: out.result });
          break;
        }
        case 'event':
          if (out.event.type === 'table') this.recordTable(p.rep.currentTable()!);
          break;
        case 'warn':
          this.warnings.push(`${p.name} replication: ${out.message} ${JSON.stringify(out.details ?? {})}`);
          break;
      }
    }
    this.armReplicator(p);
  }

  private transmit(from: MeshProcess, to: SendTarget, type: number, body: unknown): void {
    const bytes = pack(body);
    const key = formatAddress(to.address);
    const dest = this.byAddress.get(key);
    if (dest === undefined || !dest.running) {
      // Nothing listens there: the dial is refused at once.
      this.queue.after(1, () => this.input(from, () => this.driveMembership(from, (m, now) => m.peerUnreachable(now, to))));
      return;
    }
    const late = this.o.lateDuplicateTypes?.includes(type) ?? false;
    for (const delayMs of this.net.fate(from.key, dest.key, late)) this.queue.after(delayMs, () => this.deliver(from, to, key, type, bytes));
  }

  private deliver(from: MeshProcess, to: SendTarget, key: string, type: number, bytes: Buffer): void {
    const dest = this.byAddress.get(key);
    if (dest === undefined || !dest.running || (to.id !== undefined && to.id !== dest.id)) {
      // Gone meanwhile, or another member at that address now (a restart): the handshake fails.
      this.input(from, () => this.driveMembership(from, (m, now) => m.peerUnreachable(now, to)));
      return;
    }
    from.connections.add(dest.id);
    dest.connections.add(from.id);
    const body = unpack(bytes) as unknown;
    if (isMembershipMessageType(type)) this.input(dest, () => this.driveMembership(dest, (m, now) => m.receive(now, { id: from.id, address: from.address }, type, body)));
    else this.input(dest, () => this.driveReplicator(dest, (r, now) => r.receive(now, from.id, type, body)));
  }

  private armMembership(p: MeshProcess): void {
    if (!p.running || p.paused) return;
    // Deadlines are on p's clock; the queue runs on virtual time.
    const due = p.membership.nextDeadlineMs() - p.offsetMs;
    if (p.memTimer && !p.memTimer.cancelled && due === p.memDueMs) return;
    if (p.memTimer) p.memTimer.cancelled = true;
    p.memTimer = null;
    p.memDueMs = due;
    if (!Number.isFinite(due)) return;
    p.memTimer = this.queue.schedule(Math.max(due, this.nowMs), () => {
      p.memTimer = null;
      p.memDueMs = Infinity;
      this.driveMembership(p, (m, now) => m.tick(now));
    });
  }

  private armReplicator(p: MeshProcess): void {
    if (!p.running || p.paused) return;
    const due = p.rep.nextDeadlineMs() - p.offsetMs;
    if (p.repTimer && !p.repTimer.cancelled && due === p.repDueMs) return;
    if (p.repTimer) p.repTimer.cancelled = true;
    p.repTimer = null;
    p.repDueMs = due;
    if (!Number.isFinite(due)) return;
    // Real timers fire at whole ms at the earliest one ms later (setTimeout(0) ≈ 1 ms).
    p.repTimer = this.queue.schedule(Math.max(due, this.nowMs + 1), () => {
      p.repTimer = null;
      p.repDueMs = Infinity;
      this.driveReplicator(p, (r, now) => r.tick(now));
    });
  }

  /** Invariant (every step): one table per (epoch, coordinator), so at most one primary per partition per epoch. */
  private recordTable(t: ReplTable): void {
    const key = `${t.epoch}/${t.coordinatorId}`;
    const value = JSON.stringify([t.owners, t.target]);
    const seen = this.tables.get(key);
    if (seen !== undefined && seen !== value) this.fail(`two different tables for epoch ${key}`);
    this.tables.set(key, value);
  }
}
