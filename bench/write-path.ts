/**
 * `npm run bench:write-path`: what one replicated write costs in CPU and in allocation, for work
 * on the write path. Not a comparison (the targets are in bench:store and bench:http); numbers to
 * compare before and after a change, in the same state of the machine.
 *
 * 1. core: two Replicators in this process, primary and backup (replicas 2), whose messages go
 *    through the real message codec — an update's pure work on both members, without sockets,
 *    timers or promises. µs per update for a small (express-session shape) and a 1 KiB session,
 *    best and median of several rounds (a CPU-bound loop: the best round is the least disturbed).
 * 2. adapter: express-session's store calls for one request (get on the primary, save of a changed
 *    counter, touch) through SessionMeshStore on a real 3-member cluster, the two other members in
 *    their own processes, 50 requests in flight: CPU µs per request of this process (kernel time
 *    included) and bytes allocated per request (V8's sampling heap profiler, collected objects
 *    counted), with the top allocating functions. The CPU figure moves by ±30 % with the state of
 *    this shared machine (three processes on two cores); the allocation figure is steady.
 *
 * Bounded: fixed update counts in part 1, fixed durations (and a request cap) in part 2.
 */
import { Session } from 'node:inspector/promises';
import { SeededRandom } from '../src/clock/clock.js';
import type { MemberRecord } from '../src/membership/member.js';
import { Replicator, type ReplicatorOutput } from '../src/replication/index.js';
import { decodeBody, encodeBody } from '../src/wire/codec.js';
import { SessionMeshStore } from '../src/adapters/express/index.js';
import { startMesh } from './lib/mesh.js';
import { oneKiBSession } from './lib/sessions.js';
import { printTable } from './lib/table.js';

const QUICK = process.env.BENCH_QUICK === '1';
const CORE_ROUNDS = QUICK ? 2 : 8;
const CORE_UPDATES = QUICK ? 10_000 : 50_000;
const ADAPTER_MS = QUICK ? 1000 : 4000;
const ADAPTER_IN_FLIGHT = 50;

const smallSession = (i: number): Record<string, unknown> => ({
  cookie: { originalMaxAge: 3_600_000, expires: new Date(1_800_000_000_000 + i), httpOnly: true, path: '/' },
  userId: `user-${i}`,
  count: 0,
});

function member(id: string, startedAtMs: number): MemberRecord {
  return { id, name: id, address: { host: '127.0.0.1', port: 1 }, httpAddress: null, role: 'member', zone: null, startedAtMs, state: 'alive', incarnation: 0 };
}

/** Part 1: µs per update, primary + backup + codec, in this process. */
function core(shape: (i: number) => Record<string, unknown>, counterName: string): { bestUs: number; medianUs: number } {
  const reps = new Map([
    ['a', new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(1), config: { replicas: 2 } })],
    ['b', new Replicator({ selfId: 'b', startedAtMs: 2, random: new SeededRandom(2), config: { replicas: 2 } })],
  ]);
  let now = 1000;
  let lastResult: ReplicatorOutput | undefined;
  // Delivers every message (encoded and decoded as on the wire) until the members are quiet.
  const run = (from: string, outs: ReplicatorOutput[]): void => {
    const queue: Array<[string, ReplicatorOutput[]]> = [[from, outs]];
    for (let q = queue.shift(); q !== undefined; q = queue.shift()) {
      for (const o of q[1]) {
        if (o.type === 'complete') lastResult = o;
        if (o.type !== 'send') continue;
        queue.push([o.to, reps.get(o.to)!.receive(now, q[0], o.messageType, decodeBody(encodeBody(o.body)))]);
      }
    }
  };
  for (const [id, r] of reps) run(id, r.membershipChanged(now, [member('a', 1), member('b', 2)]));
  for (let i = 0; i < 200; i++) {
    now += 50;
    for (const [id, r] of reps) run(id, r.tick(now));
  }
  const a = reps.get('a')!;
  let opId = 1;
  const ids: string[] = [];
  for (let i = 0; i < 1000; i++) {
    run('a', a.submit(now, opId++, { kind: 'create', data: shape(i) }));
    const r = lastResult;
    if (r?.type !== 'complete' || 'error' in r || r.result.kind !== 'create') throw new Error(`bench:write-path: create failed: ${JSON.stringify(r)}`);
    ids.push(r.result.id);
  }
  const rounds: number[] = [];
  for (let round = 0; round < CORE_ROUNDS; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CORE_UPDATES; i++) {
      run('a', a.submit(now, opId++, { kind: 'update', id: ids[i % ids.length]!, update: { set: { [counterName]: i } } }));
      if (i % 1000 === 0) now++;
    }
    rounds.push(Number(process.hrtime.bigint() - t0) / 1000 / CORE_UPDATES);
    const r = lastResult;
    if (r?.type !== 'complete' || 'error' in r) throw new Error(`bench:write-path: update failed: ${JSON.stringify(r)}`);
  }
  rounds.sort((x, y) => x - y);
  return { bestUs: rounds[0]!, medianUs: rounds[Math.floor(rounds.length / 2)]! };
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** Part 2: one request's store calls through SessionMeshStore on a real cluster. */
async function adapter(): Promise<{ cpuUs: number; bytes: number; top: Array<[string, number]> }> {
  const mesh = await startMesh({ replicas: 2 });
  try {
    const store = new SessionMeshStore({ node: mesh.local });
    const call = (f: (cb: (err?: unknown) => void) => void): Promise<void> => new Promise((resolve, reject) => f((err) => (err ? reject(err) : resolve())));
    const ids: string[] = [];
    for (let i = 0; i < ADAPTER_IN_FLIGHT; i++) {
      const id = store.genid();
      await call((cb) => store.set(id, smallSession(i) as never, cb));
      ids.push(id);
    }
    const request = (id: string): Promise<void> =>
      new Promise((resolve, reject) => {
        store.get(id, (err, data) => {
          if (err || !data) return reject(err ?? new Error(`session ${id} is missing`));
          const s = store.createSession({ sessionID: id } as never, data) as unknown as { count: number };
          s.count++;
          store.set(id, s as never, (e) => (e ? reject(e) : store.touch(id, s as never, (e2) => (e2 ? reject(e2) : resolve()))));
        });
      });
    const loop = async (ms: number): Promise<number> => {
      let n = 0;
      const end = performance.now() + ms;
      await Promise.all(
        ids.map(async (id) => {
          while (performance.now() < end && n < 10_000_000) {
            await request(id);
            n++;
          }
        }),
      );
      return n;
    };
    await loop(ADAPTER_MS / 2); // warm-up
    const cpu0 = process.cpuUsage();
    const cpuRequests = await loop(ADAPTER_MS);
    const cpu = process.cpuUsage(cpu0);
    // Allocation, in a run of its own (the sampler slows everything down).
    const inspector = new Session();
    inspector.connect();
    await inspector.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    const heapRequests = await loop(ADAPTER_MS);
    const { profile } = (await inspector.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: HeapNode } };
    inspector.disconnect();
    const byFunction = new Map<string, number>();
    let total = 0;
    const walk = (n: HeapNode): void => {
      const cf = n.callFrame;
      const where = cf.url ? `${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}` : '(native)';
      const key = `${cf.functionName || '(anonymous)'} ${where}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + n.selfSize);
      total += n.selfSize;
      n.children.forEach(walk);
    };
    walk(profile.head);
    const top = [...byFunction].sort((x, y) => y[1] - x[1]).slice(0, 12).map(([k, v]): [string, number] => [k, Math.round(v / heapRequests)]);
    return { cpuUs: (cpu.user + cpu.system) / cpuRequests, bytes: Math.round(total / heapRequests), top };
  } finally {
    await mesh.stop();
  }
}

async function main(): Promise<void> {
  console.log(`bench:write-path — ${QUICK ? 'quick run (numbers not comparable with full runs)' : 'full run'}`);
  const small = core(smallSession, 'count');
  const big = core(oneKiBSession, 'counter');
  console.log('\n1. core: one update on the primary, its delta applied on the backup and acknowledged (both in this process, real message codec)');
  printTable(
    ['session', 'best µs / update', 'median µs / update'],
    [
      ['small (express-session shape)', small.bestUs, small.medianUs],
      ['1 KiB', big.bestUs, big.medianUs],
    ],
  );
  const a = await adapter();
  console.log(`\n2. adapter: get + save + touch through SessionMeshStore, 3-member cluster, ${ADAPTER_IN_FLIGHT} in flight`);
  printTable(['measure', 'per request'], [
    ['CPU µs of this process (kernel included)', a.cpuUs],
    ['bytes allocated', a.bytes],
  ]);
  console.log('\nTop allocating functions (bytes per request)');
  printTable(['function', 'bytes'], a.top);
}

await main();
process.exit(0);
