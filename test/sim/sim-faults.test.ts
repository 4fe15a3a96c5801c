/**
 * The simulator's fault primitives do what the consistency sweeps rely on: cut links make a
 * non-transitive relation, late duplicates arrive 100 ms–3 s later and draw nothing when off,
 * a paused member runs nothing and takes its backlog on resume, clock skew offsets each member's
 * clock without moving its timers in virtual time, and a crash tells the peers' replicators.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../src/clock/clock.js';
import { MeshCluster } from './support/mesh-cluster.js';
import { NetworkModel, lan } from './support/network.js';

function settle(c: MeshCluster, limitMs = 30_000): void {
  const start = c.nowMs;
  while (!c.settled()) {
    if (c.nowMs - start > limitMs) c.fail(`not settled: ${c.describe()}`);
    c.runFor(100);
  }
}

test('cut links: a bridge reaches both sides, the sides do not reach each other; heal restores all', () => {
  const n = new NetworkModel(new SeededRandom(1));
  n.cut([['a', 'b']]);
  assert.equal(n.connected('a', 'b'), false);
  assert.equal(n.connected('b', 'a'), false);
  assert.equal(n.connected('a', 'x'), true);
  assert.equal(n.connected('x', 'b'), true);
  assert.equal(n.partitioned, true);
  assert.deepEqual(n.fate('a', 'b'), []);
  n.heal();
  assert.equal(n.connected('a', 'b'), true);
  assert.equal(n.partitioned, false);
  n.partition([['a'], ['b', 'x']]);
  assert.equal(n.connected('a', 'x'), false);
  assert.equal(n.connected('b', 'x'), true);
});

test('late duplicates: only for messages marked late, 100 ms–3 s later; off draws no random number', () => {
  const n = new NetworkModel(new SeededRandom(2), { ...lan, lateDuplicateRate: 1, lateDuplicateMinMs: 100, lateDuplicateMaxMs: 3_000 });
  for (let i = 0; i < 50; i++) {
    const d = n.fate('a', 'b', true);
    assert.equal(d.length, 2);
    assert.ok(d[1]! >= 100 && d[1]! <= 3_000, `late copy after ${d[1]} ms`);
    assert.equal(n.fate('a', 'b', false).length, 1);
  }
  // Same seed, rate 0 vs. no such field: the same fates (old seeds replay unchanged).
  const off = new NetworkModel(new SeededRandom(3), { ...lan, jitterMs: 5, lateDuplicateRate: 0 });
  const before = new NetworkModel(new SeededRandom(3), { ...lan, jitterMs: 5 });
  for (let i = 0; i < 20; i++) assert.deepEqual(off.fate('a', 'b', true), before.fate('a', 'b', false));
});

test('pause: a paused member runs nothing, its inputs wait; resume delivers them and its timers run again', () => {
  const c = new MeshCluster({ seed: 7, replication: { partitions: 8, replicas: 2 } });
  const [a, b] = [c.start(), c.start(), c.start()];
  settle(c);
  const tableBefore = b!.rep.currentTable()!.epoch;
  c.pause(b!);
  const results: string[] = [];
  c.submit(b!, { kind: 'create', data: { x: 1 } }, (o) => results.push(o.ok ? 'ok' : o.error.code));
  c.runFor(8_000);
  assert.deepEqual(results, [], 'a request to a paused member is not answered while it is paused');
  assert.ok(b!.inbox.length > 10, `messages wait in the inbox (${b!.inbox.length})`);
  assert.equal(b!.rep.currentTable()!.epoch, tableBefore, 'the paused member adopted no table');
  let deadInA = false;
  a!.membership.forEachMember((m) => void (m.id === b!.id && m.state === 'dead' && (deadInA = true)));
  assert.ok(deadInA, 'the others declared the paused member dead (it answered no probe)');
  c.resume(b!);
  assert.equal(b!.inbox.length, 0);
  c.runFor(6_000);
  assert.equal(results.length, 1, 'the queued request completed after the resume');
  assert.ok(b!.rep.currentTable()!.epoch > tableBefore, 'its timers and inputs run again');
});

test('clock skew: each member reads its own offset clock, within the bound; timers still fire and the cluster settles', () => {
  const c = new MeshCluster({ seed: 9, replication: { partitions: 8, replicas: 2 }, maxClockSkewMs: 2_000 });
  const ps = [c.start(), c.start(), c.start(), c.start()];
  settle(c);
  const offsets = ps.map((p) => c.clockOf(p) - c.nowMs);
  assert.ok(new Set(offsets).size > 1, `members have different clocks: ${offsets.join(',')}`);
  // Offsets are stored as maxSkew + skew (never negative): differences stay within 2 × bound.
  assert.ok(Math.max(...offsets) - Math.min(...offsets) <= 4_000, `skews within ±2 s: ${offsets.join(',')}`);
  const sent = c.sent.membership;
  c.runFor(2_000);
  // SWIM probes every 200 ms per member: a timer running off the skewed clock would stall or rush.
  const perMemberPerSecond = (c.sent.membership - sent) / ps.length / 2;
  assert.ok(perMemberPerSecond > 5 && perMemberPerSecond < 20, `membership messages per member per second: ${perMemberPerSecond}`);
});

test("crash: the peers' replicators hear peerDisconnected (near-cache entries served by the dead member are dropped)", () => {
  const c = new MeshCluster({ seed: 11, replication: { partitions: 8, replicas: 2, nearCacheEntries: 100 } });
  const ps = [c.start(), c.start(), c.start()];
  settle(c);
  const calls: string[] = [];
  for (const p of ps) {
    const original = p.rep.peerDisconnected.bind(p.rep);
    p.rep.peerDisconnected = (now, peer) => {
      calls.push(`${p.name}<-${peer === ps[0]!.id ? 'victim' : peer}`);
      return original(now, peer);
    };
  }
  c.crash(ps[0]!);
  c.runFor(100);
  assert.deepEqual(calls.sort(), ['m1<-victim', 'm2<-victim']);
});
