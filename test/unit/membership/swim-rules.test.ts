/** The pure SWIM/Lifeguard building blocks: precedence, suspicion timeout, local health, queues. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../src/clock/clock.js';
import { GossipQueue } from '../../../src/membership/gossip-queue.js';
import { LocalHealth } from '../../../src/membership/health.js';
import type { MemberState } from '../../../src/membership/member.js';
import { precedence, type Verdict } from '../../../src/membership/member-list.js';
import { ProbeOrder, sample } from '../../../src/membership/probe-order.js';
import { Suspicion, suspicionTimeoutMs } from '../../../src/membership/suspicion.js';

test('precedence table (current state/incarnation × claim)', () => {
  // [current, claim, verdict]; incarnations: current is always 5.
  const rows: [MemberState | null, MemberState, number, Verdict][] = [
    [null, 'alive', 0, 'apply'],
    [null, 'suspect', 0, 'apply'],
    [null, 'dead', 0, 'apply'],
    [null, 'left', 0, 'apply'],
    // alive i overrides only with a strictly greater incarnation
    ['alive', 'alive', 5, 'ignore'],
    ['alive', 'alive', 6, 'apply'],
    ['suspect', 'alive', 5, 'ignore'],
    ['suspect', 'alive', 6, 'apply'],
    ['dead', 'alive', 5, 'ignore'],
    ['dead', 'alive', 6, 'apply'],
    // suspect i overrides alive at i or more; same suspicion again is a confirmation
    ['alive', 'suspect', 4, 'ignore'],
    ['alive', 'suspect', 5, 'apply'],
    ['alive', 'suspect', 6, 'apply'],
    ['suspect', 'suspect', 4, 'ignore'],
    ['suspect', 'suspect', 5, 'confirm'],
    ['suspect', 'suspect', 6, 'apply'],
    ['dead', 'suspect', 6, 'ignore'],
    // dead overrides alive/suspect at ≥ incarnation
    ['alive', 'dead', 4, 'ignore'],
    ['alive', 'dead', 5, 'apply'],
    ['suspect', 'dead', 5, 'apply'],
    ['suspect', 'dead', 4, 'ignore'],
    ['dead', 'dead', 5, 'ignore'],
    ['dead', 'dead', 6, 'apply'],
    // left is final, and overrides everything
    ['alive', 'left', 0, 'apply'],
    ['suspect', 'left', 5, 'apply'],
    ['dead', 'left', 5, 'apply'],
    ['left', 'alive', 99, 'ignore'],
    ['left', 'suspect', 99, 'ignore'],
    ['left', 'dead', 99, 'ignore'],
    ['left', 'left', 99, 'ignore'],
  ];
  for (const [current, state, incarnation, verdict] of rows) {
    const cur = current === null ? undefined : { state: current, incarnation: 5 };
    assert.equal(precedence(cur, { state, incarnation }), verdict, `${current}@5 + ${state}@${incarnation}`);
  }
});

test('suspicion timeout: max with no confirmations, min at K, log-shaped in between', () => {
  assert.equal(suspicionTimeoutMs(0, 2, 800, 4800), 4800);
  assert.equal(suspicionTimeoutMs(1, 2, 800, 4800), Math.floor(4800 - 4000 * (Math.log(2) / Math.log(3))));
  assert.equal(suspicionTimeoutMs(2, 2, 800, 4800), 800);
  assert.equal(suspicionTimeoutMs(5, 2, 800, 4800), 800, 'never below min');
  assert.equal(suspicionTimeoutMs(0, 0, 800, 4800), 800, 'no confirmations expected: min from the start');
  let previous = Infinity;
  for (let c = 0; c <= 4; c++) {
    const t = suspicionTimeoutMs(c, 4, 1000, 6000);
    assert.ok(t < previous || t === 1000, 'shrinks with each confirmation');
    previous = t;
  }
});

test('a suspicion counts distinct confirmations other than its accuser, up to K', () => {
  const s = new Suspicion(1_000, 3, 'a', 2, 800, 4800);
  assert.equal(s.deadlineMs(), 1_000 + 4800);
  assert.equal(s.confirm('a'), false, 'the accuser does not confirm itself');
  assert.equal(s.confirm('b'), true);
  assert.equal(s.confirm('b'), false, 'counted once');
  assert.equal(s.deadlineMs(), 1_000 + suspicionTimeoutMs(1, 2, 800, 4800));
  assert.equal(s.confirm('c'), true);
  assert.equal(s.confirm('d'), false, 'K reached');
  assert.equal(s.confirmations, 2);
  assert.equal(s.deadlineMs(), 1_800);
  s.graceUntilMs = 2_500;
  assert.equal(s.deadlineMs(), 2_500, 'a stall grace period pushes the deadline');
});

test('local health: clamps to 0..max−1 and scales timeouts by (health + 1)', () => {
  const h = new LocalHealth(8);
  h.apply(-1);
  assert.equal(h.value, 0);
  assert.equal(h.scale(150), 150);
  h.apply(3);
  assert.equal(h.scale(150), 600);
  h.apply(100);
  assert.equal(h.value, 7);
  assert.equal(h.scale(200), 1600);
});

test('gossip queue: least-transmitted first, newest first among equals, dropped after the limit', () => {
  const q = new GossipQueue();
  q.enqueue('a');
  q.enqueue('b', 'x');
  q.enqueue('c');
  assert.deepEqual(q.take(2, 2), [{ id: 'c', by: undefined }, { id: 'b', by: 'x' }]);
  assert.deepEqual(q.take(2, 2).map((u) => u.id), ['a', 'c'], 'a has fewer transmissions now');
  assert.deepEqual(q.take(5, 2).map((u) => u.id), ['b', 'a'], 'c reached the limit and was dropped');
  assert.equal(q.size, 0);
  q.enqueue('a');
  q.take(1, 3);
  q.enqueue('a', 'y');
  assert.deepEqual(q.take(1, 3), [{ id: 'a', by: 'y' }], 'a newer update replaces the older and restarts its count');
  q.remove('a');
  assert.deepEqual(q.take(1, 3), []);
});

test('probe order: every member exactly once per round, in a new random order each round', () => {
  const order = new ProbeOrder(new SeededRandom(7));
  const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
  for (const id of ids) order.add(id);
  const rounds: string[][] = [];
  for (let r = 0; r < 4; r++) rounds.push(ids.map(() => order.next(() => true)!));
  for (const round of rounds) assert.deepEqual([...round].sort(), ids);
  assert.ok(new Set(rounds.map((r) => r.join())).size > 1, 'reshuffled between rounds');
  order.remove('c');
  const next = ids.map(() => order.next(() => true));
  assert.ok(!next.includes('c'));
  assert.equal(order.next((id) => id === 'zz'), undefined, 'nobody eligible');
});

test('sample picks k distinct items', () => {
  const r = new SeededRandom(3);
  const picked = sample([1, 2, 3, 4, 5], 3, r);
  assert.equal(new Set(picked).size, 3);
  assert.deepEqual(sample([1, 2], 5, r).sort(), [1, 2]);
});
