/**
 * Joining: many members through one seed, seeds that start together, discovery merging two
 * clusters. Real Membership machines on the seeded simulated network (support/membership-cluster).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveMembershipConfig } from '../../src/membership/config.js';
import { MembershipCluster } from './support/membership-cluster.js';
import { simSeeds, withSeed } from './support/seeds.js';

test('50 members started at once through one seed all see 50 alive within the anti-entropy bound', () => {
  const config = resolveMembershipConfig();
  // Gossip spreads the newcomers in ~1–2.5 s (measured over hundreds of seeds), but infection-style
  // spread is only probable: about one run in a hundred leaves a member unaware of another until
  // the periodic push-pull Sync (every syncIntervalMs ±25%) or a contact repairs it.
  const boundMs = 1.25 * config.syncIntervalMs + 2_500;
  for (const seed of simSeeds([1, 2, 3])) {
    withSeed(seed, () => {
      const c = new MembershipCluster({ seed });
      const first = c.addMember();
      c.addMembers(49, { seeds: [first] });
      c.runUntil(() => c.converged(), boundMs, () => c.describeViews());
      assert.ok(c.running().every((p) => p.joinedAtMs !== null), 'every member reported joined');
    });
  }
});

test('a joiner retries its seeds until one answers (seed started later)', () => {
  for (const seed of simSeeds([4, 5])) {
    withSeed(seed, () => {
      const c = new MembershipCluster({ seed });
      const seedAddress = { host: '10.9.9.9', port: 7946 };
      const joiner = c.addMember({ seeds: [seedAddress] });
      c.runFor(2_000);
      assert.equal(joiner.machine.isJoined(), false, 'nobody answered yet');
      const seedMember = c.addMember({ address: seedAddress, seeds: [] });
      // joinRetryMs 500 ±25%: the next retry reaches the seed within 625 ms.
      const tookMs = c.runUntil(() => c.converged([joiner, seedMember]), 1_000, () => c.describeViews());
      assert.ok(joiner.joinedAtMs !== null && tookMs <= 700, `joined ${tookMs} ms after the seed started`);
    });
  }
});

test('seeds that list each other and start together form one cluster', () => {
  for (const seed of simSeeds([6, 7])) {
    withSeed(seed, () => {
      const c = new MembershipCluster({ seed });
      const addresses = [0, 1, 2].map((i) => ({ host: `10.1.0.${i + 1}`, port: 7946 }));
      // Each seed lists all three (itself included): it is a cluster of one at once ...
      const seeds = addresses.map((address) => c.addMember({ address, seeds: addresses }));
      assert.ok(seeds.every((s) => s.machine.isJoined()), 'a member that is itself a seed is joined at once');
      // ... and merges with the others; non-seed members join through any of them.
      const others = [c.addMember({ seeds: [addresses[2]!] }), c.addMember({ seeds: [addresses[1]!] })];
      c.runUntil(() => c.converged([...seeds, ...others]), 3_000, () => c.describeViews());
    });
  }
});

test('discovery (addSeeds) merges two separately formed clusters', () => {
  for (const seed of simSeeds([8, 9])) {
    withSeed(seed, () => {
      const c = new MembershipCluster({ seed });
      const a0 = c.addMember({ seeds: [] });
      const a = [a0, ...c.addMembers(4, { seeds: [a0] })];
      const b0 = c.addMember({ seeds: [] });
      const b = [b0, ...c.addMembers(4, { seeds: [b0] })];
      c.runUntil(() => c.converged(a) && c.converged(b), 3_000, () => c.describeViews());
      // Multicast on one member of cluster a hears b0's announcement.
      c.discover(a[3]!, [b0.address]);
      // One push-pull exchange, then gossip spreads each side's members through the other.
      c.runUntil(() => c.converged([...a, ...b]), 3_000, () => c.describeViews());
    });
  }
});
