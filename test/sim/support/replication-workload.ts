/**
 * A random client workload with a model of what each session may contain, and the checks
 * against it. Ops on one session are sequential (one at a time, like one browser), with a
 * cool-down after a failed op so an ambiguous write has landed or never will before the next.
 *
 * Model per attribute: the set of values it may hold. An acknowledged write replaces the set
 * with its value (it supersedes everything before it); a failed write adds its value (it may
 * or may not have been applied). During a network split every write only adds (both sides'
 * writes are concurrent; the heal picks one by LWW).
 */
import type { Random } from '../../../src/clock/clock.js';
import type { SessionOp } from '../../../src/replication/ops.js';
import type { ReplProcess, OpOutcome } from './replication-cluster.js';

/** What the workload needs of a simulated cluster (ReplCluster with an oracle, MeshCluster with real membership). */
export interface WorkloadHost<P extends { id: string }> {
  readonly random: Random;
  readonly nowMs: number;
  /** Members clients may send ops through. */
  up(): P[];
  submit(via: P, op: SessionOp, done: (o: OpOutcome) => void): void;
}

/** One finished client op, for tests that check outcomes per member or per time. */
export interface OpRecord<P extends { id: string } = ReplProcess> {
  kind: 'create' | 'update' | 'get' | 'touch' | 'destroy';
  via: P;
  submittedAtMs: number;
  outcome: OpOutcome;
}

const ATTRS = ['a', 'b', 'c'] as const;
const COOL_DOWN_MS = 200;

export interface ModelSession {
  id: string;
  possible: Map<string, Set<unknown>>;
  /** live: create acked, no destroy attempted; maybe: a destroy failed; destroyed: a destroy acked. */
  state: 'live' | 'maybe' | 'destroyed';
  busyUntilMs: number;
  submittedAtMs: number;
}

export class Workload<P extends { id: string } = ReplProcess> {
  readonly sessions: ModelSession[] = [];
  acked = 0;
  failed = 0;
  /** The first failures, for messages: "kind via member at ms: code". */
  readonly failures: string[] = [];
  checkedReads = 0;
  splitMode = false;
  /** Called with every finished op. */
  observe: ((r: OpRecord<P>) => void) | null = null;
  /** Reads through these members are not checked against the model (e.g. a minority serving stale reads). */
  readonly uncheckedVia = new Set<string>();
  private value = 0;
  private creating = 0;

  constructor(
    private readonly c: WorkloadHost<P>,
    private readonly maxSessions = 40,
  ) {}

  /**
   * A load function for the cluster's run loops: called on every simulated step, it issues one op
   * every minGapMs + random(spreadMs) ms of simulated time.
   */
  steady(minGapMs: number, spreadMs: number): () => void {
    let nextOpMs = this.c.nowMs;
    return () => {
      while (this.c.nowMs >= nextOpMs) {
        nextOpMs += minGapMs + this.c.random.int(spreadMs);
        this.step();
      }
    };
  }

  /** Issues one random op through a random up member. */
  step(): void {
    const ups = this.c.up();
    if (ups.length === 0) return;
    const via = ups[this.c.random.int(ups.length)]!;
    const r = this.c.random.float();
    const idle = this.sessions.filter((s) => s.state !== 'destroyed' && s.busyUntilMs <= this.c.nowMs);
    if ((r < 0.15 || idle.length === 0) && this.sessions.length + this.creating < this.maxSessions) return this.create(via);
    if (idle.length === 0) return;
    const s = idle[this.c.random.int(idle.length)]!;
    if (r < 0.6) this.update(via, s);
    else if (r < 0.85) this.get(via, s);
    else if (r < 0.95) this.touch(via, s);
    else this.destroy(via, s);
  }

  private create(via: P): void {
    const v = this.value++;
    this.creating++;
    const at = this.c.nowMs;
    this.c.submit(via, { kind: 'create', data: { a: v } }, (o) => {
      this.creating--;
      this.observe?.({ kind: 'create', via, submittedAtMs: at, outcome: o });
      if (!o.ok) return this.noteFailure('create', via, o);
      if (o.result.kind !== 'create') throw new Error('create returned ' + o.result.kind);
      this.acked++;
      const possible = new Map<string, Set<unknown>>(ATTRS.map((k) => [k, new Set<unknown>([undefined])]));
      possible.set('a', new Set([v]));
      this.sessions.push({ id: o.result.id, possible, state: 'live', busyUntilMs: 0, submittedAtMs: 0 });
    });
  }

  private update(via: P, s: ModelSession): void {
    const k = ATTRS[this.c.random.int(ATTRS.length)]!;
    const v = this.value++;
    this.busy(s);
    this.c.submit(via, { kind: 'update', id: s.id, update: { set: { [k]: v } } }, (o) => {
      this.done(s, o, 'update', via);
      const set = s.possible.get(k)!;
      if (o.ok) {
        if (!this.splitMode) set.clear();
        set.add(v);
      } else {
        set.add(v);
        if (o.error.code === 'ERR_NOT_FOUND' && s.state === 'live' && !this.splitMode) throw new Error(`acknowledged session ${s.id} not found on update`);
      }
    });
  }

  private get(via: P, s: ModelSession): void {
    this.busy(s);
    const unchecked = this.uncheckedVia.has(via.id);
    this.c.submit(via, { kind: 'get', id: s.id }, (o) => {
      this.done(s, o, 'get', via);
      if (!o.ok || o.result.kind !== 'get' || unchecked) return;
      this.checkedReads++;
      const found = o.result.session;
      if (s.state === 'destroyed' && found !== null) throw new Error(`destroyed session ${s.id} came back: ${JSON.stringify(found)}`);
      if (found === null) {
        if (s.state === 'live' && !this.splitMode) throw new Error(`acknowledged session ${s.id} not readable`);
        return;
      }
      this.checkData(s, found.data, `get via ${via.id} at ${Math.round(this.c.nowMs)} ms`);
    });
  }

  private touch(via: P, s: ModelSession): void {
    this.busy(s);
    this.c.submit(via, { kind: 'touch', id: s.id }, (o) => this.done(s, o, 'touch', via));
  }

  private destroy(via: P, s: ModelSession): void {
    this.busy(s);
    this.c.submit(via, { kind: 'destroy', id: s.id }, (o) => {
      this.done(s, o, 'destroy', via);
      s.state = o.ok ? 'destroyed' : 'maybe';
    });
  }

  private busy(s: ModelSession): void {
    s.busyUntilMs = Infinity;
    s.submittedAtMs = this.c.nowMs;
  }

  private done(s: ModelSession, o: OpOutcome, kind: OpRecord<P>['kind'], via: P): void {
    this.observe?.({ kind, via, submittedAtMs: s.submittedAtMs, outcome: o });
    s.busyUntilMs = this.c.nowMs + (o.ok ? 0 : COOL_DOWN_MS);
    if (o.ok) this.acked++;
    else this.noteFailure(kind, via, o, s.id);
  }

  private noteFailure(kind: string, via: P, o: OpOutcome, id = ''): void {
    this.failed++;
    if (!o.ok && this.failures.length < 10) this.failures.push(`${kind} ${id} via ${via.id} at ${Math.round(this.c.nowMs)} ms: ${o.error.code}`);
  }

  checkData(s: ModelSession, data: Record<string, unknown>, where: string): void {
    for (const k of ATTRS) {
      const set = s.possible.get(k)!;
      if (!set.has(data[k])) throw new Error(`${where}: session ${s.id} attribute ${k} = ${String(data[k])}, expected one of ${[...set].map(String).join(',')}`);
    }
  }
}
