/**
 * Expiry and touches (maxIdleMs 3 s, touches flushed to backups every 1 s, grace 3 s).
 * Hot sessions are touched (touch or get) every 1.5–2.2 s, always through a member that is NOT
 * their primary; cold ones are never used after their creation. Then the member that is primary of
 * the most hot sessions crashes, and later a new member joins. Checked:
 *  - hot sessions never expire and every touch/get finds them, also across the failover: the
 *    promoted backup's copy may be up to a touch interval + a flush old (> maxIdleMs), the grace
 *    margin covers it (this test fails with expiryGraceMs 0);
 *  - cold sessions expire on their primary, the destroy reaches the backups (each owner holds the
 *    destroyed marker), and from then on no read through any member finds them, nor does any
 *    member hold a live copy at the end (expired sessions never come back).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partitionOf } from '../../src/placement/index.js';
import { ReplCluster, type OpOutcome, type ReplProcess } from './support/replication-cluster.js';
import { describe, runUntilSettled } from './support/replication-checks.js';
import { simSeeds, withSeed } from './support/seeds.js';

const MAX_IDLE_MS = 3_000;
const config = { partitions: 16, replicas: 2, touchFlushMs: 1_000, expiryGraceMs: 3_000, antiEntropyIntervalMs: 2_000 };
// No loss: a lost touch request is resent only after ~2 retry periods, and two in a row would
// delay a touch past the idle time on their own; what is tested here is the failover margin.
const net = { baseDelayMs: 1, jitterMs: 5, dropRate: 0, duplicateRate: 0.01 };

test('touched sessions survive a primary crash (grace), idle ones expire everywhere and never come back', () => {
  for (const seed of simSeeds([501, 502, 503])) {
    withSeed(seed, () => {
      const c = new ReplCluster(seed, config, net);
      for (let i = 0; i < 5; i++) c.start();
      runUntilSettled(c, 10_000);
      const problems: string[] = [];
      const primaryOf = (id: string) => c.up()[0]!.rep.currentTable()!.owners[partitionOf(id, config.partitions)]![0];

      // 40 sessions created through random members.
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        const ups = c.up();
        c.submit(ups[c.random.int(ups.length)]!, { kind: 'create', data: { n: i }, maxIdleMs: MAX_IDLE_MS }, (o) => {
          if (!o.ok || o.result.kind !== 'create') problems.push(`create failed: ${o.ok ? o.result.kind : o.error.code}`);
          else ids.push(o.result.id);
        });
        c.runFor(10);
      }
      for (let waited = 0; ids.length + problems.length < 40 && waited < 5_000; waited += 50) c.runFor(50);
      assert.equal(ids.length, 40, problems.join('; '));
      const hot = ids.slice(0, 20);
      const cold = new Set(ids.slice(20));
      const coldCreatedByMs = c.nowMs;

      // Touch loop: each hot session through a random non-primary member, every 1.5–2.2 s.
      let hotOps = 0;
      const nextTouch = new Map(hot.map((id) => [id, c.nowMs + c.random.int(1_500)]));
      const busy = new Set<string>();
      let crashed: ReplProcess | null = null;
      const check = (id: string, via: ReplProcess, kind: string) => (o: OpOutcome) => {
        busy.delete(id);
        if (!o.ok) {
          if (o.error.code === 'ERR_CLOSED' && via === crashed) {
            nextTouch.set(id, c.nowMs); // the client retries through another member at once
            return;
          }
          problems.push(`${kind} of hot ${id} via ${via.id} at ${Math.round(c.nowMs)}: ${o.error.code}`);
          return;
        }
        hotOps++;
        const found = o.result.kind === 'touch' ? o.result.found : o.result.kind === 'get' && o.result.session !== null;
        if (!found) problems.push(`hot ${id} not found by ${kind} via ${via.id} at ${Math.round(c.nowMs)}`);
      };
      // Reads of expired cold sessions through random members: never found again.
      const expiredSeen = new Set<string>();
      const load = () => {
        for (const id of hot) {
          if (busy.has(id) || c.nowMs < nextTouch.get(id)!) continue;
          const primary = primaryOf(id);
          // Not through a member that has no table yet (a joiner; its readiness check fails): the
          // touch would wait there for a table and land late, after the session's idle time.
          const vias = c.up().filter((p) => p.id !== primary && p.rep.currentTable() !== null);
          const via = vias[c.random.int(vias.length)]!;
          busy.add(id);
          nextTouch.set(id, c.nowMs + 1_500 + c.random.int(700));
          const kind = c.random.float() < 0.5 ? 'touch' : 'get';
          c.submit(via, kind === 'touch' ? { kind: 'touch', id } : { kind: 'get', id }, check(id, via, kind));
        }
        if (c.random.float() < 0.05 && expiredSeen.size > 0) {
          const list = [...expiredSeen];
          const id = list[c.random.int(list.length)]!;
          const ups = c.up();
          const via = ups[c.random.int(ups.length)]!;
          c.submit(via, { kind: 'get', id }, (o) => {
            if (o.ok && o.result.kind === 'get' && o.result.session !== null) problems.push(`expired ${id} read back via ${via.id} at ${Math.round(c.nowMs)}`);
          });
        }
      };
      // load() also runs every 20 ms of quiet (runFor calls it only after events, and this load is light).
      const step = (ms: number) => {
        const until = c.nowMs + ms;
        while (c.nowMs < until) {
          c.runFor(20, load);
          load();
        }
        for (const e of c.expired) if (cold.has(e.id)) expiredSeen.add(e.id);
      };

      // Cold ones expire: maxIdle (+ grace at most, right after a primary change) + a flush.
      step(MAX_IDLE_MS + config.expiryGraceMs + 2_000 - (c.nowMs - coldCreatedByMs));
      assert.equal(expiredSeen.size, cold.size, `${cold.size - expiredSeen.size} cold sessions did not expire`);
      for (const id of cold) {
        const t = c.up()[0]!.rep.currentTable()!;
        for (const owner of t.owners[partitionOf(id, config.partitions)]!) {
          const rec = c.procs.find((p) => p.id === owner)!.rep.store.get(id);
          if (rec?.destroyed !== true) problems.push(`${owner} (owner) holds ${rec === undefined ? 'nothing' : 'a live copy'} for expired ${id}`);
        }
      }

      // The primary of the most hot sessions crashes; touches go on; later a member joins.
      const count = new Map<string, number>();
      for (const id of hot) count.set(primaryOf(id)!, (count.get(primaryOf(id)!) ?? 0) + 1);
      const victimId = [...count].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
      crashed = c.procs.find((p) => p.id === victimId)!;
      const crashedAtMs = c.nowMs;
      c.crash(crashed);
      step(6_000);
      c.start();
      for (let waited = 0; !c.settled(); waited += 100) {
        if (waited > 15_000) throw new Error(`cluster did not settle after the join: ${describe(c)}`);
        step(100);
      }
      step(4_000);

      const hotExpired = c.expired.filter((e) => !cold.has(e.id));
      assert.deepEqual(hotExpired, [], `hot sessions expired (${victimId} crashed at ${Math.round(crashedAtMs)})`);
      for (const proc of c.up()) {
        for (const id of cold) {
          const rec = proc.rep.store.get(id);
          if (rec !== undefined && !rec.destroyed) problems.push(`${proc.id} holds a live copy of expired ${id}`);
        }
      }
      assert.deepEqual(problems.slice(0, 10), [], `${problems.length} problems`);
      assert.ok(hotOps > 100, `only ${hotOps} hot touches`);
    });
  }
});
