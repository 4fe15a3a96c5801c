/**
 * Table churn on a plain start: 3 members (default 271 partitions, 2 copies) with the real
 * membership and replication machines. Every committed table is broadcast to every member, so
 * the epoch count is also a message count. Finished migrations are committed together (at most
 * one table per `tableCommitBatchMs`); before that batching, this start took 286 epochs (seed 31; ~450 on a real 3-process start).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MeshCluster } from './support/mesh-cluster.js';
import { simSeeds, withSeed } from './support/seeds.js';

const MAX_EPOCHS = 20;

test(`a 3-member start settles within ${MAX_EPOCHS} epochs`, () => {
  for (const seed of simSeeds([31, 32, 33])) {
    withSeed(seed, () => {
      const c = new MeshCluster({ seed, replication: { replicas: 2 }, network: { baseDelayMs: 0.3, jitterMs: 0.4 } });
      for (let i = 0; i < 3; i++) {
        c.start();
        c.runFor(200);
      }
      const startMs = c.nowMs;
      while (!c.settled()) {
        if (c.nowMs - startMs > 20_000) c.fail(`not settled: ${c.describe()}`);
        c.runFor(50);
      }
      const epoch = c.running()[0]!.rep.currentTable()!.epoch;
      console.log(`seed ${seed}: settled at epoch ${epoch}, ${c.tables.size} tables, ${Math.round(c.nowMs - startMs)} ms after the last start`);
      assert.ok(epoch <= MAX_EPOCHS, `epoch ${epoch}`);
    });
  }
});
