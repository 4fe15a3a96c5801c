/**
 * Graceful leave on real processes, under load: 3 members (replicas 2) serve 30 virtual clients
 * through the HTTP session API while one member gets SIGTERM.
 *
 * The clients reach the members the way they would behind a load balancer: each client has a
 * home member; a health checker polls every member's /healthz every HEALTH_INTERVAL_MS (like
 * HAProxy's `inter`) and a member leaves the rotation when it answers 503, or when it cannot be
 * reached twice in a row (`fall 2`: one slow check on a busy machine is not a verdict); a
 * connection that is refused (nothing was sent) is retried on another member (HAProxy `redispatch`).
 * The members run with `--drain-ms` covering that detection time, as the docs tell operators to.
 * Nothing else is retried: each client increments its own session's counter by read-then-PATCH
 * with ifVersion and retries only after a 409 version conflict, as a real client would.
 *
 * Checked: not one request failed (no 5xx, no network error, no ERR_* but the 409 conflicts), each
 * final counter equals the increments its client saw acknowledged, the stopped member served
 * requests while it handed off, reported the hand-off complete and exited 0 within the bound, and
 * the survivors hold 2 copies of every session, with no table listing the member that left.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getStatus, startMember, stopAll, waitFor, type MemberProcess } from '../helpers/cluster.js';
import { TEST_API_TOKEN } from '../helpers/session-client.js';

const CLIENTS = 30;
const REPLICAS = 2;
const HEALTH_INTERVAL_MS = 500;
const HEALTH_TIMEOUT_MS = 2_000;
/** Detection time of the model balancer: a 503 is acted on at the next check. */
const DRAIN_MS = 2 * HEALTH_INTERVAL_MS;
const LEAVE_TIMEOUT_MS = 10_000;
const OP_TIMEOUT_MS = 5_000;
/** The stopping member must exit within its hand-off bound plus the HTTP drain bound (+ slack). */
const EXIT_BOUND_MS = Math.max(LEAVE_TIMEOUT_MS, DRAIN_MS) + OP_TIMEOUT_MS + 2_000;
/** Load goes on this long after the stopped member exited (the survivors keep serving). */
const AFTER_EXIT_MS = 1_000;
/** Workload bounds: per-client increments and total time. */
const MAX_INCREMENTS_PER_CLIENT = 3_000;
const MAX_WORKLOAD_MS = 45_000;
const REQUEST_TIMEOUT_MS = OP_TIMEOUT_MS + 3_000;

interface Answer {
  status: number;
  body: any;
}

/** The load balancer model: health-checked rotation, redispatch of refused connections. */
class Balancer {
  readonly up: boolean[];
  private readonly failedChecks: number[];
  private stopped = false;
  private readonly loops: Promise<void>[];

  constructor(readonly members: MemberProcess[]) {
    this.up = members.map(() => true);
    this.failedChecks = members.map(() => 0);
    // One check loop per member, like a balancer's: a slow check of one does not delay the others.
    this.loops = members.map((m, i) => this.run(m, i));
  }

  private async run(m: MemberProcess, i: number): Promise<void> {
    while (!this.stopped) {
      const started = performance.now();
      try {
        const res = await fetch(`http://${m.http}/healthz`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
        await res.arrayBuffer();
        this.up[i] = res.status === 200;
        this.failedChecks[i] = 0;
      } catch {
        if (++this.failedChecks[i]! >= 2) this.up[i] = false;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, HEALTH_INTERVAL_MS - (performance.now() - started))));
    }
  }

  /** The client's home member if it is in rotation, else the next one that is. */
  pick(home: number): number {
    for (let k = 0; k < this.members.length; k++) {
      const i = (home + k) % this.members.length;
      if (this.up[i]) return i;
    }
    throw new Error('no member in rotation');
  }

  /** One request; a refused connection takes that member out of rotation and goes to another one. */
  async request(home: number, method: string, path: string, body?: unknown): Promise<Answer & { member: number; redispatched: number }> {
    let redispatched = 0;
    for (;;) {
      const i = this.pick(home);
      try {
        const res = await fetch(`http://${this.members[i]!.http}${path}`, {
          method,
          headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : null, member: i, redispatched };
      } catch (err) {
        // Refused: the request never reached the member, so sending it elsewhere is safe. Any
        // other error (reset, timeout) may have reached it: that is a failed request.
        if ((err as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED' || redispatched >= this.members.length) {
          throw new Error(`${method} ${path} via ${this.members[i]!.name} (in rotation: ${String(this.up[i])}): ${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? '')}`);
        }
        this.up[i] = false;
        redispatched++;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}

async function startCluster(prefix: string, all: MemberProcess[]): Promise<MemberProcess[]> {
  const args = ['--replicas', String(REPLICAS), '--api-token', TEST_API_TOKEN, '--leave-timeout-ms', String(LEAVE_TIMEOUT_MS), '--drain-ms', String(DRAIN_MS), '--op-timeout-ms', String(OP_TIMEOUT_MS)];
  const first = await startMember({ name: `${prefix}1`, extraArgs: args });
  all.push(first);
  const rest = await Promise.all([2, 3].map((n) => startMember({ name: `${prefix}${n}`, seeds: [first.peer], extraArgs: args }).then((m) => (all.push(m), m))));
  const members = [first, ...rest];
  await waitFor('3 members alive with a settled partition table', 15_000, async () => {
    const all = await Promise.all(members.map((m) => getStatus(m)));
    return all.every((s) => s.members.filter((x) => x.state === 'alive').length === 3 && s.partitions !== null && s.partitions.owners.every((row) => row.length === REPLICAS));
  }, 100);
  return members;
}

interface Client {
  home: number;
  id: string;
  acked: number;
  conflicts: number;
  /** The last steps (read and write answers), printed when the final check fails. */
  history: string[];
}

async function gracefulLeaveUnderLoad(prefix: string, victimIndex: number, all: MemberProcess[]): Promise<void> {
  const members = await startCluster(prefix, all);
  const victim = members[victimIndex]!;
  const lb = new Balancer(members);
  const failures: string[] = [];
  let redispatched = 0;
  let sigtermAtMs = Infinity;
  let servedByVictimWhileLeaving = 0;
  let stop = false;

  try {
    const clients: Client[] = [];
    for (let c = 0; c < CLIENTS; c++) {
      const r = await lb.request(c % members.length, 'POST', '/v1/sessions', { data: { n: 0 } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      clients.push({ home: c % members.length, id: r.body.id as string, acked: 0, conflicts: 0, history: [] });
    }

    const workloadStartMs = performance.now();
    const note = (r: { member: number; redispatched: number }) => {
      redispatched += r.redispatched;
      if (members[r.member] === victim && performance.now() >= sigtermAtMs) servedByVictimWhileLeaving++;
    };
    const runClient = async (cl: Client) => {
      while (!stop && cl.acked < MAX_INCREMENTS_PER_CLIENT && performance.now() - workloadStartMs < MAX_WORKLOAD_MS) {
        try {
          const read = await lb.request(cl.home, 'GET', `/v1/sessions/${cl.id}`);
          note(read);
          if (read.status !== 200) {
            failures.push(`GET ${cl.id} via ${members[read.member]!.name}: ${read.status} ${JSON.stringify(read.body)}`);
            return;
          }
          const write = await lb.request(cl.home, 'PATCH', `/v1/sessions/${cl.id}`, { set: { n: (read.body.data.n as number) + 1 }, ifVersion: read.body.version });
          note(write);
          cl.history.push(`${(performance.now() - sigtermAtMs).toFixed(0)}ms read n=${String(read.body.data.n)} v=${String(read.body.version)} via ${members[read.member]!.name}, write ${write.status} ${JSON.stringify(write.body)} via ${members[write.member]!.name}`);
          if (cl.history.length > 8) cl.history.shift();
          if (write.status === 200) cl.acked++;
          else if (write.status === 409 && write.body?.error?.code === 'ERR_VERSION_CONFLICT') cl.conflicts++;
          else {
            failures.push(`PATCH ${cl.id} via ${members[write.member]!.name}: ${write.status} ${JSON.stringify(write.body)}`);
            return;
          }
        } catch (err) {
          failures.push(`${cl.id}: ${(err as Error).message} (${(performance.now() - sigtermAtMs).toFixed(0)} ms after SIGTERM)`);
          return;
        }
      }
    };
    const workload = Promise.all(clients.map(runClient));

    // Stop the member once the workload is in full swing.
    await waitFor('the workload to get going', 10_000, async () => clients.reduce((s, c) => s + c.acked, 0) >= 300 || failures.length > 0);
    assert.deepEqual(failures, [], 'failures before the stop');
    const ackedBeforeStop = clients.reduce((s, c) => s + c.acked, 0);
    sigtermAtMs = performance.now();
    victim.child.kill('SIGTERM');
    let bound: NodeJS.Timeout | undefined;
    const exitCode = await Promise.race([victim.exited, new Promise<'timeout'>((r) => (bound = setTimeout(() => r('timeout'), EXIT_BOUND_MS)))]);
    clearTimeout(bound);
    const exitMs = performance.now() - sigtermAtMs;
    assert.equal(exitCode, 0, `${victim.name} exit: ${exitCode} after ${exitMs.toFixed(0)} ms; last output:\n${victim.output.slice(-40).join('\n')}`);
    await new Promise((r) => setTimeout(r, AFTER_EXIT_MS));
    stop = true;
    await workload;
    await lb.stop();

    const handOff = victim.logs.find((l) => l.msg === 'hand-off complete');
    const started = victim.logs.find((l) => l.msg === 'leaving: handing off partitions');
    const acked = clients.reduce((s, c) => s + c.acked, 0);
    const conflicts = clients.reduce((s, c) => s + c.conflicts, 0);
    console.log(
      `# ${prefix}: ${victim.name} handed off ${String(started?.sessions)} sessions / ${String(started?.partitions)} partitions in ${String(handOff?.elapsedMs)} ms, exited ${exitMs.toFixed(0)} ms after SIGTERM; ` +
        `${acked} acknowledged increments (${acked - ackedBeforeStop} after SIGTERM), ${conflicts} conflicts, ${servedByVictimWhileLeaving} answers from ${victim.name} while leaving, ${redispatched} redispatched`,
    );
    assert.deepEqual(failures, [], 'failed requests');
    assert.ok(started, `${victim.name} did not log the start of its hand-off`);
    assert.ok(handOff, `${victim.name} did not complete its hand-off: ${JSON.stringify(victim.logs.find((l) => /hand-off did not complete/.test(l.msg)))}`);
    assert.ok(servedByVictimWhileLeaving > 0, `${victim.name} answered no request while leaving: nothing tested the drain`);
    assert.ok(acked - ackedBeforeStop > 0, 'no increment was acknowledged after SIGTERM');

    // Every acknowledged increment is there: read through a survivor, directly.
    const survivors = members.filter((m) => m !== victim);
    for (const cl of clients) {
      const res = await fetch(`http://${survivors[0]!.http}/v1/sessions/${cl.id}`, { headers: { authorization: `Bearer ${TEST_API_TOKEN}` }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const body = (await res.json()) as any;
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.data.n, cl.acked, `session ${cl.id}: counter ${String(body.data.n)}, ${cl.acked} increments acknowledged; last steps (ms after SIGTERM):\n${cl.history.join('\n')}`);
    }

    // Two copies of every session on the survivors; no table lists the member that left.
    const { value } = await waitFor('two copies of every session on the survivors', 5_000, async () => {
      const s = await Promise.all(survivors.map((m) => getStatus(m)));
      const copies = s.reduce((sum, x) => sum + x.sessions.primary + x.sessions.backup, 0);
      const settled = s.every((x) => x.partitions !== null && x.partitions.owners.every((row) => row.length === REPLICAS && !row.includes(victim.id)) && x.members.find((m) => m.id === victim.id)?.state === 'left');
      return settled && copies === REPLICAS * CLIENTS ? { copies } : false;
    }, 100);
    assert.equal(value.copies, REPLICAS * CLIENTS);
  } finally {
    stop = true;
    await lb.stop();
  }
}

describe('graceful leave under load (3 members, replicas 2, HTTP API)', () => {
  const all: MemberProcess[] = [];
  after(async () => {
    await stopAll(all);
  });

  it('SIGTERM to a member: zero failed requests, zero lost writes, it exits 0 within the bound', async () => {
    await gracefulLeaveUnderLoad('gl', 1, all);
  });

  it('SIGTERM to the coordinator (the oldest member): the same', async () => {
    await gracefulLeaveUnderLoad('gc', 0, all);
  });
});
