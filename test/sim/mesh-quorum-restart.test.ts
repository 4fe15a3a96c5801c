/**
 * quorum 'majority' through a rolling restart (real membership + replication, see MeshCluster):
 * 3 members, each in turn killed, the cluster recovers, and it comes back under a new id.
 * Membership remembers the dead ids for deadRetentionMs (5 min). When dead members counted
 * toward the majority until forgotten, the second kill left 2 alive of 4 known: no majority, so
 * the coordinator committed no table and every write failed with ERR_NO_QUORUM for 5 minutes
 * (this test never settled). Now only the members the committed table names vote.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MeshCluster, type MeshProcess } from './support/mesh-cluster.js';
import { simSeeds, withSeed } from './support/seeds.js';

function settle(c: MeshCluster): void {
  const start = c.nowMs;
  while (!c.settled()) {
    if (c.nowMs - start > 30_000) c.fail(`not settled: ${c.describe()}`);
    c.runFor(100);
  }
}

test("quorum 'majority': a rolling restart of all 3 members keeps accepting writes", () => {
  for (const seed of simSeeds([51, 52])) {
    withSeed(seed, () => {
      const c = new MeshCluster({ seed, replication: { partitions: 32, replicas: 2, quorum: 'majority' }, network: { baseDelayMs: 0.3, jitterMs: 1 } });
      for (let i = 0; i < 3; i++) c.start();
      settle(c);
      for (let round = 0; round < 3; round++) {
        const victim: MeshProcess = c.running()[0]!;
        c.crash(victim);
        settle(c);
        c.restart(victim);
        settle(c);
      }
      const outcomes: string[] = [];
      for (const via of c.up()) {
        for (let i = 0; i < 5; i++) c.submit(via, { kind: 'create', data: { i } }, (o) => outcomes.push(o.ok ? 'ok' : o.error.code));
      }
      c.runFor(6_000);
      assert.equal(outcomes.length, 15);
      assert.deepEqual(outcomes.filter((o) => o !== 'ok'), [], 'every write after the rolling restart succeeds');
      // The dead ids are still in every view (not forgotten yet): they just do not vote any more.
      for (const p of c.running()) assert.ok(p.membership.members().filter((m) => m.state === 'dead').length >= 3);
    });
  }
});
