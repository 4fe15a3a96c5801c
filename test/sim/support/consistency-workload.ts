/**
 * The consistency workload of the simulator, recorded as a history (test/helpers/consistency/
 * history.ts) for THE checker. Clients submit exactly the ops the library API submits
 * (Replicator.submit with create / get / update / destroy, see src/node/session-service.ts):
 *   - create:  { kind: 'create', id, data: {} } with an id the client draws (as
 *              `sessions.create({ id })` does), so a refused create can be checked too;
 *   - read:    { kind: 'get', id };
 *   - add:     update { set: { [key]: 1 } } with a key unique in the run;
 *   - del:     update { delete: [key] } of a key whose add was acknowledged (sometimes right
 *              after that add: a delete racing a stale copy of it is what brings deletes back);
 *   - incr:    a read, then update { set: { n: n + 1 } } with ifVersion = the version read;
 *   - destroy: { kind: 'destroy', id }, rarely.
 * Each client has at most one op in flight and sends it through a random member that a load
 * balancer would use (running and joined; a paused one included: the request then waits).
 * Outcomes: ok; ERR_NOT_FOUND, ERR_VERSION_CONFLICT, ERR_NO_QUORUM, ERR_INVALID_VALUE,
 * ERR_UNAVAILABLE → fail (definite); ERR_TIMEOUT, ERR_CLOSED and anything else → info.
 */
import type { Random } from '../../../src/clock/clock.js';
import type { SessionOp } from '../../../src/replication/ops.js';
import { newSessionId } from '../../../src/session/id.js';
import type { HistoryOp, OpKind, Outcome } from '../../helpers/consistency/history.js';
import type { OpOutcome } from './replication-cluster.js';

/** Definite refusals: the op did not and will not take effect. */
const DEFINITE = new Set(['ERR_NOT_FOUND', 'ERR_VERSION_CONFLICT', 'ERR_NO_QUORUM', 'ERR_INVALID_VALUE', 'ERR_UNAVAILABLE']);
/** Sessions outlive any run: none may idle-expire (the checker assumes so). */
const SESSION_MAX_IDLE_MS = 3_600_000;
/** Attribute keys the adds write start with this; `n` is the counter. */
const KEY_PREFIX = 'k';

export interface ConsistencyHost<P extends { name: string }> {
  readonly random: Random;
  readonly nowMs: number;
  up(): P[];
  submit(via: P, op: SessionOp, done: (o: OpOutcome) => void): void;
}

export interface ConsistencyWorkloadOptions {
  sessions: number;
  clients: number;
  /** Pause between a client's ops: minThinkMs + random(spreadThinkMs). */
  minThinkMs: number;
  spreadThinkMs: number;
}

interface Client {
  name: string;
  busy: boolean;
  nextMs: number;
  /**
   * The second half of a two-op step (the PATCH of an incr, a delete right after its add), issued
   * by the next step() rather than from inside the completion: completions arrive while the
   * cluster is still handling the member's outputs, and the library resolves promises only after.
   */
  then: (() => void) | null;
}

interface SessionState {
  id: string;
  created: boolean;
  destroyed: boolean;
  /** Keys whose add was acknowledged and that no del was sent for yet. */
  deletable: string[];
}

export function outcomeOf(o: OpOutcome): { outcome: Outcome; error?: string } {
  if (o.ok) return { outcome: 'ok' };
  return { outcome: DEFINITE.has(o.error.code) ? 'fail' : 'info', error: o.error.code };
}

export class ConsistencyWorkload<P extends { name: string }> {
  readonly history: HistoryOp[] = [];
  private readonly clients: Client[] = [];
  private readonly sessions: SessionState[] = [];
  private nextKey = 0;
  private running = false;
  private inFlight = 0;

  constructor(
    private readonly c: ConsistencyHost<P>,
    private readonly o: ConsistencyWorkloadOptions,
  ) {
    for (let i = 0; i < o.clients; i++) this.clients.push({ name: `c${i}`, busy: false, nextMs: 0, then: null });
  }

  /** The workload's session ids (after start()). */
  sessionIds(): string[] {
    return this.sessions.map((s) => s.id);
  }

  /** Ops not yet completed. */
  get pending(): number {
    return this.inFlight;
  }

  /** Creates the sessions (one op each, spread over the clients) and starts the clients. */
  start(): void {
    this.running = true;
    for (let i = 0; i < this.o.sessions; i++) this.sessions.push({ id: newSessionId(this.c.random), created: false, destroyed: false, deletable: [] });
    this.clients.forEach((cl) => (cl.nextMs = this.c.nowMs));
  }

  /** Clients issue no new ops (those in flight still complete). */
  stop(): void {
    this.running = false;
  }

  /** The load function for the cluster's run loop: each idle client whose think time passed issues its next op. */
  readonly step = (): void => {
    if (!this.running) return;
    for (const cl of this.clients) {
      if (cl.busy) continue;
      const then = cl.then;
      cl.then = null;
      if (then !== null) then();
      else if (this.c.nowMs >= cl.nextMs) this.next(cl);
    }
  };

  /** One final read of every session (after the faults stopped and the cluster settled). */
  finalReads(): void {
    for (const s of this.sessions) {
      const via = this.pick();
      if (via === undefined) throw new Error('final reads: no member is up');
      this.read({ name: 'final', busy: true, nextMs: 0, then: null }, via, s, true, () => {});
    }
  }

  private pick(): P | undefined {
    const ups = this.c.up();
    return ups.length === 0 ? undefined : ups[this.c.random.int(ups.length)];
  }

  private next(cl: Client): void {
    const via = this.pick();
    if (via === undefined) return;
    const uncreated = this.sessions.find((s) => !s.created);
    if (uncreated !== undefined) {
      uncreated.created = true;
      return this.create(cl, via, uncreated);
    }
    const live = this.sessions.filter((s) => !s.destroyed);
    if (live.length === 0) return;
    const s = live[this.c.random.int(live.length)]!;
    const r = this.c.random.float();
    if (r < 0.3) this.add(cl, via, s);
    else if (r < 0.45 && s.deletable.length > 0) this.del(cl, via, s, s.deletable.splice(this.c.random.int(s.deletable.length), 1)[0]!);
    else if (r < 0.8) this.incr(cl, via, s);
    else if (r < 0.995 || live.length <= 2) this.read(cl, via, s, false, () => {});
    else this.destroy(cl, via, s);
  }

  /** Submits op and records it; `after` gets the outcome once it is recorded. */
  private run(cl: Client, via: P, fields: { kind: OpKind; session: string; key?: string; ifVersion?: number; value?: number; final?: boolean }, op: SessionOp, after: (o: OpOutcome, h: HistoryOp) => void): void {
    cl.busy = true;
    this.inFlight++;
    const invokeMs = this.c.nowMs;
    this.c.submit(via, op, (o) => {
      this.inFlight--;
      const h: HistoryOp = { index: this.history.length, client: cl.name, member: via.name, ...fields, invokeMs, completeMs: this.c.nowMs, ...outcomeOf(o) };
      if (o.ok) {
        const res = o.result;
        if (res.kind === 'create' || res.kind === 'update') h.version = res.version;
        if (res.kind === 'get') {
          h.read = res.session === null ? null : { n: typeof res.session.data.n === 'number' ? res.session.data.n : 0, keys: Object.keys(res.session.data).filter((k) => k.startsWith(KEY_PREFIX)) };
          if (res.session !== null) h.version = res.session.version;
        }
      }
      this.history.push(h);
      after(o, h);
    });
  }

  private done(cl: Client): void {
    cl.busy = false;
    cl.nextMs = this.c.nowMs + this.o.minThinkMs + this.c.random.int(this.o.spreadThinkMs);
  }

  private create(cl: Client, via: P, s: SessionState): void {
    this.run(cl, via, { kind: 'create', session: s.id }, { kind: 'create', id: s.id, data: {}, maxIdleMs: SESSION_MAX_IDLE_MS }, () => this.done(cl));
  }

  private read(cl: Client, via: P, s: SessionState, final: boolean, then: (h: HistoryOp) => void): void {
    this.run(cl, via, final ? { kind: 'read', session: s.id, final: true } : { kind: 'read', session: s.id }, { kind: 'get', id: s.id }, (_o, h) => {
      if (!final) this.done(cl);
      then(h);
    });
  }

  private add(cl: Client, via: P, s: SessionState): void {
    const key = `${KEY_PREFIX}${this.nextKey++}`;
    this.run(cl, via, { kind: 'add', session: s.id, key }, { kind: 'update', id: s.id, update: { set: { [key]: 1 } } }, (o) => {
      this.done(cl);
      if (!o.ok) return;
      // Often delete it at once: a delete that races a stale copy of the add is what resurrects.
      if (this.c.random.float() < 0.3) cl.then = () => this.del(cl, this.pick() ?? via, s, key);
      else s.deletable.push(key);
    });
  }

  private del(cl: Client, via: P, s: SessionState, key: string): void {
    this.run(cl, via, { kind: 'del', session: s.id, key }, { kind: 'update', id: s.id, update: { delete: [key] } }, () => this.done(cl));
  }

  private incr(cl: Client, via: P, s: SessionState): void {
    // The read is an op of its own (busy stays set between the two).
    this.read(cl, via, s, false, (h) => {
      if (h.outcome !== 'ok' || h.read === null || h.read === undefined) return;
      const value = h.read.n + 1;
      const ifVersion = h.version!;
      // Through the same member, as a browser on a sticky connection, unless it is gone.
      cl.then = () => this.run(cl, this.c.up().includes(via) ? via : (this.pick() ?? via), { kind: 'incr', session: s.id, ifVersion, value }, { kind: 'update', id: s.id, update: { set: { n: value } }, ifVersion }, () => this.done(cl));
    });
  }

  private destroy(cl: Client, via: P, s: SessionState): void {
    s.destroyed = true;
    this.run(cl, via, { kind: 'destroy', session: s.id }, { kind: 'destroy', id: s.id }, () => this.done(cl));
  }
}
