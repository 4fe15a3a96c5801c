import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ReplTable } from '../../../src/replication/table.js';
import { type Accepted, isMajority, keyOfTable, voteOn, votersOf } from '../../../src/replication/table-votes.js';

function table(epoch: number, coordinatorId: string, owners: string[][] = [['a', 'b', 'c']], coordinatorStartedAtMs = 1): ReplTable {
  return { epoch, coordinatorId, coordinatorStartedAtMs, partitions: owners.length, replicas: 3, owners, target: owners };
}

test('a voter accepts a newer proposal built on its committed table, and refuses one that is not', () => {
  const c6 = table(6, 'a');
  assert.deepEqual(voteOn(table(7, 'a'), keyOfTable(c6), c6, null), { accept: true });
  assert.deepEqual(voteOn(table(6, 'b'), keyOfTable(c6), c6, null), { accept: false, committed: c6 }, 'not newer');
  assert.deepEqual(voteOn(table(9, 'b'), keyOfTable(table(5, 'b')), c6, null), { accept: false, committed: c6 }, 'built on an older table');
  assert.deepEqual(voteOn(table(9, 'b'), null, c6, null), { accept: false, committed: c6 }, 'built on nothing');
  assert.deepEqual(voteOn(table(1, 'b'), null, null, null), { accept: true }, 'a first table');
});

test('one proposal per epoch; a later one must build on the proposal the voter accepted', () => {
  const c6 = table(6, 'a');
  const a7: Accepted = { table: table(7, 'a'), base: keyOfTable(c6) };
  assert.deepEqual(voteOn(table(7, 'b'), keyOfTable(c6), c6, a7), { accept: false, accepted: a7 }, 'same epoch, other coordinator');
  assert.deepEqual(voteOn(table(8, 'b'), keyOfTable(c6), c6, a7), { accept: false, accepted: a7 }, 'not built on the accepted one');
  assert.deepEqual(voteOn(table(8, 'b'), keyOfTable(a7.table), c6, a7), { accept: true });
  assert.deepEqual(voteOn(a7.table, keyOfTable(c6), c6, a7), { accept: true }, 'the same proposal again (a retransmission)');
  // A committed table newer than the accepted proposal frees the voter from it.
  const c9 = table(9, 'c');
  assert.deepEqual(voteOn(table(10, 'c'), keyOfTable(c9), c9, a7), { accept: true });
});

test('voters are the members a table names, minus those that left; a majority is more than half', () => {
  const t = { ...table(3, 'a', [['a', 'b'], ['c', 'a']]), target: [['a', 'b', 'd'], ['c', 'a']] };
  assert.deepEqual(votersOf(t, () => false).sort(), ['a', 'b', 'c', 'd']);
  assert.deepEqual(votersOf(t, (id) => id === 'd').sort(), ['a', 'b', 'c']);
  assert.equal(isMajority(['a', 'b', 'c', 'd'], (id) => id === 'a' || id === 'b'), false);
  assert.equal(isMajority(['a', 'b', 'c'], (id) => id === 'a' || id === 'b'), true);
});

test('property: two competing proposals on one committed table never both gather a majority, whatever the order of delivery', () => {
  const voters = ['a', 'b', 'c', 'd', 'e'];
  const base = table(6, 'a', [voters]);
  const proposal = fc.record({ epoch: fc.integer({ min: 7, max: 9 }), coordinatorId: fc.constantFrom('a', 'b', 'c'), onFirst: fc.boolean() });
  fc.assert(
    fc.property(proposal, proposal, fc.array(fc.tuple(fc.constantFrom(...voters), fc.integer({ min: 0, max: 1 })), { maxLength: 20 }), (x, y, deliveries) => {
      const p1 = table(x.epoch, x.coordinatorId, [voters]);
      const p2raw = table(y.epoch, y.coordinatorId, [voters]);
      fc.pre(keyOfTable(p1).epoch !== p2raw.epoch || p1.coordinatorId !== p2raw.coordinatorId);
      // The second may be built on the committed table, or on the first (then it is a successor, not a competitor).
      const successor = y.onFirst && p2raw.epoch > p1.epoch;
      const proposals = [
        { t: p1, base: keyOfTable(base) },
        { t: p2raw, base: successor ? keyOfTable(p1) : keyOfTable(base) },
      ];
      const accepted = new Map<string, Accepted | null>(voters.map((v) => [v, null]));
      const votes = [new Set<string>(), new Set<string>()];
      for (const [v, i] of deliveries) {
        const pr = proposals[i]!;
        const vote = voteOn(pr.t, pr.base, base, accepted.get(v)!);
        if (vote.accept) {
          accepted.set(v, { table: pr.t, base: pr.base });
          votes[i]!.add(v);
        }
      }
      const committed = votes.map((s) => isMajority(voters, (v) => s.has(v)));
      // Both may commit only when the second is built on the first (a chain, not a conflict).
      return !(committed[0] && committed[1]) || successor;
    }),
    { numRuns: 2000 },
  );
});
