/**
 * Failure detection on the seeded simulated network: kill -9 (with the transport's hints), silent
 * host loss (no hints), graceful leave, restart under a new id.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveMembershipConfig, silentFailureDetectionBoundMs } from '../../src/membership/config.js';
import { MembershipCluster, type SimProcess } from './support/membership-cluster.js';
import { simSeeds, withSeed } from './support/seeds.js';

function stableCluster(seed: number, n: number): { c: MembershipCluster; members: SimProcess[] } {
  const c = new MembershipCluster({ seed });
  const members = c.addMembers(n);
  c.runUntil(() => c.converged(), 5_000, () => c.describeViews());
  // Let a few protocol rounds pass so the failure does not hit a freshly joined cluster only.
  c.runFor(1_000 + c.random.int(2_000));
  return { c, members };
}

test('kill -9 of one of 5 members: every survivor declares it dead in < 2 s', () => {
  for (const seed of simSeeds([11, 12, 13, 14, 15, 16, 17, 18])) {
    withSeed(seed, () => {
      const { c, members } = stableCluster(seed, 5);
      const victim = members[1 + c.random.int(4)]!;
      const crashedAt = c.nowMs;
      c.crash(victim);
      c.runFor(3_000);
      const survivors = members.filter((p) => p !== victim);
      const tookMs = c.timeUntilAll(survivors, victim, 'dead', crashedAt);
      assert.ok(tookMs !== undefined, `every survivor declared it dead (${c.describeViews()})`);
      assert.ok(tookMs < 2_000, `declared dead by all after ${tookMs} ms`);
      assert.ok(c.converged(survivors), c.describeViews());
    });
  }
});

test('kill -9 on 3 and 10 members: dead everywhere in < 2 s too', () => {
  for (const [seed, n] of simSeeds([21, 22]).flatMap((s) => [[s, 3], [s, 10]] as const)) {
    withSeed(seed, () => {
      const { c, members } = stableCluster(seed, n);
      const victim = members[c.random.int(n)]!;
      const crashedAt = c.nowMs;
      c.crash(victim);
      c.runFor(3_000);
      const tookMs = c.timeUntilAll(members.filter((p) => p !== victim), victim, 'dead', crashedAt);
      assert.ok(tookMs !== undefined && tookMs < 2_000, `n=${n}: declared dead by all after ${tookMs} ms`);
    });
  }
});

test('a silently vanished host (no hints) is declared dead by all within the computed bound', () => {
  const config = resolveMembershipConfig();
  for (const seed of simSeeds([31, 32, 33, 34, 35, 36])) {
    withSeed(seed, () => {
      const n = 5 + (seed % 2) * 5;
      const boundMs = silentFailureDetectionBoundMs(config, n);
      const { c, members } = stableCluster(seed, n);
      const victim = members[c.random.int(n)]!;
      const crashedAt = c.nowMs;
      c.crash(victim, { silent: true });
      c.runFor(boundMs + 1_000);
      const tookMs = c.timeUntilAll(members.filter((p) => p !== victim), victim, 'dead', crashedAt);
      assert.ok(tookMs !== undefined && tookMs <= boundMs, `n=${n}: declared dead by all after ${tookMs} ms, bound ${boundMs} ms`);
    });
  }
});

test('graceful leave: every peer marks it left at once, nobody ever suspects it', () => {
  for (const seed of simSeeds([41, 42, 43])) {
    withSeed(seed, () => {
      const { c, members } = stableCluster(seed, 6);
      const leaver = members[2]!;
      const leftAt = c.nowMs;
      c.leave(leaver);
      c.runFor(5_000);
      const others = members.filter((p) => p !== leaver);
      const tookMs = c.timeUntilAll(others, leaver, 'left', leftAt);
      // Sent directly to each member: one network delay (≤ 1 ms on the simulated LAN).
      assert.ok(tookMs !== undefined && tookMs < 5, `marked left by all after ${tookMs} ms`);
      const accusations = c.changes.filter((e) => e.subject === leaver.id && (e.state === 'suspect' || e.state === 'dead'));
      assert.deepEqual(accusations, [], 'no suspicion or death for a member that left');
      assert.ok(c.converged(others), c.describeViews());
    });
  }
});

test('restart at the same address: a new alive member; the old id is dead and stays dead', () => {
  for (const seed of simSeeds([51, 52, 53])) {
    withSeed(seed, () => {
      const { c, members } = stableCluster(seed, 5);
      const old = members[3]!;
      c.crash(old);
      c.runFor(50);
      const fresh = c.restart(old, { seeds: [members[0]!] });
      assert.notEqual(fresh.id, old.id);
      assert.deepEqual(fresh.address, old.address);
      const survivors = [...members.filter((p) => p !== old), fresh];
      c.runUntil(() => c.converged(survivors), 3_000, () => c.describeViews());
      c.runFor(20_000);
      for (const p of survivors) {
        const view = c.view(p);
        assert.ok(p === fresh ? view.get(old.id)?.state !== 'alive' : view.get(old.id)?.state === 'dead', `${p.name} holds the old id dead`);
        assert.equal(view.get(fresh.id)?.state, 'alive');
      }
      // Never alive again anywhere after its death was first declared (the invariants also check it).
      const firstDeath = Math.min(...c.changes.filter((e) => e.subject === old.id && e.state === 'dead').map((e) => e.atMs));
      assert.deepEqual(c.changes.filter((e) => e.subject === old.id && e.state === 'alive' && e.atMs > firstDeath), []);
    });
  }
});
