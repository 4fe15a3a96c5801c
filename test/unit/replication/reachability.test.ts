/**
 * Issue #11 defect 6: in a non-transitive split every member stays alive in every view (the
 * bridge relays indirect probes), so tables never changed and every write whose primary and
 * backup sat on opposite sides of the cut waited its full opTimeoutMs. The primary now reports
 * a live backup that leaves its deltas unanswered, and the coordinator takes it out of that
 * primary's rows (reachability.ts, plan.ts rule 6).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplicatorNet } from './support/replicator-net.js';
import { CutReports, Unreachable } from '../../../src/replication/reachability.js';
import { partitionOf } from '../../../src/placement/partition.js';

test('a write whose backup is alive but cut off from its primary completes once the coordinator drops that backup from the row', () => {
  const net = new ReplicatorNet(['a', 'b', 'c', 'd'], { partitions: 8, replicas: 2, opTimeoutMs: 5_000 });
  for (const id of ['a', 'b', 'c', 'd']) net.setView(id);
  net.run(() => net.settled(2));
  const id = net.idOwnedBy('a', ['b', 'c']);
  net.submit('a', 'create', { kind: 'create', id, data: { n: 0 } });
  net.run(() => net.outcomes.has('create'));
  // b and c cannot talk to each other; everyone else reaches both (a bridge: views stay all alive).
  net.cut = (e) => (e.from === 'b' && e.to === 'c') || (e.from === 'c' && e.to === 'b');
  const startMs = net.nowMs;
  net.submit('b', 'write', { kind: 'update', id, update: { set: { n: 1 } } });
  net.run(() => net.outcomes.has('write'), 6_000);
  const out = net.outcomes.get('write');
  assert.deepEqual(out?.ok ? out.result : out?.error.code, { kind: 'update', version: 2, changed: true });
  const tookMs = net.nowMs - startMs;
  assert.ok(tookMs < 3_000, `completed after ${tookMs} ms (unreachableAfterMs 1000 + a table), not at the op timeout`);
  const row = net.rep('a').currentTable()!.owners[partitionOf(id, 8)]!;
  assert.equal(row[0], 'b');
  assert.ok(!row.includes('c'), `c left b's row: ${row.join()}`);
});

test('Unreachable lists peers owing an ack for long enough; CutReports expire', () => {
  const u = new Unreachable();
  u.sent('x', 0);
  u.sent('x', 500);
  u.sent('y', 600);
  assert.deepEqual(u.list(1_000, 1_000, () => true), ['x'], 'x owes since 0, y only since 600');
  u.answered('x');
  assert.deepEqual(u.list(2_000, 1_000, () => true), ['y']);
  assert.deepEqual(u.list(2_000, 1_000, () => false), [], 'nothing owed any more');
  const r = new CutReports();
  assert.equal(r.report('p', ['x'], 100), true);
  assert.equal(r.report('p', ['x'], 200), false, 'same report renewed: no change');
  assert.equal(r.cut('p', 'x'), true);
  assert.equal(r.cut('x', 'p'), false);
  assert.equal(r.expire(150), false);
  assert.equal(r.expire(200), true);
  assert.equal(r.cut('p', 'x'), false);
});
