/**
 * Replication under crashes and restarts (ack 'all', 3 copies): random client ops through random
 * members, lossy/duplicating/reordering network, up to replicas − 1 members killed at once
 * (only when the cluster had re-replicated), restarts under new ids. Checked: reads return
 * what was acknowledged (during the run), one table per epoch (every step), and at the end:
 * convergence, no acknowledged write lost, no destroyed session back, no orphaned copies.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplCluster } from './support/replication-cluster.js';
import { checkFinal, describe, runUntilSettled } from './support/replication-checks.js';
import { Workload } from './support/replication-workload.js';
import { simSeeds, withSeed } from './support/seeds.js';
import { lan } from './support/network.js';

const config = { partitions: 32, replicas: 3, antiEntropyIntervalMs: 2_000, defaultMaxIdleMs: 600_000 };
// Harsh enough that ack 'none' and 'one' fail these seeds (checked by hand): ack 'all' must not.
const lossy = { baseDelayMs: 1, jitterMs: 10, dropRate: 0.05, duplicateRate: 0.03 };

test('crashes and restarts under load: no acknowledged write lost, replicas converge', () => {
  for (const seed of simSeeds([101, 102, 103, 104])) {
    withSeed(seed, () => {
      const c = new ReplCluster(seed, config, lossy);
      for (let i = 0; i < 5; i++) c.start();
      runUntilSettled(c, 10_000);
      const w = new Workload(c);
      const load = w.steady(10, 20);
      let crashes = 0;
      const endMs = c.nowMs + 20_000;
      while (c.nowMs < endMs) {
        c.runFor(500 + c.random.int(1_500), load);
        if (c.settled() && c.up().length >= 5) {
          const k = 1 + c.random.int(2);
          for (let i = 0; i < k; i++) {
            const ups = c.up();
            c.crash(ups[c.random.int(ups.length)]!);
            crashes++;
          }
          c.runFor(1_000 + c.random.int(2_000), load);
          for (let i = 0; i < k; i++) c.start();
        }
      }
      c.net.conditions = { ...lan };
      runUntilSettled(c, 20_000, load);
      c.runFor(2 * config.antiEntropyIntervalMs + 500);
      checkFinal(c, w);
      assert.ok(crashes >= 3, `only ${crashes} crashes`);
      assert.ok(w.acked > 300 && w.checkedReads > 50, `little work: ${w.acked} acked, ${w.checkedReads} reads`);
      assert.ok(w.failed < w.acked / 5, `${w.failed} failed ops vs ${w.acked} acked: ${describe(c)}`);
    });
  }
});
