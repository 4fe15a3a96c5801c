/** Coordinator rules of the Replicator found by the mesh simulator (test/sim/mesh-chaos.test.ts), one regression test each. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../src/clock/clock.js';
import type { MemberRecord, MemberState } from '../../../src/membership/member.js';
import type { ReplicatorOutput } from '../../../src/replication/outputs.js';
import { Replicator } from '../../../src/replication/replicator.js';
import { type ReplTable, tableToWire } from '../../../src/replication/table.js';
import { MessageType } from '../../../src/wire/message-types.js';

function member(id: string, startedAtMs: number, state: MemberState = 'alive'): MemberRecord {
  return { id, name: id, address: { host: '127.0.0.1', port: 1 }, httpAddress: null, role: 'member', zone: null, startedAtMs, state, incarnation: 0 };
}

function commits(out: ReplicatorOutput[]): number {
  return out.filter((o) => o.type === 'event' && o.event.type === 'table' && o.event.committedByMe).length;
}

const clusterTable: ReplTable = {
  epoch: 109,
  coordinatorId: 'a',
  coordinatorStartedAtMs: 1,
  partitions: 4,
  replicas: 2,
  owners: [['a', 'b'], ['b', 'a'], ['a', 'b'], ['b', 'a']],
  target: [['a', 'b'], ['b', 'a'], ['a', 'b'], ['b', 'a']],
};

test('a joiner that adopts the cluster table before its view knows the members commits nothing (it would take every partition, empty)', () => {
  const n = new Replicator({ selfId: 'n', startedAtMs: 50, random: new SeededRandom(1), config: { partitions: 4, replicas: 2 } });
  // Membership not joined yet: the view holds only itself, so it is its own coordinator.
  assert.equal(commits(n.membershipChanged(1000, [member('n', 50)])), 1);
  const out = n.receive(1001, 'a', MessageType.ReplTable, tableToWire(clusterTable));
  assert.equal(n.currentTable()?.epoch, 109, 'adopts the newer table');
  assert.equal(commits(out), 0, 'no table of its own on top of it');
  assert.equal(commits(n.tick(3000)), 0, 'not on the refresh tick either');
  // Once the view knows a and b (joined), a is the coordinator: still nothing from n.
  assert.equal(commits(n.membershipChanged(3100, [member('a', 1), member('b', 2), member('n', 50)])), 0);
});

test('a coordinator whose view knows the table members (even as dead) still plans their failure', () => {
  const b = new Replicator({ selfId: 'b', startedAtMs: 2, random: new SeededRandom(1), config: { partitions: 4, replicas: 2 } });
  b.membershipChanged(1000, [member('a', 1), member('b', 2)]);
  b.receive(1001, 'a', MessageType.ReplTable, tableToWire(clusterTable));
  const out = b.membershipChanged(2000, [member('a', 1, 'dead'), member('b', 2)]);
  assert.equal(commits(out), 1);
  assert.ok(b.currentTable()!.owners.every((row) => row.length === 1 && row[0] === 'b'), 'promoted at once');
});

test("quorum 'majority' counts the members the committed table names, not every dead id membership still remembers", () => {
  const config = { partitions: 4, replicas: 2 as const, quorum: 'majority' as const };
  const table = (owners: string[][]): ReplTable => ({ ...clusterTable, replicas: 2, owners, target: owners });
  const created = (out: ReplicatorOutput[]) => out.find((o) => o.type === 'complete');
  // A rolling restart: x, y were replaced long ago (the table no longer names them) but are still known as dead.
  const a = new Replicator({ selfId: 'a', startedAtMs: 5, random: new SeededRandom(1), config });
  a.membershipChanged(1000, [member('x', 1, 'dead'), member('y', 2, 'dead'), member('a', 5), member('b', 6)]);
  a.receive(1001, 'b', MessageType.ReplTable, tableToWire(table([['a', 'b'], ['b', 'a'], ['a', 'b'], ['b', 'a']])));
  const ok = created(a.submit(1002, 1, { kind: 'create', id: 'AAAAAAAAAAAAAAAAAAAAAA', data: {} }));
  assert.ok(ok === undefined || !('error' in ok) || ok.error.code !== 'ERR_NO_QUORUM', JSON.stringify(ok));
  // A split minority: the table still names c, d, e (dead in this view): 2 of 5 votes.
  const m = new Replicator({ selfId: 'a', startedAtMs: 5, random: new SeededRandom(1), config });
  m.membershipChanged(1000, [member('a', 5), member('b', 6), member('c', 7, 'dead'), member('d', 8, 'dead'), member('e', 9, 'dead')]);
  m.receive(1001, 'c', MessageType.ReplTable, tableToWire(table([['a', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'b']])));
  const refused = created(m.submit(1002, 1, { kind: 'create', data: {} }));
  assert.ok(refused !== undefined && 'error' in refused && refused.error.code === 'ERR_NO_QUORUM', JSON.stringify(refused));
});
