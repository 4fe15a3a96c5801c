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
import type { ReplCluster, ReplProcess, OpOutcome } from './replication-cluster.js';

const ATTRS = ['a', 'b', 'c'] as const;
const COOL_DOWN_MS = 200;

interface ModelSession {
  id: string;
  possible: Map<string, Set<unknown>>;
  /** live: create acked, no destroy attempted; maybe: a destroy failed; destroyed: a destroy acked. */
  state: 'live' | 'maybe' | 'destroyed';
  busyUntilMs: number;
}

export class Workload {
  readonly sessions: ModelSession[] = [];
  acked = 0;
  failed = 0;
  checkedReads = 0;
  splitMode = false;
  private value = 0;
  private creating = 0;

  constructor(
    private readonly c: ReplCluster,
    private readonly maxSessions = 40,
  ) {}

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

  private create(via: ReplProcess): void {
    const v = this.value++;
    this.creating++;
    this.c.submit(via, { kind: 'create', data: { a: v } }, (o) => {
      this.creating--;
      if (!o.ok) return void this.failed++;
      if (o.result.kind !== 'create') throw new Error('create returned ' + o.result.kind);
      this.acked++;
      const possible = new Map<string, Set<unknown>>(ATTRS.map((k) => [k, new Set<unknown>([undefined])]));
      possible.set('a', new Set([v]));
      this.sessions.push({ id: o.result.id, possible, state: 'live', busyUntilMs: 0 });
    });
  }

  private update(via: ReplProcess, s: ModelSession): void {
    const k = ATTRS[this.c.random.int(ATTRS.length)]!;
    const v = this.value++;
    this.busy(s);
    this.c.submit(via, { kind: 'update', id: s.id, update: { set: { [k]: v } } }, (o) => {
      this.done(s, o);
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

  private get(via: ReplProcess, s: ModelSession): void {
    this.busy(s);
    this.c.submit(via, { kind: 'get', id: s.id }, (o) => {
      this.done(s, o);
      if (!o.ok || o.result.kind !== 'get') return;
      this.checkedReads++;
      const found = o.result.session;
      if (s.state === 'destroyed' && found !== null) throw new Error(`destroyed session ${s.id} came back: ${JSON.stringify(found)}`);
      if (found === null) {
        if (s.state === 'live' && !this.splitMode) throw new Error(`acknowledged session ${s.id} not readable`);
        return;
      }
      this.checkData(s, found.data, 'get');
    });
  }

  private touch(via: ReplProcess, s: ModelSession): void {
    this.busy(s);
    this.c.submit(via, { kind: 'touch', id: s.id }, (o) => this.done(s, o));
  }

  private destroy(via: ReplProcess, s: ModelSession): void {
    this.busy(s);
    this.c.submit(via, { kind: 'destroy', id: s.id }, (o) => {
      this.done(s, o);
      s.state = o.ok ? 'destroyed' : 'maybe';
    });
  }

  private busy(s: ModelSession): void {
    s.busyUntilMs = Infinity;
  }

  private done(s: ModelSession, o: OpOutcome): void {
    s.busyUntilMs = this.c.nowMs + (o.ok ? 0 : COOL_DOWN_MS);
    if (o.ok) this.acked++;
    else this.failed++;
  }

  checkData(s: ModelSession, data: Record<string, unknown>, where: string): void {
    for (const k of ATTRS) {
      const set = s.possible.get(k)!;
      if (!set.has(data[k])) throw new Error(`${where}: session ${s.id} attribute ${k} = ${String(data[k])}, expected one of ${[...set].map(String).join(',')}`);
    }
  }
}
