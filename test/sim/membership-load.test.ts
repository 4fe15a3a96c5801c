/** No false deaths: lossy and jittery network, overloaded processes, short stalls. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MembershipCluster } from './support/membership-cluster.js';
import { simSeeds, withSeed } from './support/seeds.js';

test('5% loss, 0..100 ms jitter, 1% duplicates: no member declared dead by anyone in 10 simulated minutes', () => {
  for (const seed of simSeeds([81, 82])) {
    withSeed(seed, () => {
      const c = new MembershipCluster({ seed });
      const members = c.addMembers(10);
      c.runUntil(() => c.converged(), 5_000, () => c.describeViews());
      c.network.conditions = { baseDelayMs: 0.3, jitterMs: 100, dropRate: 0.05, duplicateRate: 0.01 };
      const from = c.nowMs;
      c.runFor(10 * 60_000);
      const deaths = c.changes.filter((e) => e.atMs >= from && e.state === 'dead');
      assert.deepEqual(deaths.map((e) => e.reason), [], 'no false death');
      // Suspicions do happen on such a network; they must all have been refuted.
      c.network.conditions = { baseDelayMs: 0.3, jitterMs: 0.4, dropRate: 0, duplicateRate: 0 };
      c.runUntil(() => c.converged(members), 5_000, () => c.describeViews());
    });
  }
});

test('5% loss and 100 ms jitter on 25 members: no false death in 2 simulated minutes', () => {
  for (const seed of simSeeds([83])) {
    withSeed(seed, () => {
      const c = new MembershipCluster({ seed });
      c.addMembers(25);
      c.runUntil(() => c.converged(), 5_000, () => c.describeViews());
      c.network.conditions = { baseDelayMs: 0.3, jitterMs: 100, dropRate: 0.05, duplicateRate: 0 };
      const from = c.nowMs;
      c.runFor(2 * 60_000);
      assert.deepEqual(c.changes.filter((e) => e.atMs >= from && e.state === 'dead').map((e) => e.reason), []);
    });
  }
});

test('half the members overloaded (every input handled up to 500 ms late): no false death in 2 simulated minutes', () => {
  for (const seed of simSeeds([84, 85])) {
    withSeed(seed, () => {
      const c = new MembershipCluster({ seed });
      const members = c.addMembers(8);
      c.runUntil(() => c.converged(), 5_000, () => c.describeViews());
      for (const p of members.slice(0, 4)) c.overload(p, 500);
      const from = c.nowMs;
      c.runFor(2 * 60_000);
      assert.deepEqual(c.changes.filter((e) => e.atMs >= from && e.state === 'dead').map((e) => e.reason), []);
    });
  }
});

test('a member whose event loop stalls for 1 s accuses nobody (its expired probes are inconclusive) and is not declared dead', () => {
  for (const seed of simSeeds([86, 87, 88])) {
    withSeed(seed, () => {
      const c = new MembershipCluster({ seed });
      const members = c.addMembers(6);
      c.runUntil(() => c.converged(), 5_000, () => c.describeViews());
      c.runFor(1_000);
      const stalled = members[2]!;
      const from = c.nowMs;
      c.pause(stalled, 1_000);
      // Runs up to and including the resume: its late timers fire first, then its inbox (with
      // the Acks that arrived meanwhile) is processed.
      c.runFor(1_000);
      assert.ok(stalled.machine.localHealth() > 0, 'the stall counts against its own health');
      c.runFor(5_000);
      const accusedByStalled = c.changes.filter((e) => e.atMs >= from && e.observer === stalled.id && e.subject !== stalled.id && e.state !== 'alive');
      assert.deepEqual(accusedByStalled.map((e) => e.reason), [], 'the stalled member suspected nobody');
      assert.deepEqual(c.changes.filter((e) => e.atMs >= from && e.state === 'dead').map((e) => e.reason), [], 'no death');
      assert.ok(c.converged(members), c.describeViews());
    });
  }
});
