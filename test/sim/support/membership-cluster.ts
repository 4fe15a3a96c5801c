/**
 * A seeded, virtual-time cluster of REAL `Membership` machines on a simulated network (loss, jitter,
 * reorder, duplicates, partitions), with process faults modelled on what the TCP transport reports:
 *
 * - crash (kill -9): the machine stops; every peer that had a connection to it gets
 *   `peerDisconnected` a few ms later (the kernel closes the sockets), and every later send to its
 *   address is refused (`peerUnreachable`).
 * - silent crash (host powered off): messages vanish, no hint at all.
 * - restart: a NEW member id at the same address; sends meant for the old id reach the new process
 *   and fail its handshake (`peerUnreachable`), like the real transport.
 * - pause: the process is stalled (blocked event loop); inputs queue up and run when it resumes,
 *   timers first (Node's timers phase runs before I/O callbacks).
 * - overload: every input to the process is handled up to N ms late (CPU starvation).
 *
 * Bodies go through msgpack as on the wire. After every step of every machine these invariants
 * are checked; a violation throws at once with the sim seed (see seeds.ts for replaying):
 *
 * - a member sees itself alive (left after its leave); its own incarnation never goes down;
 * - no view holds an incarnation the member itself never reached (only it mints them), so a
 *   dead member can only come back through a refutation it made while actually running;
 * - per observer and subject: the incarnation never goes down, left never changes, dead becomes
 *   alive/suspect only with a higher incarnation, and a live record never just disappears
 *   (only dead/left records are forgotten);
 * - 'change' outputs: each `previous` is the state reported before, no non-changes, and the view
 *   always matches what was reported; 'joined' at most once;
 * - no 'warn': correct members never send each other anything a validator rejects.
 */
import { pack, unpack } from 'msgpackr';
import { SeededRandom } from '../../../src/clock/clock.js';
import type { MembershipConfig } from '../../../src/membership/config.js';
import type { MemberInfo, MemberRecord, MemberState } from '../../../src/membership/member.js';
import { Membership, type MembershipOutput, type SendTarget } from '../../../src/membership/membership.js';
import { formatAddress, type PeerAddress } from '../../../src/transport/address.js';
import { EventQueue, type ScheduledEvent } from './event-queue.js';
import { lan, NetworkModel, type NetworkConditions } from './network.js';

export type ProcessStatus = 'running' | 'crashed' | 'silent' | 'exited';

export interface SimProcess {
  readonly id: string;
  readonly name: string;
  readonly address: PeerAddress;
  /** Network endpoint key (the address as text). */
  readonly key: string;
  readonly machine: Membership;
  status: ProcessStatus;
  /** The process called leave(). */
  left: boolean;
  /** Ids of processes it exchanged messages with: an open connection in the real transport. */
  readonly connections: Set<string>;
  /** Messages this process sent, by type id. */
  readonly sentByType: Map<number, number>;
  sent: number;
  tickEvent: ScheduledEvent | null;
  tickDueMs: number;
  pausedUntilMs: number;
  backlog: (() => void)[];
  overloadMs: number;
  joinedAtMs: number | null;
}

export interface ChangeEvent {
  atMs: number;
  observer: string;
  subject: string;
  previous: MemberState | null;
  state: MemberState;
  incarnation: number;
  reason: string;
}

export interface ClusterOptions {
  seed: number;
  config?: Partial<MembershipConfig>;
  network?: Partial<NetworkConditions>;
  /** Record 'warn' outputs instead of failing on the first (for tests that inject bad input). */
  allowWarnings?: boolean;
}

/** What an observer's view held about a subject after its last step, and what it reported. */
interface Seen {
  /** undefined: reported by a 'change' output in the current step, not yet checked. */
  state: MemberState | undefined;
  incarnation: number;
  reported: MemberState | null;
  /** Step in which it was last seen in the view. */
  stamp: number;
}

function isLive(state: MemberState): boolean {
  return state === 'alive' || state === 'suspect';
}

export class MembershipCluster {
  readonly seed: number;
  readonly random: SeededRandom;
  readonly queue = new EventQueue();
  readonly network: NetworkModel;
  readonly config: Partial<MembershipConfig>;
  readonly allowWarnings: boolean;
  /** Every process ever started, in start order (crashed ones included). */
  readonly processes: SimProcess[] = [];
  readonly changes: ChangeEvent[] = [];
  readonly warnings: { atMs: number; observer: string; reason: string }[] = [];
  private readonly byId = new Map<string, SimProcess>();
  /** The latest process bound to each address. */
  private readonly byAddress = new Map<string, SimProcess>();
  /** observer id → subject id → what its view held and reported. */
  private readonly views = new Map<string, Map<string, Seen>>();
  private stepCounter = 0;
  /** Highest incarnation each member ever gave itself (only it may mint them). */
  private readonly mintedIncarnation = new Map<string, number>();
  private hostCounter = 0;

  constructor(options: ClusterOptions) {
    this.seed = options.seed;
    this.random = new SeededRandom(options.seed);
    this.config = options.config ?? {};
    this.allowWarnings = options.allowWarnings ?? false;
    this.network = new NetworkModel(this.random.fork(), { ...lan, ...options.network });
  }

  get nowMs(): number {
    return this.queue.nowMs;
  }

  fail(message: string): never {
    throw new Error(`[sim seed=${this.seed}] at ${this.nowMs.toFixed(1)} ms: ${message} (replay: SIM_SEED=${this.seed})`);
  }

  // ------------------------------------------------------------------ processes

  /** Starts a member now. `seeds` default: the first running member (none for the first one). */
  addMember(options: { seeds?: (SimProcess | PeerAddress)[]; address?: PeerAddress; name?: string } = {}): SimProcess {
    const address = options.address ?? this.nextAddress();
    const id = Buffer.from(this.random.bytes(8)).toString('hex');
    const name = options.name ?? `m${this.processes.length}`;
    const info: MemberInfo = { id, name, address, httpAddress: null, role: 'member', zone: null, startedAtMs: 1_700_000_000_000 + this.nowMs };
    const machine = new Membership({ self: info, config: this.config, random: this.random.fork(), nowMs: this.nowMs });
    const p: SimProcess = {
      id,
      name,
      address,
      key: formatAddress(address),
      machine,
      status: 'running',
      left: false,
      connections: new Set(),
      sentByType: new Map(),
      sent: 0,
      tickEvent: null,
      tickDueMs: Infinity,
      pausedUntilMs: -Infinity,
      backlog: [],
      overloadMs: 0,
      joinedAtMs: null,
    };
    this.processes.push(p);
    this.byId.set(id, p);
    this.byAddress.set(p.key, p);
    this.mintedIncarnation.set(id, 0);
    const first = this.running().find((q) => q !== p);
    const seeds = (options.seeds ?? (first ? [first] : [])).map((s) => ('machine' in s ? s.address : s));
    this.step(p, (m, now) => m.start(now, seeds));
    return p;
  }

  addMembers(count: number, options: { seeds?: (SimProcess | PeerAddress)[] } = {}): SimProcess[] {
    return Array.from({ length: count }, () => this.addMember(options));
  }

  /** kill -9: sockets close at once (peers hear it), later dials are refused. `silent`: host gone, no hints. */
  crash(p: SimProcess, options: { silent?: boolean } = {}): void {
    this.stop(p, options.silent ? 'silent' : 'crashed');
  }

  /** A new process (new id) at the address of a stopped one. */
  restart(p: SimProcess, options: { seeds?: (SimProcess | PeerAddress)[] } = {}): SimProcess {
    if (p.status === 'running') this.fail(`restart of ${p.name}: it is still running`);
    return this.addMember({ address: p.address, name: `${p.name}'`, ...options });
  }

  /** Graceful leave, then the process exits `exitAfterMs` later. */
  leave(p: SimProcess, exitAfterMs = 20): void {
    p.left = true;
    this.step(p, (m, now) => m.leave(now));
    this.queue.after(exitAfterMs, () => this.stop(p, 'exited'));
  }

  /** The process stalls (event loop blocked) for `ms`. */
  pause(p: SimProcess, ms: number): void {
    p.pausedUntilMs = this.nowMs + ms;
    this.queue.after(ms, () => {
      if (p.status !== 'running') return;
      const backlog = p.backlog.splice(0);
      // Node runs due timers before I/O callbacks, so the machine sees the late tick first.
      this.step(p, (m, now) => m.tick(now));
      for (const run of backlog) run();
    });
  }

  /** Every input to `p` is handled up to `ms` late from now on (CPU starvation). */
  overload(p: SimProcess, ms: number): void {
    p.overloadMs = ms;
  }

  /** Discovery (multicast, DNS) on `p` found these addresses. */
  discover(p: SimProcess, addresses: PeerAddress[]): void {
    this.step(p, (m, now) => m.addSeeds(now, addresses));
  }

  partition(groups: SimProcess[][]): void {
    this.network.partition(groups.map((g) => g.map((p) => p.key)));
  }

  heal(): void {
    this.network.heal();
  }

  running(): SimProcess[] {
    return this.processes.filter((p) => p.status === 'running' && !p.left);
  }

  byIdOrFail(id: string): SimProcess {
    return this.byId.get(id) ?? this.fail(`no process with id ${id}`);
  }

  // ------------------------------------------------------------------ running

  runFor(ms: number): void {
    this.queue.runUntil(this.nowMs + ms);
  }

  /**
   * Runs until `condition` holds (checked every `checkEveryMs` of virtual time); returns the time it
   * took. Fails with `describe()` if it does not hold within `timeoutMs`.
   */
  runUntil(condition: () => boolean, timeoutMs: number, describe: () => string, checkEveryMs = 10): number {
    const start = this.nowMs;
    const deadline = start + timeoutMs;
    while (!condition()) {
      if (this.nowMs >= deadline) this.fail(`not reached within ${timeoutMs} ms: ${describe()}`);
      this.queue.runUntil(Math.min(deadline, this.nowMs + checkEveryMs));
    }
    return this.nowMs - start;
  }

  // ------------------------------------------------------------------ views

  view(p: SimProcess): Map<string, MemberRecord> {
    return new Map(p.machine.members().map((r) => [r.id, r]));
  }

  /** Every one of `observers` sees exactly `expected` alive (and nobody else alive or suspect). */
  converged(expected: SimProcess[] = this.running(), observers: SimProcess[] = expected): boolean {
    const ids = new Set(expected.map((p) => p.id));
    return observers.every((p) => {
      let live = 0;
      let wrong = false;
      p.machine.forEachMember((r) => {
        if (!isLive(r.state)) return;
        if (r.state !== 'alive' || !ids.has(r.id)) wrong = true;
        live++;
      });
      return !wrong && live === ids.size;
    });
  }

  describeViews(): string {
    return this.running()
      .map((p) => {
        const counts: Record<string, number> = {};
        for (const r of p.machine.members()) counts[r.state] = (counts[r.state] ?? 0) + 1;
        return `${p.name}:${JSON.stringify(counts)}`;
      })
      .join(' ');
  }

  /** First time `observer` reported `subject` in `state` (at or after `sinceMs`). */
  firstChange(observer: SimProcess, subject: SimProcess, state: MemberState, sinceMs = 0): ChangeEvent | undefined {
    return this.changes.find((c) => c.observer === observer.id && c.subject === subject.id && c.state === state && c.atMs >= sinceMs);
  }

  /** Ms from `sinceMs` until every one of `observers` had reported `subject` in `state` (undefined if one never did). */
  timeUntilAll(observers: SimProcess[], subject: SimProcess, state: MemberState, sinceMs: number): number | undefined {
    let latest = sinceMs;
    for (const o of observers) {
      const c = this.firstChange(o, subject, state, sinceMs);
      if (!c) return undefined;
      latest = Math.max(latest, c.atMs);
    }
    return latest - sinceMs;
  }

  // ------------------------------------------------------------------ internals

  private nextAddress(): PeerAddress {
    const i = this.hostCounter++;
    return { host: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`, port: 7946 };
  }

  private stop(p: SimProcess, status: ProcessStatus): void {
    if (p.status !== 'running') return;
    p.status = status;
    p.backlog = [];
    if (p.tickEvent) p.tickEvent.cancelled = true;
    p.tickEvent = null;
    if (status === 'silent') return;
    // The kernel closes its sockets: every connected peer on our side of any partition hears it.
    for (const q of this.processes) {
      if (q.status !== 'running' || !q.connections.has(p.id) || !this.network.connected(p.key, q.key)) continue;
      this.queue.after(1 + this.random.float() * 4, () => this.step(q, (m, now) => m.peerDisconnected(now, p.id)));
    }
  }

  /** Runs one input through `p`'s machine, carries out the outputs, checks invariants, re-arms its timer. */
  private step(p: SimProcess, input: (m: Membership, nowMs: number) => MembershipOutput[]): void {
    if (p.status !== 'running') return;
    if (this.nowMs < p.pausedUntilMs) {
      p.backlog.push(() => this.step(p, input));
      return;
    }
    const outputs = input(p.machine, this.nowMs);
    for (const out of outputs) this.carryOut(p, out);
    this.checkInvariants(p);
    this.rearm(p);
  }

  private carryOut(p: SimProcess, out: MembershipOutput): void {
    switch (out.kind) {
      case 'send':
        this.transmit(p, out.to, out.type, out.body);
        break;
      case 'change': {
        const seen = this.mapOf(this.views, p.id);
        let entry = seen.get(out.member.id);
        const before = entry?.reported ?? null;
        if (before !== out.previous) this.fail(`${p.name} reported ${out.member.name} ${out.previous} -> ${out.member.state} but had reported it ${before}`);
        if (before === out.member.state) this.fail(`${p.name} reported a non-change for ${out.member.name} (${before})`);
        if (!entry) seen.set(out.member.id, (entry = { state: undefined, incarnation: 0, reported: null, stamp: 0 }));
        entry.reported = out.member.state;
        this.changes.push({
          atMs: this.nowMs,
          observer: p.id,
          subject: out.member.id,
          previous: out.previous,
          state: out.member.state,
          incarnation: out.member.incarnation,
          reason: out.reason,
        });
        break;
      }
      case 'joined':
        if (p.joinedAtMs !== null) this.fail(`${p.name} reported 'joined' twice`);
        p.joinedAtMs = this.nowMs;
        break;
      case 'warn':
        // Correct members never send each other anything a validator rejects.
        if (!this.allowWarnings) this.fail(`${p.name} warned: ${out.reason}`);
        this.warnings.push({ atMs: this.nowMs, observer: p.id, reason: out.reason });
        break;
    }
  }

  private transmit(from: SimProcess, to: SendTarget, type: number, body: unknown): void {
    from.sent++;
    from.sentByType.set(type, (from.sentByType.get(type) ?? 0) + 1);
    const bytes = pack(body);
    const key = formatAddress(to.address);
    const dest = this.byAddress.get(key);
    if (dest === undefined || dest.status !== 'running') {
      // Nothing listens there: the dial is refused at once — unless the host is gone (silent).
      if (dest?.status !== 'silent') this.queue.after(1, () => this.step(from, (m, now) => m.peerUnreachable(now, to)));
      return;
    }
    for (const delayMs of this.network.fate(from.key, dest.key)) {
      this.queue.after(delayMs + this.random.float() * dest.overloadMs, () => this.deliver(from, to, key, type, bytes));
    }
  }

  private deliver(from: SimProcess, to: SendTarget, key: string, type: number, bytes: Buffer): void {
    const dest = this.byAddress.get(key);
    if (dest === undefined || dest.status !== 'running') {
      if (dest?.status !== 'silent') this.step(from, (m, now) => m.peerUnreachable(now, to));
      return;
    }
    if (to.id !== undefined && to.id !== dest.id) {
      // The handshake shows another member at that address (a restart): the transport refuses.
      this.step(from, (m, now) => m.peerUnreachable(now, to));
      return;
    }
    from.connections.add(dest.id);
    dest.connections.add(from.id);
    this.step(dest, (m, now) => m.receive(now, { id: from.id, address: from.address }, type, unpack(bytes)));
  }

  private rearm(p: SimProcess): void {
    if (p.status !== 'running') return;
    const due = p.machine.nextDeadlineMs();
    if (p.tickEvent && !p.tickEvent.cancelled && due === p.tickDueMs) return;
    if (p.tickEvent) p.tickEvent.cancelled = true;
    p.tickEvent = null;
    p.tickDueMs = due;
    if (!Number.isFinite(due)) return;
    // Under overload, timers fire late (the machine's stall detection sees it).
    const at = Math.max(this.nowMs, due) + this.random.float() * p.overloadMs;
    p.tickEvent = this.queue.schedule(at, () => {
      p.tickEvent = null;
      p.tickDueMs = Infinity;
      this.step(p, (m, now) => m.tick(now));
    });
  }

  private mapOf<V>(outer: Map<string, Map<string, V>>, key: string): Map<string, V> {
    let m = outer.get(key);
    if (!m) outer.set(key, (m = new Map()));
    return m;
  }

  /** Invariants of p's view after each of its steps. */
  private checkInvariants(p: SimProcess): void {
    const stamp = ++this.stepCounter;
    const seen = this.mapOf(this.views, p.id);
    let selfState: MemberState | undefined;
    p.machine.forEachMember((r) => {
      if (r.id === p.id) {
        selfState = r.state;
        const minted = this.mintedIncarnation.get(p.id)!;
        if (r.incarnation < minted) this.fail(`${p.name}'s own incarnation went down ${minted} -> ${r.incarnation}`);
        this.mintedIncarnation.set(p.id, r.incarnation);
      }
      const max = this.mintedIncarnation.get(r.id);
      if (max === undefined) this.fail(`${p.name} sees unknown member id ${r.id}`);
      if (r.incarnation > max) this.fail(`${p.name} sees ${this.nameOf(r.id)} at incarnation ${r.incarnation}; it never went above ${max}`);
      const prev = seen.get(r.id);
      if (prev === undefined) {
        seen.set(r.id, { state: r.state, incarnation: r.incarnation, reported: null, stamp });
        this.fail(`${p.name} sees ${this.nameOf(r.id)} ${r.state} but never reported it`);
      }
      if (prev.reported !== r.state) this.fail(`${p.name} sees ${this.nameOf(r.id)} ${r.state} but reported ${prev.reported}`);
      if (prev.state !== undefined) {
        if (r.incarnation < prev.incarnation) this.fail(`${p.name}: incarnation of ${this.nameOf(r.id)} went down ${prev.incarnation} -> ${r.incarnation}`);
        if (prev.state === 'left' && r.state !== 'left') this.fail(`${p.name}: ${this.nameOf(r.id)} went from left to ${r.state}`);
        if (prev.state === 'dead' && isLive(r.state) && r.incarnation <= prev.incarnation) {
          this.fail(`${p.name}: ${this.nameOf(r.id)} came back from dead (incarnation ${prev.incarnation}) to ${r.state} without a higher incarnation`);
        }
      }
      prev.state = r.state;
      prev.incarnation = r.incarnation;
      prev.stamp = stamp;
    });
    if (selfState === undefined) this.fail(`${p.name} lost its own record`);
    if (selfState !== (p.left ? 'left' : 'alive')) this.fail(`${p.name} sees itself ${selfState}`);
    for (const [id, prev] of seen) {
      if (prev.stamp === stamp) continue;
      // Forgotten (dead/left records expire) — never a live one.
      if (prev.state !== undefined && isLive(prev.state)) this.fail(`${p.name} dropped ${this.nameOf(id)} while it was ${prev.state}`);
      seen.delete(id);
    }
  }

  private nameOf(id: string): string {
    return this.byId.get(id)?.name ?? id;
  }
}
