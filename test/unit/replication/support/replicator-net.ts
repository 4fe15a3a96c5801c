/**
 * A few in-process Replicators wired to each other by hand, for protocol tests that need to
 * decide message by message what arrives: `cut` drops messages between members, `hold` keeps
 * messages matching a filter for later, and the members' views of who is alive are set by the
 * test (no membership machine: this is about replication only; test/sim runs both).
 */
import { SeededRandom } from '../../../../src/clock/clock.js';
import type { MemberRecord, MemberState } from '../../../../src/membership/member.js';
import type { OpResult, SessionOp } from '../../../../src/replication/ops.js';
import type { ReplicationConfig } from '../../../../src/replication/config.js';
import type { ReplicatorOutput } from '../../../../src/replication/outputs.js';
import { Replicator } from '../../../../src/replication/replicator.js';
import type { SessionMeshError } from '../../../../src/errors.js';
import { partitionOf } from '../../../../src/placement/partition.js';

export function member(id: string, startedAtMs: number, state: MemberState = 'alive'): MemberRecord {
  return { id, name: id, address: { host: '127.0.0.1', port: 1 }, httpAddress: null, role: 'member', zone: null, startedAtMs, state, incarnation: 0 };
}

export interface Envelope {
  from: string;
  to: string;
  type: number;
  body: unknown;
}

export type Outcome = { ok: true; result: OpResult } | { ok: false; error: SessionMeshError };

export class ReplicatorNet {
  readonly reps = new Map<string, Replicator>();
  readonly startedAt = new Map<string, number>();
  nowMs = 1000;
  /** Messages not delivered: (from, to) pairs for which `cut` returns true are dropped. */
  cut: (e: Envelope) => boolean = () => false;
  /** Messages for which `hold` returns true are kept in `held` instead of delivered. */
  hold: (e: Envelope) => boolean = () => false;
  readonly held: Envelope[] = [];
  /** Members that are down: they get nothing and their timers do not run. */
  readonly down = new Set<string>();
  readonly outcomes = new Map<string, Outcome>();
  private readonly queue: Envelope[] = [];
  private nextOpId = 1;

  constructor(ids: string[], config: Partial<ReplicationConfig>) {
    ids.forEach((id, i) => {
      this.startedAt.set(id, i + 1);
      this.reps.set(id, new Replicator({ selfId: id, startedAtMs: i + 1, random: new SeededRandom(i + 11), config }));
    });
  }

  rep(id: string): Replicator {
    return this.reps.get(id)!;
  }

  /** Tells `at` that the members in `view` are in these states (others alive). */
  setView(at: string, states: Record<string, MemberState> = {}): void {
    const view = [...this.reps.keys()].map((id) => member(id, this.startedAt.get(id)!, states[id] ?? 'alive'));
    this.take(at, this.rep(at).membershipChanged(this.nowMs, view));
  }

  /** Tells `at` that it knows only `ids` (all alive): the others were forgotten. */
  setViewOf(at: string, ids: string[]): void {
    this.take(at, this.rep(at).membershipChanged(this.nowMs, ids.map((id) => member(id, this.startedAt.get(id)!))));
  }

  /** Submits an op at member `at`; its outcome lands in outcomes under `label`. */
  submit(at: string, label: string, op: SessionOp): void {
    const opId = this.nextOpId++;
    this.labels.set(`${at}/${opId}`, label);
    this.take(at, this.rep(at).submit(this.nowMs, opId, op));
  }

  private readonly labels = new Map<string, string>();

  /** Delivers queued messages and runs timers until `done()` or `maxMs` of virtual time. */
  run(done: () => boolean = () => false, maxMs = 20_000): void {
    const until = this.nowMs + maxMs;
    for (;;) {
      const e = this.queue.shift();
      if (e !== undefined) {
        this.nowMs += 0.5;
        if (this.down.has(e.to) || this.cut(e)) continue;
        if (this.hold(e)) {
          this.held.push(e);
          continue;
        }
        const to = this.reps.get(e.to);
        if (to !== undefined) this.take(e.to, to.receive(this.nowMs, e.from, e.type, e.body));
        continue;
      }
      if (done() || this.nowMs >= until) return;
      const next = Math.min(...[...this.reps].filter(([id]) => !this.down.has(id)).map(([, r]) => r.nextDeadlineMs()));
      this.nowMs = Math.min(until, Math.max(this.nowMs + 1, next));
      for (const [id, r] of this.reps) if (!this.down.has(id)) this.take(id, r.tick(this.nowMs));
    }
  }

  /** Delivers the held messages (in order), e.g. when a paused member resumes. */
  release(filter: (e: Envelope) => boolean = () => true): void {
    const keep: Envelope[] = [];
    for (const e of this.held.splice(0)) (filter(e) ? this.queue : keep).push(e);
    this.held.push(...keep);
  }

  /** Every member agrees on one table whose rows are full and at their target. */
  settled(copies: number): boolean {
    const up = [...this.reps].filter(([id]) => !this.down.has(id)).map(([, r]) => r.currentTable());
    const t = up[0];
    if (t === null || t === undefined) return false;
    return up.every((u) => u?.epoch === t.epoch && u.coordinatorId === t.coordinatorId) && t.owners.every((row, i) => row.length === copies && row.join() === t.target[i]!.join());
  }

  /** A session id whose partition's owners (in `at`'s table) are exactly `owners`, in order. */
  idOwnedBy(at: string, owners: string[]): string {
    const t = this.rep(at).currentTable()!;
    for (let i = 0; i < 100_000; i++) {
      const id = `sess-${String(i).padStart(18, '0')}`;
      if (t.owners[partitionOf(id, t.partitions)]!.join() === owners.join()) return id;
    }
    throw new Error(`no partition owned by ${owners.join()}`);
  }

  private take(from: string, outs: ReplicatorOutput[]): void {
    for (const o of outs) {
      if (o.type === 'send') this.queue.push({ from, to: o.to, type: o.messageType, body: structuredClone(o.body) });
      else if (o.type === 'complete') {
        const label = this.labels.get(`${from}/${o.opId}`);
        if (label !== undefined) this.outcomes.set(label, 'error' in o ? { ok: false, error: o.error } : { ok: true, result: o.result });
      }
    }
  }
}
