import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../src/clock/clock.js';
import type { MemberRecord } from '../../../src/membership/member.js';
import { Replicator } from '../../../src/replication/replicator.js';
import { isNewerTable, tableFromWire, tableToWire } from '../../../src/replication/table.js';
import { MessageType } from '../../../src/wire/message-types.js';

function member(id: string, startedAtMs: number): MemberRecord {
  return { id, name: id, address: { host: '127.0.0.1', port: 1 }, httpAddress: null, role: 'member', zone: null, startedAtMs, state: 'alive', incarnation: 0 };
}

test('a single member commits a table, creates locally and reads its write back', () => {
  const r = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(1), config: { partitions: 8, replicas: 2 } });
  r.membershipChanged(1000, [member('a', 1)]);
  assert.equal(r.currentTable()?.owners.every((row) => row[0] === 'a'), true);
  const [created] = r.submit(1001, 1, { kind: 'create', data: { x: 1 } });
  assert.ok(created?.type === 'complete' && 'result' in created && created.result.kind === 'create');
  const [got] = r.submit(1002, 2, { kind: 'get', id: created.result.id });
  assert.deepEqual(got?.type === 'complete' && 'result' in got ? got.result : got, { kind: 'get', session: { id: created.result.id, version: 1, data: { x: 1 } } });
});

test('untrusted bodies are ignored with a warning, never thrown', () => {
  const r = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(1), config: { partitions: 8 } });
  r.membershipChanged(1000, [member('a', 1), member('b', 2)]);
  const bodies: [number, unknown][] = [
    [MessageType.ReplDelta, { p: 99, s: 1, recs: [] }],
    [MessageType.ReplDelta, { p: 1, s: 'x', recs: [] }],
    [MessageType.ReplDelta, { p: 1, s: 1, recs: [[1, 2, 3]] }],
    [MessageType.ReplOp, { r: 1, op: { kind: 'update', id: 'short' } }],
    [MessageType.ReplTable, { e: -1 }],
    [MessageType.ReplChunk, null],
    [MessageType.ReplDigest, { ds: [['x', 1]] }],
    [999, {}],
  ];
  for (const [type, body] of bodies) {
    const out = r.receive(1001, 'b', type, body);
    assert.ok(out.some((o) => o.type === 'warn'), `type ${type}: ${JSON.stringify(out)}`);
  }
});

test('table wire round trip and order by (epoch, coordinator start, coordinator id)', () => {
  const t = { epoch: 3, coordinatorId: 'a', coordinatorStartedAtMs: 5, partitions: 2, replicas: 2, owners: [['a', 'b'], ['b']], target: [['a', 'b'], ['b', 'a']] };
  assert.deepEqual(tableFromWire(tableToWire(t)), t);
  assert.ok(isNewerTable({ ...t, epoch: 4 }, t));
  assert.ok(isNewerTable({ ...t, coordinatorStartedAtMs: 4 }, t));
  assert.ok(!isNewerTable({ ...t, coordinatorId: 'b' }, t));
  assert.throws(() => tableFromWire({ ...tableToWire(t), o: [[0, 0], [1]] }), /duplicate/);
});
