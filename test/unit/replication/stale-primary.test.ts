/**
 * A primary that holds a copy written under a newer table epoch than its own is stale (it has not
 * adopted that table yet): it must refuse to write the session (ERR_NOT_PRIMARY, the op is
 * retried) and must not expire it, and it works normally again once it adopts the newer table.
 * See writeStamp (src/session/update.ts) and docs/architecture.md, "Stamps rank by epoch".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../src/clock/clock.js';
import type { MemberRecord } from '../../../src/membership/member.js';
import type { ReplicatorOutput } from '../../../src/replication/outputs.js';
import { Replicator } from '../../../src/replication/replicator.js';
import { partitionOf } from '../../../src/placement/partition.js';
import { tableToWire } from '../../../src/replication/table.js';
import { recordToWire } from '../../../src/session/codec.js';
import { createRecord } from '../../../src/session/update.js';
import { MessageType } from '../../../src/wire/message-types.js';

const PARTITIONS = 8;
const ID = 'AAAAAAAAAAAAAAAAAAAAAA';

function member(id: string, startedAtMs: number): MemberRecord {
  return { id, name: id, address: { host: '127.0.0.1', port: 1 }, httpAddress: null, role: 'member', zone: null, startedAtMs, state: 'alive', incarnation: 0 };
}

const completions = (outs: ReplicatorOutput[]) => outs.filter((o) => o.type === 'complete');
const expired = (outs: ReplicatorOutput[]) => outs.filter((o) => o.type === 'event' && o.event.type === 'sessionExpired');

test('a stale primary neither writes nor expires a session written under a newer epoch, until it adopts that table', () => {
  const a = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(1), config: { partitions: PARTITIONS, replicas: 1 } });
  a.membershipChanged(1000, [member('a', 1)]);
  const table = a.currentTable()!;
  assert.equal(table.owners[partitionOf(ID, PARTITIONS)]![0], 'a');
  // The copy arrives (a hand-off) with a stamp of a newer epoch and an EARLIER wall time: the
  // newer table's primary wrote it, with a clock behind ours.
  const newer = table.epoch + 3;
  const rec = createRecord(ID, { x: 1 }, { stamp: { epoch: newer, wallMs: 900, logical: 0, nodeId: 'z' }, nowMs: 900, maxIdleMs: 1000 });
  const p = partitionOf(ID, PARTITIONS);
  a.receive(1001, 'z', MessageType.ReplHandoff, { p, h: 1, recs: [recordToWire(rec)] });
  assert.deepEqual(a.store.get(ID)?.stamp, rec.stamp);

  // Writes are refused before anything changes: the op waits and is retried (until its deadline),
  // it is never applied.
  const waiting = [
    [1, { kind: 'update', id: ID, update: { set: { x: 2 } } }],
    [2, { kind: 'destroy', id: ID }],
  ] as const;
  for (const [opId, op] of waiting) assert.deepEqual(completions(a.submit(1002, opId, op)), [], `${op.kind} is not completed`);
  assert.equal(a.store.get(ID)!.version, 1);
  assert.deepEqual(a.store.get(ID)!.stamp, rec.stamp);

  // Expiry is due at 900 + 1000 plus the new primary's grace; the stale primary skips it, without
  // throwing. The waiting ops end at their deadline, with an error, never applied.
  const ended: ReplicatorOutput[] = [];
  for (let now = 1100; now <= 12_000; now += 100) {
    const outs = a.tick(now);
    assert.deepEqual(expired(outs), [], `not expired at ${now}`);
    ended.push(...completions(outs));
  }
  assert.deepEqual(
    ended.map((c) => ('error' in c ? c.error.code : 'result')),
    ['ERR_TIMEOUT', 'ERR_TIMEOUT'],
  );
  const kept = a.store.get(ID)!;
  assert.equal(kept.destroyed, false);
  assert.equal(kept.version, 1);
  assert.deepEqual(kept.stamp, rec.stamp);

  // It adopts the newer table (still primary there): the session, idle long since, now expires,
  // with a destroy stamped at the new epoch.
  a.receive(12_001, 'z', MessageType.ReplTable, tableToWire({ ...table, epoch: newer, coordinatorId: 'a' }));
  let sawExpiry = false;
  for (let now = 12_100; now <= 30_000 && !sawExpiry; now += 100) sawExpiry = expired(a.tick(now)).length > 0;
  assert.ok(sawExpiry);
  assert.equal(a.store.get(ID)?.destroyed, true);
  assert.equal(a.store.get(ID)!.stamp.epoch, newer);
});

test('a stale primary answers a remote write with ERR_NOT_PRIMARY, and applies it once it adopts the newer table', () => {
  const a = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(1), config: { partitions: PARTITIONS, replicas: 1 } });
  a.membershipChanged(1000, [member('a', 1)]);
  const table = a.currentTable()!;
  const newer = table.epoch + 1;
  const rec = createRecord(ID, { x: 1 }, { stamp: { epoch: newer, wallMs: 900, logical: 0, nodeId: 'z' }, nowMs: 1000, maxIdleMs: 60_000 });
  a.receive(1001, 'z', MessageType.ReplHandoff, { p: partitionOf(ID, PARTITIONS), h: 1, recs: [recordToWire(rec)] });
  const update = { kind: 'update', id: ID, update: { set: { x: 2 } } };
  const reply = (outs: ReplicatorOutput[]) => outs.find((o) => o.type === 'send' && o.messageType === MessageType.ReplOpReply);
  const refused = reply(a.receive(1002, 'b', MessageType.ReplOp, { r: 1, op: update }));
  assert.ok(refused?.type === 'send');
  assert.equal((refused.body as { code?: string }).code, 'ERR_NOT_PRIMARY');
  assert.equal(a.store.get(ID)!.version, 1);
  a.receive(1003, 'z', MessageType.ReplTable, tableToWire({ ...table, epoch: newer, coordinatorId: 'a' }));
  const applied = reply(a.receive(1004, 'b', MessageType.ReplOp, { r: 2, op: update }));
  assert.ok(applied?.type === 'send');
  assert.equal((applied.body as { ok?: boolean }).ok, true, JSON.stringify(applied.body));
  assert.equal(a.store.get(ID)!.version, 2);
  assert.equal(a.store.get(ID)!.stamp.epoch, newer);
});

test('the primary expires a session written under an older epoch normally', () => {
  const a = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(1), config: { partitions: PARTITIONS, replicas: 1 } });
  a.membershipChanged(1000, [member('a', 1)]);
  const table = a.currentTable()!;
  a.receive(1001, 'z', MessageType.ReplTable, tableToWire({ ...table, epoch: table.epoch + 2, coordinatorId: 'a' }));
  assert.equal(a.currentTable()!.epoch, table.epoch + 2);
  // Written under the older epoch with a LATER wall time (a clock ahead of ours, within the drift bound).
  const rec = createRecord(ID, { x: 1 }, { stamp: { epoch: table.epoch, wallMs: 1500, logical: 0, nodeId: 'z' }, nowMs: 1001, maxIdleMs: 1000 });
  a.receive(1002, 'z', MessageType.ReplHandoff, { p: partitionOf(ID, PARTITIONS), h: 1, recs: [recordToWire(rec)] });
  const [done] = completions(a.submit(1003, 1, { kind: 'update', id: ID, update: { set: { x: 2 } } }));
  assert.ok(done !== undefined && 'result' in done);
  assert.equal(a.store.get(ID)!.stamp.epoch, table.epoch + 2);
  let sawExpiry = false;
  for (let now = 1100; now <= 20_000 && !sawExpiry; now += 100) sawExpiry = expired(a.tick(now)).length > 0;
  assert.ok(sawExpiry);
  assert.equal(a.store.get(ID)?.destroyed, true);
});
