/**
 * The clients of a scenario and the history they record (test/helpers/consistency/history.ts).
 * Each client has one operation in flight, sends each one to a member picked at random (like a
 * load balancer that sees every member), and waits a short random think time between operations
 * (2 cores run five members and the clients: a closed loop at full speed would starve the members'
 * failure detectors and measure the machine, not the store).
 *
 * Workloads, on sessions created before any fault (each workload has its own sessions):
 *   add   — set a fresh unique attribute; some acknowledged ones are deleted again (del); some reads.
 *   incr  — read-modify-write counter: GET, then PATCH {set:{n:n+1}, ifVersion}.
 *   mixed — both of the above on the same sessions.
 */
import { SeededRandom } from '../../src/clock/clock.js';
import type { HistoryOp, OpKind } from '../helpers/consistency/history.js';
import { api } from '../helpers/session-client.js';
import { classifyAnswer, classifyThrown } from './op-outcome.js';
import type { WorkloadName } from './scenario-types.js';
import { sleep } from './shell.js';

/** Above the members' opTimeoutMs (5 s): a slow answer is the store's to give, not ours to cut. */
const CLIENT_TIMEOUT_MS = 8000;
const MAX_OPS_PER_CLIENT = 50_000;
const THINK_MIN_MS = 10;
const THINK_SPREAD_MS = 30;
const DEL_SHARE = 0.15;
const READ_SHARE = 0.15;
const CREATE_TIMEOUT_MS = 30_000;
/** The checker assumes workload sessions never idle-expire during a run. */
const SESSION_MAX_IDLE_MS = 24 * 3600_000;

export interface Target {
  name: string;
  http: string;
}

interface PendingDelete {
  session: string;
  key: string;
}

export class Workload {
  readonly history: HistoryOp[] = [];
  readonly sessionsByWorkload: Partial<Record<WorkloadName, string[]>> = {};
  /** Harness failures (a client loop that threw): reported, and they fail the run. */
  readonly problems: string[] = [];
  private nextIndex = 0;
  private stopping = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly targets: readonly Target[],
    private readonly rng: SeededRandom,
    /** Ms on the scenario's clock. */
    private readonly now: () => number,
  ) {}

  /** One operation on a seeded random member, recorded in the history. */
  private async op(client: string, kind: OpKind, session: string, extra: Partial<HistoryOp>, method: string, path: string, body: unknown, rng: SeededRandom): Promise<HistoryOp> {
    const target = this.targets[rng.int(this.targets.length)]!;
    const { op } = await this.send(target, client, kind, session, extra, method, path, body);
    this.history.push(op);
    return op;
  }

  /** Sends one operation and builds its history entry (not recorded yet); also returns the answer's body. */
  private async send(target: Target, client: string, kind: OpKind, session: string, extra: Partial<HistoryOp>, method: string, path: string, body: unknown): Promise<{ op: HistoryOp; body: any }> {
    const index = this.nextIndex++;
    const invokeMs = this.now();
    const base = { index, client, member: target.name, kind, session, ...extra, invokeMs };
    try {
      const a = await api({ http: target.http }, method, path, body, CLIENT_TIMEOUT_MS);
      // A read answered 404 saw no session: ok with read null (history.ts), a definite observation.
      const c = kind === 'read' && a.status === 404 ? { outcome: 'ok' as const } : classifyAnswer(a.status, a.body);
      const op: HistoryOp = { ...base, completeMs: this.now(), outcome: c.outcome, ...(c.error ? { error: c.error } : {}) };
      if (c.outcome === 'ok') {
        if (kind === 'read') {
          if (a.status === 404) op.read = null;
          else {
            const data = (a.body?.data ?? {}) as Record<string, unknown>;
            op.read = { n: typeof data.n === 'number' ? data.n : 0, keys: Object.keys(data).filter((k) => k !== 'n').sort() };
            op.version = a.body?.version as number;
          }
        } else if (typeof a.body?.version === 'number') op.version = a.body.version as number;
      }
      return { op, body: a.body };
    } catch (err) {
      const c = classifyThrown(err);
      return { op: { ...base, completeMs: this.now(), outcome: c.outcome, ...(c.error ? { error: c.error } : {}) }, body: null };
    }
  }

  /**
   * Creates `count` sessions for each workload, on the settled cluster before any fault. Only
   * acknowledged creates enter the history: one without an answer has no session id to attach
   * its final reads to. Every other outcome is a problem of the run (nothing was broken yet).
   */
  async createSessions(workloads: readonly WorkloadName[], count: number): Promise<void> {
    const rng = this.rng.fork();
    const deadline = this.now() + CREATE_TIMEOUT_MS;
    for (const w of workloads) {
      const ids: string[] = [];
      while (ids.length < count) {
        if (this.now() > deadline) throw new Error(`could not create ${count} sessions for ${w} within ${CREATE_TIMEOUT_MS} ms`);
        const target = this.targets[rng.int(this.targets.length)]!;
        const { op, body } = await this.send(target, 'setup', 'create', '', {}, 'POST', '/v1/sessions', { data: {}, maxIdleMs: SESSION_MAX_IDLE_MS });
        if (op.outcome === 'ok' && typeof body?.id === 'string') {
          op.session = body.id as string;
          this.history.push(op);
          ids.push(body.id as string);
        } else {
          this.problems.push(`create on ${target.name} before any fault ended ${op.outcome} ${op.error ?? ''}`);
          await sleep(100);
        }
      }
      this.sessionsByWorkload[w] = ids;
    }
  }

  /** Starts `clients` clients, spread round-robin over the workloads. */
  start(workloads: readonly WorkloadName[], clients: number): void {
    for (let i = 0; i < clients; i++) {
      const w = workloads[i % workloads.length]!;
      const name = `c${i + 1}-${w}`;
      // One stream per client: a client's choices do not depend on how fast the others went.
      const rng = this.rng.fork();
      // Kept, not thrown: a rejection nobody awaits yet would crash the scenario process.
      this.loops.push(this.client(name, w, rng).catch((err: unknown) => void this.problems.push(`client ${name} failed: ${(err as Error).message}`)));
    }
  }

  /** Lets every client finish its operation in flight, then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  private async client(name: string, w: WorkloadName, rng: SeededRandom): Promise<void> {
    const sessions = this.sessionsByWorkload[w]!;
    const deletable: PendingDelete[] = [];
    let seq = 0;
    for (let n = 0; n < MAX_OPS_PER_CLIENT && !this.stopping; n++) {
      const session = sessions[rng.int(sessions.length)]!;
      const useIncr = w === 'incr' || (w === 'mixed' && rng.float() < 0.5);
      if (useIncr) await this.incr(name, session, rng);
      else {
        const r = rng.float();
        if (r < DEL_SHARE && deletable.length > 0) {
          const d = deletable.splice(rng.int(deletable.length), 1)[0]!;
          await this.op(name, 'del', d.session, { key: d.key }, 'PATCH', `/v1/sessions/${d.session}`, { delete: [d.key] }, rng);
        } else if (r < DEL_SHARE + READ_SHARE) {
          await this.op(name, 'read', session, {}, 'GET', `/v1/sessions/${session}`, undefined, rng);
        } else {
          const key = `${name}-${++seq}`;
          const op = await this.op(name, 'add', session, { key }, 'PATCH', `/v1/sessions/${session}`, { set: { [key]: 1 } }, rng);
          // Only acknowledged adds are deleted later: the check "an acked delete stays deleted"
          // is then about a key that certainly existed.
          if (op.outcome === 'ok') deletable.push({ session, key });
        }
      }
      await sleep(THINK_MIN_MS + rng.int(THINK_SPREAD_MS));
    }
  }

  private async incr(client: string, session: string, rng: SeededRandom): Promise<void> {
    const read = await this.op(client, 'read', session, {}, 'GET', `/v1/sessions/${session}`, undefined, rng);
    if (read.outcome !== 'ok' || !read.read || read.version === undefined) return;
    const value = read.read.n + 1;
    await this.op(client, 'incr', session, { ifVersion: read.version, value }, 'PATCH', `/v1/sessions/${session}`, { set: { n: value }, ifVersion: read.version }, rng);
  }

  /** After the faults stopped and the cluster settled: every session read on every given member. */
  async finalReads(on: readonly Target[]): Promise<void> {
    const all = Object.values(this.sessionsByWorkload).flat();
    for (const session of all) {
      for (const target of on) {
        const { op } = await this.send(target, 'final', 'read', session, {}, 'GET', `/v1/sessions/${session}`, undefined);
        this.history.push({ ...op, final: true });
      }
    }
  }
}
