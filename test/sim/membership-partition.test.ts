/** Network partitions and long stalls: each side declares the other dead, then everything re-merges. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MembershipCluster } from './support/membership-cluster.js';
import { simSeeds, withSeed } from './support/seeds.js';

test('10 members split 5/5 for 60 s: each side declares the other dead, then all reconverge after the heal', () => {
  for (const seed of simSeeds([61, 62, 63, 64, 65])) {
    withSeed(seed, () => {
      const c = new MembershipCluster({ seed });
      const members = c.addMembers(10);
      c.runUntil(() => c.converged(), 5_000, () => c.describeViews());
      const a = members.slice(0, 5);
      const b = members.slice(5);
      c.partition([a, b]);
      const sideSeesOtherDead = (x: typeof a, y: typeof a) => x.every((p) => y.every((q) => p.machine.member(q.id)?.state === 'dead'));
      c.runUntil(() => sideSeesOtherDead(a, b) && sideSeesOtherDead(b, a), 10_000, () => c.describeViews());
      c.runFor(60_000 - c.nowMs % 60_000);
      assert.ok(c.converged(a, a) && c.converged(b, b), `each side is healthy on its own: ${c.describeViews()}`);
      c.heal();
      // Gossip to the dead: each member's Sync (every 10 s ±25%) goes to one of its 9 peers, 5 of
      // them dead, so the first cross-partition exchange comes within a few seconds; the refutations
      // then spread by gossip in well under a second. Bound: two sync intervals.
      const tookMs = c.runUntil(() => c.converged(members), 20_000, () => c.describeViews(), 50);
      assert.ok(tookMs < 20_000);
      for (const p of members) assert.equal(p.machine.members().filter((r) => r.state === 'alive').length, 10);
    });
  }
});

test('a member stalled for 3 s is declared dead, then refutes and is alive everywhere again', () => {
  for (const seed of simSeeds([71, 72])) {
    withSeed(seed, () => {
      const c = new MembershipCluster({ seed });
      const members = c.addMembers(6);
      c.runUntil(() => c.converged(), 5_000, () => c.describeViews());
      const stalled = members[4]!;
      const at = c.nowMs;
      c.pause(stalled, 3_000);
      c.runFor(3_000);
      const others = members.filter((p) => p !== stalled);
      assert.ok(c.timeUntilAll(others, stalled, 'dead', at) !== undefined, 'unresponsive for 3 s looks like a crash');
      c.runUntil(() => c.converged(members), 5_000, () => c.describeViews());
      assert.ok(stalled.machine.member(stalled.id)!.incarnation > 0, 'came back by refuting with a higher incarnation');
    });
  }
});
