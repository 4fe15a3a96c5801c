/**
 * Issue #11 defect 4: when every copy of a partition is lost from view (a split, or all its
 * holders down), the coordinator gives it to new, empty owners. They used to answer "not found"
 * for sessions that still existed on the other side: an app logs its user out on that, and a
 * write answered 404 could still show up at the heal. Now they answer ERR_UNAVAILABLE for
 * sessions they do not hold, until the lost holders are back (and hand their copies over) or
 * membership forgets them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplicatorNet } from './support/replicator-net.js';
import { isIncomplete } from '../../../src/replication/table.js';
import { partitionOf } from '../../../src/placement/partition.js';

test('sessions of a partition whose every copy is out of reach are unavailable, not missing; back when a holder returns', () => {
  const net = new ReplicatorNet(['a', 'b', 'c'], { partitions: 8, replicas: 2 });
  for (const id of ['a', 'b', 'c']) net.setView(id);
  net.run(() => net.settled(2));
  const id = net.idOwnedBy('a', ['b', 'c']);
  net.submit('a', 'create', { kind: 'create', id, data: { n: 1 } });
  net.run(() => net.outcomes.has('create'));
  assert.equal(net.outcomes.get('create')?.ok, true);
  // b and c are cut off from a (a split 1 | 2 as a's membership sees it).
  net.cut = (e) => (e.from === 'a') !== (e.to === 'a');
  net.setView('a', { b: 'dead', c: 'dead' });
  const p = partitionOf(id, 8);
  net.run(() => net.rep('a').currentTable()!.owners[p]![0] === 'a', 2_000);
  assert.ok(isIncomplete(net.rep('a').currentTable()!, p), 'the partition is marked incomplete');
  for (const [label, op] of [
    ['get', { kind: 'get', id }],
    ['update', { kind: 'update', id, update: { set: { n: 2 } } }],
    ['touch', { kind: 'touch', id }],
  ] as const) {
    net.submit('a', label, op);
    net.run(() => net.outcomes.has(label), 1_000);
    const out = net.outcomes.get(label);
    assert.equal(out?.ok === false && out.error.code, 'ERR_UNAVAILABLE', `${label}: ${JSON.stringify(out)}`);
  }
  assert.equal(net.rep('a').readLocal(net.nowMs, id), undefined, 'the fast read path declines too');
  // A new session in that partition can still be created there.
  net.submit('a', 'fresh', { kind: 'create', id: id.replace('sess-', 'fres-'), data: {} });
  // The split heals: b is back in a's view, its copy is handed to the new primary.
  net.cut = () => false;
  net.setView('a');
  net.run(() => net.rep('a').store.get(id) !== undefined && !isIncomplete(net.rep('a').currentTable()!, p), 15_000);
  net.submit('a', 'get-after', { kind: 'get', id });
  net.run(() => net.outcomes.has('get-after'), 5_000);
  const after = net.outcomes.get('get-after');
  assert.deepEqual(after?.ok && after.result.kind === 'get' ? after.result.session?.data : after, { n: 1 });
});

test('a partition whose lost holders membership forgot is complete again (its sessions are gone for good)', () => {
  const net = new ReplicatorNet(['a', 'b', 'c'], { partitions: 8, replicas: 2 });
  for (const id of ['a', 'b', 'c']) net.setView(id);
  net.run(() => net.settled(2));
  const id = net.idOwnedBy('a', ['b', 'c']);
  net.down.add('b');
  net.down.add('c');
  net.setView('a', { b: 'dead', c: 'dead' });
  const p = partitionOf(id, 8);
  net.run(() => net.rep('a').currentTable()!.owners[p]![0] === 'a', 2_000);
  assert.ok(isIncomplete(net.rep('a').currentTable()!, p));
  net.setViewOf('a', ['a']);
  net.run(() => !isIncomplete(net.rep('a').currentTable()!, p), 2_000);
  net.submit('a', 'get', { kind: 'get', id });
  net.run(() => net.outcomes.has('get'), 1_000);
  const out = net.outcomes.get('get');
  assert.deepEqual(out?.ok ? out.result : out?.error.code, { kind: 'get', session: null });
});

test('planTable: a partition whose only candidates are returning lost holders is owned by them again, not left without owners', async () => {
  const { planTable } = await import('../../../src/replication/plan.js');
  const members = ['a', 'b', 'c'].map((id) => ({ id, zone: null }));
  // Partition 0 lost every holder once (a and b); both are back, c never held it.
  const committed = {
    epoch: 5,
    coordinatorId: 'a',
    coordinatorStartedAtMs: 1,
    partitions: 1,
    replicas: 2 as const,
    owners: [[] as string[]],
    target: [[] as string[]],
    incomplete: [['a', 'b', 'c']],
  };
  const plan = planTable(committed, members, new Set(), { partitions: 1, replicas: 2 }, new Set(), new Set(['a', 'b', 'c']));
  assert.ok(plan.owners[0]!.length > 0, `owners ${JSON.stringify(plan.owners)}`);
  assert.deepEqual(plan.incomplete[0]!.filter((id) => plan.owners[0]!.includes(id)), [], 'owners are not listed as lost');
});
