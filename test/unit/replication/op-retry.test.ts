/**
 * A write whose primary stops answering is sent again to the next primary. These tests pin
 * down what that retry may and may not do (docs/consistency.md): it is never applied twice
 * when the first application reached the new primary (op keys travel with deltas,
 * applied-ops.ts), and a refusal after an unanswered attempt is reported as indeterminate,
 * never as a definite "did not take effect".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType } from '../../../src/wire/message-types.js';
import { ReplicatorNet } from './support/replicator-net.js';
import { AppliedOps, appliedOpsFromWire, opKey } from '../../../src/replication/applied-ops.js';

const config = { partitions: 8, replicas: 2 as const, opTimeoutMs: 5_000 };

/** a (coordinator), b, c settled; a session owned by [b, c] created through a. */
function setup(): { net: ReplicatorNet; id: string } {
  const net = new ReplicatorNet(['a', 'b', 'c'], config);
  for (const id of ['a', 'b', 'c']) net.setView(id);
  net.run(() => net.settled(2));
  assert.ok(net.settled(2), 'settled');
  const id = net.idOwnedBy('a', ['b', 'c']);
  net.submit('a', 'create', { kind: 'create', id, data: { n: 0 } });
  net.run(() => net.outcomes.has('create'));
  assert.equal(net.outcomes.get('create')?.ok, true);
  return { net, id };
}

/** b dies (as everyone's membership sees it): the coordinator promotes c. */
function killB(net: ReplicatorNet): void {
  net.down.add('b');
  net.setView('a', { b: 'dead' });
  net.setView('c', { b: 'dead' });
}

test('a retried write that the old primary applied and replicated is answered with its first result, not applied again', () => {
  const { net, id } = setup();
  // b applies the increment and replicates it to c; its reply to a is lost, then b dies.
  net.cut = (e) => e.from === 'b' && e.to === 'a' && e.type === MessageType.ReplOpReply;
  net.submit('a', 'incr', { kind: 'update', id, update: { set: { n: 1 } }, ifVersion: 1 });
  net.run(() => net.rep('c').store.get(id)?.version === 2);
  assert.equal(net.rep('c').store.get(id)?.version, 2, 'the backup merged the write');
  killB(net);
  net.run(() => net.outcomes.has('incr'));
  const out = net.outcomes.get('incr');
  // Before op keys were replicated, c applied the retry again: ifVersion 1 ≠ 2 → ERR_VERSION_CONFLICT,
  // a definite refusal of a write that had taken effect.
  assert.deepEqual(out?.ok ? out.result : out?.error.code, { kind: 'update', version: 2, changed: true });
  assert.equal(net.rep('c').store.get(id)?.version, 2, 'applied once');
});

test('a refusal of a retry after an unanswered attempt is indeterminate (ERR_TIMEOUT), never a definite refusal', () => {
  const { net, id } = setup();
  // b applies a's increment but nothing it sends arrives anywhere (its delta to c included).
  net.cut = (e) => e.from === 'b';
  net.submit('a', 'incr', { kind: 'update', id, update: { set: { n: 1 } }, ifVersion: 1 });
  net.run(() => net.rep('b').store.get(id)?.version === 2);
  // Another requester's write at the new primary moves the version on before a's retry lands.
  killB(net);
  net.cut = () => false;
  const aTo = net.hold;
  net.hold = (e) => e.from === 'a' && e.type === MessageType.ReplOp;
  net.run(() => net.rep('c').currentTable()?.owners.some((row) => row[0] === 'c' && row.length === 1) === true, 2_000);
  net.submit('c', 'other', { kind: 'update', id, update: { set: { n: 5 } }, ifVersion: 1 });
  net.run(() => net.outcomes.has('other'));
  assert.equal(net.outcomes.get('other')?.ok, true);
  net.hold = aTo;
  net.release();
  net.run(() => net.outcomes.has('incr'));
  const out = net.outcomes.get('incr');
  assert.equal(out?.ok, false);
  assert.equal(out?.ok === false && out.error.code, 'ERR_TIMEOUT', 'b may have applied it: not a definite refusal');
  assert.equal(out?.ok === false && out.error.details?.refusedWith, 'ERR_VERSION_CONFLICT');
});

test('a write refused before any attempt went unanswered stays a definite refusal', () => {
  const { net, id } = setup();
  net.submit('a', 'stale', { kind: 'update', id, update: { set: { n: 1 } }, ifVersion: 7 });
  net.run(() => net.outcomes.has('stale'));
  const out = net.outcomes.get('stale');
  assert.equal(out?.ok === false && out.error.code, 'ERR_VERSION_CONFLICT');
});

test('AppliedOps: bounded by count and age, keyed per partition; entries from the wire are validated', () => {
  const ops = new AppliedOps(2, 1_000);
  const res = { kind: 'update' as const, version: 3, changed: true };
  ops.record(opKey('m', 1), 4, res, 0);
  ops.record(opKey('m', 2), 4, res, 10);
  assert.deepEqual(ops.lookup('m/1', 4), res);
  assert.equal(ops.lookup('m/1', 5), undefined, 'another partition: not the same op');
  ops.record(opKey('m', 3), 4, res, 20);
  assert.equal(ops.lookup('m/1', 4), undefined, 'oldest dropped beyond maxEntries');
  ops.expire(1_010);
  assert.equal(ops.lookup('m/2', 4), undefined, 'older than the retention');
  assert.deepEqual(ops.lookup('m/3', 4), res);
  assert.deepEqual(appliedOpsFromWire([['k/1', { kind: 'destroy', destroyed: true }]]), [['k/1', { kind: 'destroy', destroyed: true }]]);
  for (const bad of [null, [['', res]], [['k', { kind: 'get', session: null }]], [['k', { kind: 'update', version: -1, changed: true }]], [['k'.repeat(200), res]]]) {
    assert.throws(() => appliedOpsFromWire(bad), /ERR_BAD_FRAME|invalid/);
  }
});
