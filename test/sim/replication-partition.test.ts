/**
 * Network split and heal (quorum 'none', AP): both sides keep serving; after the heal the
 * tables reconcile, every copy converges (equal digests), data of the other side is handed off
 * to the current primaries, every value is one that was written, and destroyed sessions stay
 * destroyed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplCluster } from './support/replication-cluster.js';
import { checkFinal, runUntilSettled } from './support/replication-checks.js';
import { Workload } from './support/replication-workload.js';
import { simSeeds, withSeed } from './support/seeds.js';

const config = { partitions: 32, replicas: 2, antiEntropyIntervalMs: 2_000, defaultMaxIdleMs: 600_000 };
const net = { baseDelayMs: 1, jitterMs: 5, dropRate: 0.02, duplicateRate: 0.02 };

test('split into 2 | 3 for 5 s under load, heal: replicas converge, nothing acknowledged is lost', () => {
  for (const seed of simSeeds([201, 202, 203])) {
    withSeed(seed, () => {
      const c = new ReplCluster(seed, config, net);
      const ps = Array.from({ length: 5 }, () => c.start());
      runUntilSettled(c, 10_000);
      const w = new Workload(c);
      const load = w.steady(10, 20);
      c.runFor(3_000, load);
      const cut = 1 + c.random.int(3);
      w.splitMode = true;
      c.partition([ps.slice(0, cut), ps.slice(cut)]);
      c.runFor(5_000, load);
      c.heal();
      runUntilSettled(c, 20_000, load);
      // Writes acknowledged from here on supersede again.
      c.runFor(2_000, load);
      w.splitMode = false;
      c.runFor(3_000, load);
      c.runFor(2 * config.antiEntropyIntervalMs + 500);
      checkFinal(c, w);
      assert.ok(w.acked > 200, `${w.acked} acked`);
    });
  }
});
