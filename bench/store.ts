/**
 * Store-level benchmark (issue 5 part 1): one session operation at a time and 256 in flight,
 * sessionmesh (3 members, replicas 2) against node-redis talking to a real redis-server and a plain
 * in-process Map, all in the same run on the same machine.
 *
 * What each contender does per operation is what a session store built on it does:
 * - redis: connect-redis writes the whole session as JSON with SET ... EX, and reads it with GET +
 *   JSON.parse;
 * - map: an in-process store keeps JSON strings (express-session's MemoryStore does the same);
 * - sessionmesh: the adapters send only the changed attributes (here one counter in a 1 KiB
 *   session) and read the decoded session from the primary.
 * - sessionmesh with the near cache (`nearCache: true` on the benchmark's member, a second cluster
 *   started for it): reads of sessions whose primary is another member, answered locally after
 *   the first read of each (no writes meanwhile, so nothing is invalidated: the best case).
 */
import { createClient } from 'redis';
import { closedLoop } from './lib/closed-loop.js';
import { medianOf, type RunSummary } from './lib/stats.js';
import { startRedis } from './lib/redis.js';
import { startMesh, BENCH_TOKEN } from './lib/mesh.js';
import { printTable, ratio } from './lib/table.js';
import { writePart } from './lib/results.js';
import { oneKiBSession } from './lib/sessions.js';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : 3;
const ROUND_MS = QUICK ? 400 : 1500;
const WARMUP_MS = QUICK ? 200 : 500;
const MAX_OPS = 2_000_000;
const POOL = 1000;
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,256').split(',').map(Number);
/** Only scenarios whose name contains this text (for profiling one path). */
const ONLY = process.env.BENCH_ONLY ?? '';

const NEAR_CACHE_READ = 'read on a non-owner (near cache)';

interface Scenario {
  name: string;
  group: 'write' | 'read';
  contender: 'sessionmesh' | 'redis' | 'map';
  op: (i: number) => Promise<unknown>;
}

async function measure(s: Scenario, concurrency: number): Promise<RunSummary> {
  await closedLoop({ concurrency, durationMs: WARMUP_MS, maxOps: MAX_OPS, op: s.op });
  const rounds: RunSummary[] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await closedLoop({ concurrency, durationMs: ROUND_MS, maxOps: MAX_OPS, op: s.op }));
  return medianOf(rounds);
}

async function createRemote(http: string, data: Record<string, unknown>): Promise<string> {
  const res = await fetch(`http://${http}/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ data }) });
  if (res.status !== 201) throw new Error(`creating a session on ${http}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

async function main(): Promise<void> {
  console.log(`bench:store — ${ROUNDS} round(s) of ${ROUND_MS} ms per cell after ${WARMUP_MS} ms warm-up; medians shown`);
  const redis = await startRedis();
  console.log(`bench: ${redis.version.split(' ').slice(0, 3).join(' ')} on 127.0.0.1:${redis.port}`);
  const client = createClient({ socket: { host: '127.0.0.1', port: redis.port } });
  client.on('error', (err: Error) => console.error('redis client:', err.message));
  await client.connect();
  const results: Array<{ scenario: string; contender: string; group: string; concurrency: number } & RunSummary> = [];
  try {
    console.log('bench: starting a 3-member sessionmesh cluster (replicas 2) ...');
    const mesh = await startMesh({ replicas: 2 });
    try {
      const sessions = mesh.local.sessions;
      const localIds: string[] = [];
      const remoteIds: string[] = [];
      for (let i = 0; i < POOL; i++) localIds.push((await sessions.create({ data: oneKiBSession(i) })).id);
      for (let i = 0; i < POOL; i++) remoteIds.push(await createRemote(mesh.others[i % 2]!.http, oneKiBSession(i)));
      const json = localIds.map((_, i) => JSON.stringify(oneKiBSession(i)));
      console.log(`bench: session size ${Buffer.byteLength(json[0]!)} bytes as JSON; ${POOL} sessions per contender`);
      for (let i = 0; i < POOL; i++) await client.set(`sess:${localIds[i]}`, json[i]!, { EX: 86400 });
      const map = new Map<string, string>();
      for (let i = 0; i < POOL; i++) map.set(localIds[i]!, json[i]!);

      const scenarios: Scenario[] = [
        { name: 'write on the primary', group: 'write', contender: 'sessionmesh', op: (i) => sessions.update(localIds[i % POOL]!, { set: { counter: i } }) },
        { name: 'write from a non-owner', group: 'write', contender: 'sessionmesh', op: (i) => sessions.update(remoteIds[i % POOL]!, { set: { counter: i } }) },
        { name: 'redis SET (node-redis)', group: 'write', contender: 'redis', op: (i) => client.set(`sess:${localIds[i % POOL]}`, json[i % POOL]!, { EX: 86400 }) },
        { name: 'Map set (in-process)', group: 'write', contender: 'map', op: async (i) => map.set(localIds[i % POOL]!, json[i % POOL]!) },
        { name: 'read on the primary', group: 'read', contender: 'sessionmesh', op: (i) => sessions.get(localIds[i % POOL]!) },
        { name: 'read on a non-owner', group: 'read', contender: 'sessionmesh', op: (i) => sessions.get(remoteIds[i % POOL]!) },
        { name: 'redis GET (node-redis)', group: 'read', contender: 'redis', op: async (i) => JSON.parse((await client.get(`sess:${localIds[i % POOL]}`))!) },
        { name: 'Map get (in-process)', group: 'read', contender: 'map', op: async (i) => JSON.parse(map.get(localIds[i % POOL]!)!) },
      ];
      for (const c of CONCURRENCY) {
        for (const s of scenarios.filter((x) => x.name.includes(ONLY))) {
          process.stdout.write(`  ${s.name}, ${c} in flight ... `);
          const r = await measure(s, c);
          console.log(`${Math.round(r.opsPerSec)} ops/s`);
          results.push({ scenario: s.name, contender: s.contender, group: s.group, concurrency: c, ...r });
        }
      }
      const rc = mesh.local.status().readCache;
      console.log(`bench: read cache of the in-process member: ${rc.hits} hits, ${rc.misses} misses, ${rc.entries} entries`);
    } finally {
      await mesh.stop();
    }
    const NEAR = NEAR_CACHE_READ;
    if (NEAR.includes(ONLY)) {
      // The option is per member and fixed at start: a second cluster whose in-process member has it on.
      console.log('bench: starting a second cluster, its in-process member with nearCache on ...');
      const nearMesh = await startMesh({ replicas: 2, local: { nearCache: true } });
      try {
        const remote: string[] = [];
        for (let i = 0; i < POOL; i++) remote.push(await createRemote(nearMesh.others[i % 2]!.http, oneKiBSession(i)));
        const sessions = nearMesh.local.sessions;
        // Steady state: every session read once (the fill), as after the first request of each user.
        for (const id of remote) await sessions.get(id);
        for (const c of CONCURRENCY) {
          process.stdout.write(`  ${NEAR}, ${c} in flight ... `);
          const r = await measure({ name: NEAR, group: 'read', contender: 'sessionmesh', op: (i) => sessions.get(remote[i % POOL]!) }, c);
          console.log(`${Math.round(r.opsPerSec)} ops/s`);
          results.push({ scenario: NEAR, contender: 'sessionmesh', group: 'read', concurrency: c, ...r });
        }
        const nc = nearMesh.local.status().nearCache;
        console.log(`bench: near cache of the in-process member: ${nc.hits} hits, ${nc.misses} misses, ${nc.entries} entries`);
      } finally {
        await nearMesh.stop();
      }
    }
  } finally {
    await client.quit().catch(() => {});
    await redis.stop();
  }

  if (ONLY !== '') return;
  const rank = (name: string) => {
    const i = results.findIndex((r) => r.scenario === (name === NEAR_CACHE_READ ? 'read on a non-owner' : name));
    return name === NEAR_CACHE_READ ? i + 0.5 : i;
  };
  const find = (name: string, c: number) => results.find((r) => r.scenario === name && r.concurrency === c)!;
  for (const c of CONCURRENCY) {
    console.log(`\n${c} in flight — ratios are contender / sessionmesh on the primary (latency > 1x or ops/s < 1x: sessionmesh is faster)`);
    printTable(
      ['scenario', 'ops/s', 'p50 µs', 'p99 µs', 'ops/s ratio', 'p50 ratio', 'errors'],
      results
        .filter((r) => r.concurrency === c)
        // The near-cache row (measured on a second cluster, last) next to the read it speeds up.
        .sort((x, y) => rank(x.scenario) - rank(y.scenario))
        .map((r) => {
          const base = find(r.group === 'write' ? 'write on the primary' : 'read on the primary', c);
          return [r.scenario, r.opsPerSec, r.p50Us, r.p99Us, ratio(r.opsPerSec, base.opsPerSec), ratio(r.p50Us, base.p50Us), r.errors];
        }),
    );
  }
  const targets = [
    { target: 'replicated write p50 ≤ 0.5× redis SET p50 (1 in flight)', value: find('write on the primary', 1).p50Us / find('redis SET (node-redis)', 1).p50Us, ok: (v: number) => v <= 0.5, show: (v: number) => `${v.toFixed(2)}× redis` },
    { target: 'read on the primary ≥ 20× faster than redis GET (p50, 1 in flight)', value: find('redis GET (node-redis)', 1).p50Us / find('read on the primary', 1).p50Us, ok: (v: number) => v >= 20, show: (v: number) => `${v.toFixed(1)}× faster` },
    { target: 'replicated writes/s ≥ 1.5× redis SET/s (256 in flight)', value: find('write on the primary', 256).opsPerSec / find('redis SET (node-redis)', 256).opsPerSec, ok: (v: number) => v >= 1.5, show: (v: number) => `${v.toFixed(2)}× redis` },
  ];
  console.log('\nTargets');
  printTable(['target', 'measured', 'met'], targets.map((t) => [t.target, t.show(t.value), t.ok(t.value) ? 'yes' : 'NO']));
  writePart('store', { rounds: ROUNDS, roundMs: ROUND_MS, quick: QUICK, results, targets: targets.map((t) => ({ target: t.target, value: t.value, met: t.ok(t.value) })) });
  const errors = results.reduce((a, r) => a + r.errors, 0);
  if (errors > 0) {
    console.error(`bench:store: ${errors} operations failed`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
