import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ReplTable } from '../../../src/replication/table.js';
import { type AcceptedTable, type Ballot, Voter, ballotAbove, isMajority, keyOfTable, valueToPropose, votersOf } from '../../../src/replication/table-votes.js';

function table(epoch: number, coordinatorId: string, owners: string[][] = [['a', 'b', 'c']]): ReplTable {
  return { epoch, coordinatorId, coordinatorStartedAtMs: 1, partitions: owners.length, replicas: 3, owners, target: owners };
}

test('a voter promises the highest ballot, accepts unless it promised a higher one, and answers only in its slot', () => {
  const slot = keyOfTable(table(6, 'a'));
  const v = new Voter();
  v.enter(slot);
  assert.deepEqual(v.prepare(keyOfTable(table(5, 'a')), { round: 1, by: 'a' }), { ok: false, wrongSlot: true });
  assert.deepEqual(v.prepare(slot, { round: 2, by: 'a' }), { ok: true, accepted: null });
  assert.deepEqual(v.prepare(slot, { round: 1, by: 'b' }), { ok: false, wrongSlot: false, promised: { round: 2, by: 'a' } });
  assert.deepEqual(v.accept(slot, { round: 1, by: 'b' }, table(7, 'b')), { ok: false, wrongSlot: false, promised: { round: 2, by: 'a' } });
  const t7 = table(7, 'a');
  assert.deepEqual(v.accept(slot, { round: 2, by: 'a' }, t7), { ok: true });
  // A higher ballot learns what was accepted (and must propose it again).
  assert.deepEqual(v.prepare(slot, { round: 3, by: 'b' }), { ok: true, accepted: { ballot: { round: 2, by: 'a' }, table: t7 } });
  // A new committed table starts a new slot.
  v.enter(keyOfTable(t7));
  assert.deepEqual(v.prepare(keyOfTable(t7), { round: 1, by: 'c' }), { ok: true, accepted: null });
});

test('ballots order by round, then proposer; phase 2 proposes the highest accepted table', () => {
  assert.ok(ballotAbove({ round: 2, by: 'a' }, { round: 1, by: 'z' }));
  assert.ok(ballotAbove({ round: 2, by: 'b' }, { round: 2, by: 'a' }));
  assert.ok(ballotAbove({ round: 1, by: 'a' }, null));
  const t1 = table(7, 'a');
  const t2 = table(7, 'b');
  assert.equal(valueToPropose([null, { ballot: { round: 1, by: 'a' }, table: t1 }, { ballot: { round: 3, by: 'b' }, table: t2 }]), t2);
  assert.equal(valueToPropose([null, null]), null);
});

test('voters are the members a table names, minus those that left; a majority is more than half', () => {
  const t = { ...table(3, 'a', [['a', 'b'], ['c', 'a']]), target: [['a', 'b', 'd'], ['c', 'a']] };
  assert.deepEqual(votersOf(t, () => false).sort(), ['a', 'b', 'c', 'd']);
  assert.deepEqual(votersOf(t, (id) => id === 'd').sort(), ['a', 'b', 'c']);
  assert.equal(isMajority(['a', 'b', 'c', 'd'], (id) => id === 'a' || id === 'b'), false);
  assert.equal(isMajority(['a', 'b', 'c'], (id) => id === 'a' || id === 'b'), true);
});

/**
 * Paxos safety under any interleaving: up to three coordinators run both phases against five
 * voters with messages delivered in any order (or never); whenever a table is chosen (a majority
 * accepted it), every table chosen in that slot is the same one.
 */
test('property: competing coordinators never get two different tables chosen in one slot', () => {
  const voters = ['v1', 'v2', 'v3', 'v4', 'v5'];
  const slot = keyOfTable(table(6, 'x', [voters]));
  type Step = { coord: number; kind: 'prepare' | 'accept' | 'restart'; voter: number };
  const kind = fc.oneof({ arbitrary: fc.constant<Step['kind']>('prepare'), weight: 8 }, { arbitrary: fc.constant<Step['kind']>('accept'), weight: 8 }, { arbitrary: fc.constant<Step['kind']>('restart'), weight: 1 });
  const step = fc.record({ coord: fc.integer({ min: 0, max: 2 }), kind, voter: fc.integer({ min: 0, max: 4 }) });
  fc.assert(
    fc.property(fc.array(step, { minLength: 20, maxLength: 200 }), (steps) => {
      const vs = voters.map(() => {
        const v = new Voter();
        v.enter(slot);
        return v;
      });
      const coords = [0, 1, 2].map((i) => ({
        id: `c${i}`,
        ballot: { round: 1, by: `c${i}` } as Ballot,
        plan: table(7, `c${i}`, [voters]),
        promises: new Map<number, AcceptedTable | null>(),
        value: null as ReplTable | null,
      }));
      const acceptedBy = new Map<ReplTable, Set<number>>();
      const chosen = new Set<ReplTable>();
      let maxRound = 1;
      for (const s of steps) {
        const c = coords[s.coord]!;
        if (s.kind === 'restart') {
          c.ballot = { round: ++maxRound, by: c.id };
          c.promises.clear();
          c.value = null;
        } else if (s.kind === 'prepare') {
          const r = vs[s.voter]!.prepare(slot, c.ballot);
          if (r.ok && c.value === null) {
            c.promises.set(s.voter, r.accepted);
            if (c.promises.size >= 3) c.value = valueToPropose(c.promises.values()) ?? c.plan;
          }
        } else if (c.value !== null) {
          if (vs[s.voter]!.accept(slot, c.ballot, c.value).ok) {
            let set = acceptedBy.get(c.value);
            if (set === undefined) acceptedBy.set(c.value, (set = new Set()));
            set.add(s.voter);
            if (set.size >= 3) chosen.add(c.value);
          }
        }
      }
      return chosen.size <= 1;
    }),
    { numRuns: 3000 },
  );
});
