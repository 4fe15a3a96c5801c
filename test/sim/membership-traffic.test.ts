/** SWIM's promise: membership traffic per member per period does not grow with the cluster. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MembershipCluster } from './support/membership-cluster.js';
import { simSeeds, withSeed } from './support/seeds.js';

test('messages sent per member per second are about the same at 10, 25 and 50 members', () => {
  for (const seed of simSeeds([91])) {
    withSeed(seed, () => {
      const rates: number[] = [];
      for (const n of [10, 25, 50]) {
        const c = new MembershipCluster({ seed: seed + n });
        const members = c.addMembers(n);
        c.runUntil(() => c.converged(), 10_000, () => c.describeViews());
        c.runFor(5_000); // let the join news finish spreading
        const before = members.map((p) => p.sent);
        const windowMs = 30_000;
        c.runFor(windowMs);
        const sent = members.reduce((sum, p, i) => sum + p.sent - before[i]!, 0);
        rates.push(sent / n / (windowMs / 1000));
      }
      const ratio = Math.max(...rates) / Math.min(...rates);
      assert.ok(ratio < 1.5, `per-member rates ${rates.map((r) => r.toFixed(1)).join(', ')} msg/s: ratio ${ratio.toFixed(2)}`);
      // Ping + Ack each way per 200 ms period, plus a Sync exchange every 10 s: about 10/s.
      for (const r of rates) assert.ok(r > 8 && r < 14, `rate ${r.toFixed(1)} msg/s`);
    });
  }
});
