/**
 * HTTP-level benchmark (issue 5 part 2): Express 5 + express-session, 50 virtual users each with
 * its own cookie, an endpoint that reads and increments a counter. The app process is the same
 * for every contender; only the store changes:
 * - sessionmesh: SessionMeshStore, the app embeds a member of a 3-member cluster (replicas 2; the
 *   two other members are separate processes), sessions created with the store's genid;
 * - connect-redis: RedisStore on node-redis, against a real redis-server on loopback;
 * - memorystore: an in-process store (nothing shared between processes; the upper bound).
 * Contenders run in turn, several rounds, interleaved; medians are shown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { startRedis } from './lib/redis.js';
import { startChildMember, stopChild, BENCH_SECRET, type ChildMember } from './lib/mesh.js';
import { runCounterLoad, type LoadResult } from './lib/http-load.js';
import { median } from './lib/stats.js';
import { printTable, ratio } from './lib/table.js';
import { writePart } from './lib/results.js';
import { cpuMeter } from './lib/proc-cpu.js';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : 3;
const ROUND_MS = QUICK ? 3000 : 8000;
const USERS = 50;
const APP = fileURLToPath(new URL('./lib/http-app.js', import.meta.url));

type Contender = 'sessionmesh' | 'connect-redis' | 'memorystore';

async function startApp(kind: string, extra: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [APP, kind, '0', extra], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SESSIONMESH_SECRET: BENCH_SECRET } });
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${kind} app did not start within 15 s`)), 15_000);
    child.once('exit', (code) => reject(new Error(`${kind} app exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = /^listening (\d+)/.exec(l);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
  });
  return { port, child };
}

async function stopApp(a: { child: ChildProcess }): Promise<void> {
  if (a.child.exitCode !== null || a.child.signalCode !== null) return;
  const exited = once(a.child, 'exit');
  a.child.kill('SIGKILL');
  await exited;
}

async function main(): Promise<void> {
  console.log(`bench:http — Express 5 + express-session, ${USERS} virtual users, ${ROUNDS} round(s) of ${ROUND_MS} ms per store`);
  const redis = await startRedis();
  const members: ChildMember[] = [];
  members.push(await startChildMember('bench-b', [], ['--replicas', '2']));
  members.push(await startChildMember('bench-c', [members[0]!.peer], ['--replicas', '2']));
  const apps: Record<Contender, { port: number; child: ChildProcess }> = {
    sessionmesh: await startApp('sessionmesh', members[0]!.peer),
    'connect-redis': await startApp('redis', String(redis.port)),
    memorystore: await startApp('memorystore', ''),
  };
  const rounds: Record<Contender, Array<LoadResult & CpuPerRequest>> = { sessionmesh: [], 'connect-redis': [], memorystore: [] };
  // The processes each contender's store runs in besides the app: the two other members, redis-server.
  const storePids: Record<Contender, Array<number | undefined>> = { sessionmesh: members.map((m) => m.child.pid), 'connect-redis': [redis.pid], memorystore: [] };
  try {
    // Let the sessionmesh cluster settle its partition table before measuring (3 members).
    await new Promise((r) => setTimeout(r, 3000));
    for (const [name, app] of Object.entries(apps)) {
      await runCounterLoad({ target: { host: '127.0.0.1', port: app.port }, users: USERS, durationMs: 1000, maxRequests: 1_000_000 });
      void name;
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of Object.keys(apps) as Contender[]) {
        process.stdout.write(`  round ${r + 1}: ${name} ... `);
        const stopMeter = cpuMeter({ app: apps[name].child.pid, ...Object.fromEntries(storePids[name].map((pid, i) => [`store${i}`, pid])) });
        const selfCpu = process.cpuUsage();
        const res = await runCounterLoad({ target: { host: '127.0.0.1', port: apps[name].port }, users: USERS, durationMs: ROUND_MS, maxRequests: 2_000_000 });
        const cpu = cpuPerRequest(stopMeter(), process.cpuUsage(selfCpu), res.requests);
        console.log(`${Math.round(res.reqPerSec)} req/s, p99 ${res.p99Ms.toFixed(1)} ms, ${res.failed} failed, ${res.lostUpdates} lost; CPU µs/request: app ${fmtUs(cpu.appUs)}, store processes ${fmtUs(cpu.storeUs)}, load generator ${fmtUs(cpu.loadUs)}`);
        if (res.firstFailure) console.log(`    first failure: ${res.firstFailure}`);
        rounds[name].push({ ...res, ...cpu });
      }
    }
  } finally {
    await Promise.all(Object.values(apps).map(stopApp));
    await Promise.all(members.map((m) => stopChild(m, 'SIGKILL')));
    await redis.stop();
  }
  const summary = (Object.keys(rounds) as Contender[]).map((name) => {
    const rs = rounds[name];
    return {
      store: name,
      reqPerSec: median(rs.map((r) => r.reqPerSec)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      failed: rs.reduce((a, r) => a + r.failed, 0),
      lostUpdates: rs.reduce((a, r) => a + r.lostUpdates, 0),
      appCpuUsPerReq: medianOrNull(rs.map((r) => r.appUs)),
      storeCpuUsPerReq: medianOrNull(rs.map((r) => r.storeUs)),
    };
  });
  const mesh = summary.find((s) => s.store === 'sessionmesh')!;
  const redisRow = summary.find((s) => s.store === 'connect-redis')!;
  const mem = summary.find((s) => s.store === 'memorystore')!;
  console.log('\nratios are contender / sessionmesh (req/s < 1x or latency > 1x: sessionmesh is faster)');
  printTable(
    ['store', 'req/s', 'p50 ms', 'p99 ms', 'req/s ratio', 'p99 ratio', 'failed', 'lost updates'],
    summary.map((s) => [s.store, s.reqPerSec, s.p50Ms, s.p99Ms, ratio(s.reqPerSec, mesh.reqPerSec), ratio(s.p99Ms, mesh.p99Ms), s.failed, s.lostUpdates]),
  );
  console.log('\nCPU per request (µs, medians; kernel time included): where the time goes on a shared machine');
  printTable(
    ['store', 'app process', 'store processes', 'app + store'],
    summary.map((s) => [s.store, s.appCpuUsPerReq ?? 'n/a', s.storeCpuUsPerReq ?? 'n/a', s.appCpuUsPerReq === null || s.storeCpuUsPerReq === null ? 'n/a' : s.appCpuUsPerReq + s.storeCpuUsPerReq]),
  );
  const targets = [
    { target: 'req/s ≥ 1.05× connect-redis', value: mesh.reqPerSec / redisRow.reqPerSec, met: mesh.reqPerSec >= 1.05 * redisRow.reqPerSec },
    { target: 'req/s ≥ 0.95× memorystore', value: mesh.reqPerSec / mem.reqPerSec, met: mesh.reqPerSec >= 0.95 * mem.reqPerSec },
    { target: 'p99 ≤ connect-redis p99', value: mesh.p99Ms / redisRow.p99Ms, met: mesh.p99Ms <= redisRow.p99Ms },
    { target: '0 lost updates everywhere', value: summary.reduce((a, s) => a + s.lostUpdates, 0), met: summary.every((s) => s.lostUpdates === 0) },
  ];
  console.log('\nTargets');
  printTable(['target', 'measured', 'met'], targets.map((t) => [t.target, t.value.toFixed(2), t.met ? 'yes' : 'NO']));
  writePart('http', { quick: QUICK, users: USERS, rounds: ROUNDS, roundMs: ROUND_MS, summary, targets });
  if (summary.some((s) => s.lostUpdates > 0)) process.exitCode = 1;
}

interface CpuPerRequest {
  /** CPU µs per request in the app process, in the store's other processes, in this (load) process; null without /proc. */
  appUs: number | null;
  storeUs: number | null;
  loadUs: number;
}

function cpuPerRequest(ms: Record<string, number | null>, self: NodeJS.CpuUsage, requests: number): CpuPerRequest {
  const per = (cpuMs: number | null) => (cpuMs === null || requests === 0 ? null : (cpuMs * 1000) / requests);
  const store = Object.entries(ms).filter(([k]) => k !== 'app');
  const storeMs = store.some(([, v]) => v === null) ? null : store.reduce((a, [, v]) => a + v!, 0);
  return { appUs: per(ms.app ?? null), storeUs: per(storeMs), loadUs: (self.user + self.system) / Math.max(1, requests) };
}

function fmtUs(us: number | null): string {
  return us === null ? 'n/a' : String(Math.round(us));
}

function medianOrNull(xs: Array<number | null>): number | null {
  return xs.some((x) => x === null) ? null : Math.round(median(xs as number[]));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
