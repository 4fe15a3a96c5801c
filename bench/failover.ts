/**
 * Failover benchmark (issue 5 part 3): the example Express app (examples/express) three times,
 * behind a real HAProxy configured exactly as docs/load-balancers.md shows (round robin, retries
 * and redispatch). Virtual users, each with its own cookie, click the counter one click at a time;
 * one app process is killed with SIGKILL at a fixed time. Measured per run: failed clicks, lost
 * updates (every answer must be the user's previous acknowledged count + 1, and every counter read
 * back at the end must equal the user's acknowledged clicks), and the time from the kill until
 * every user has had a click acknowledged that started after the kill ("every session writable
 * again"). Five runs; median and max.
 */
import { startExampleCluster, stopApps } from '../test/helpers/example-app.js';
import { findBinary, startHaproxy } from '../test/helpers/load-balancer.js';
import { CookieJar, click, readCounter } from '../test/helpers/virtual-users.js';
import { median } from './lib/stats.js';
import { printTable } from './lib/table.js';
import { writePart } from './lib/results.js';
import { ensureBinary } from './lib/debian.js';

const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = QUICK ? 1 : 5;
const USERS = 50;
const DURATION_MS = QUICK ? 6000 : 10_000;
const KILL_AT_MS = QUICK ? 2000 : 4000;

interface RunResult {
  acknowledged: number;
  failed: number;
  lostUpdates: number;
  writableAgainMs: number;
  slowestClickMs: number;
}

async function oneRun(run: number, haproxyBin: string): Promise<RunResult> {
  const apps = await startExampleCluster(3, { secret: `failover-secret-${run}-0123456789`, sessionSecret: 'failover-session' });
  const lb = await startHaproxy(haproxyBin, apps);
  try {
    const victim = apps[1 + (run % 2)]!; // never the seed app, alternating
    const start = performance.now();
    let killedAt = Infinity;
    const timer = setTimeout(() => {
      killedAt = performance.now();
      victim.child.kill('SIGKILL');
    }, KILL_AT_MS);
    const users = Array.from({ length: USERS }, () => ({ jar: new CookieJar(), acked: 0, last: 0, lost: 0, failed: 0, firstAckAfterKill: Infinity, slowest: 0 }));
    await Promise.all(
      users.map(async (u, i) => {
        let n = 0;
        while (performance.now() - start < DURATION_MS && n < 5000) {
          const t0 = performance.now();
          try {
            const r = await click(lb.baseUrl, u.jar, `u${i}-c${n++}`, 10_000);
            const t1 = performance.now();
            u.slowest = Math.max(u.slowest, t1 - t0);
            if (r.status !== 200 || !r.view) {
              u.failed++;
              continue;
            }
            if (r.view.count !== u.last + 1) u.lost++;
            u.last = r.view.count;
            u.acked++;
            if (t0 > killedAt && u.firstAckAfterKill === Infinity) u.firstAckAfterKill = t1 - killedAt;
          } catch {
            u.failed++;
          }
        }
      }),
    );
    clearTimeout(timer);
    // Read every counter back: it must equal what the user saw acknowledged.
    for (const u of users) {
      const v = await readCounter(lb.baseUrl, u.jar);
      if (v.count !== u.acked) u.lost += Math.abs(v.count - u.acked);
    }
    return {
      acknowledged: users.reduce((a, u) => a + u.acked, 0),
      failed: users.reduce((a, u) => a + u.failed, 0),
      lostUpdates: users.reduce((a, u) => a + u.lost, 0),
      writableAgainMs: Math.max(...users.map((u) => u.firstAckAfterKill)),
      slowestClickMs: Math.max(...users.map((u) => u.slowest)),
    };
  } finally {
    await lb.stop();
    await stopApps(apps);
  }
}

async function main(): Promise<void> {
  const haproxy = findBinary('haproxy') ?? ensureBinary('haproxy', 'haproxy');
  console.log(`bench:failover — 3 example apps behind HAProxy (docs/load-balancers.md), ${USERS} users, kill -9 at ${KILL_AT_MS / 1000} s of ${DURATION_MS / 1000} s, ${RUNS} run(s)`);
  const runs: RunResult[] = [];
  for (let r = 0; r < RUNS; r++) {
    process.stdout.write(`  run ${r + 1} ... `);
    const res = await oneRun(r, haproxy);
    console.log(`${res.acknowledged} clicks, ${res.failed} failed, ${res.lostUpdates} lost, writable again after ${Math.round(res.writableAgainMs)} ms`);
    runs.push(res);
  }
  const col = (f: (r: RunResult) => number) => ({ median: median(runs.map(f)), max: Math.max(...runs.map(f)) });
  const rows = [
    ['failed clicks', col((r) => r.failed)],
    ['lost updates', col((r) => r.lostUpdates)],
    ['every session writable again (ms)', col((r) => r.writableAgainMs)],
    ['slowest click (ms)', col((r) => r.slowestClickMs)],
  ] as const;
  printTable(['measure', 'median', 'max'], rows.map(([k, v]) => [k, v.median, v.max]));
  const targets = [
    { target: '0 failed requests', met: runs.every((r) => r.failed === 0) },
    { target: '0 lost updates', met: runs.every((r) => r.lostUpdates === 0) },
    { target: 'every session writable again within 1.5 s (max of runs)', met: Math.max(...runs.map((r) => r.writableAgainMs)) <= 1500 },
  ];
  console.log('\nTargets');
  printTable(['target', 'met'], targets.map((t) => [t.target, t.met ? 'yes' : 'NO']));
  writePart('failover', { quick: QUICK, runs, users: USERS, durationMs: DURATION_MS, killAtMs: KILL_AT_MS, targets });
  if (runs.some((r) => r.lostUpdates > 0)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
