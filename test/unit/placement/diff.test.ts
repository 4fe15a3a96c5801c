import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isSessionMeshError } from '../../../src/errors.js';
import { computeTable } from '../../../src/placement/assignment.js';
import { diffTables } from '../../../src/placement/diff.js';
import { runs, scenario } from './fixtures.js';

const table = (owners: string[][]) => ({ partitions: owners.length, owners });

describe('diffTables', () => {
  it('classifies promotions, demotions, gains and losses', () => {
    const before = table([
      ['a', 'b', 'c'],
      ['b', 'c', 'a'],
      ['c', 'a', 'b'],
    ]);
    // a died: partition 0 promotes b; c takes over as backup rank 1 on p1 (rank moves are not
    // changes); d joins as a backup of p0 and p2 and as the primary of p1.
    const after = table([
      ['b', 'c', 'd'],
      ['d', 'b', 'c'],
      ['c', 'b', 'd'],
    ]);
    const diff = diffTables(before, after);
    assert.deepEqual([...diff.keys()], ['a', 'b', 'd']); // c only changed backup rank
    assert.deepEqual(diff.get('a'), { promoted: [], demoted: [], gainedPrimary: [], gainedBackup: [], lostPrimary: [0], lostBackup: [1, 2] });
    assert.deepEqual(diff.get('b'), { promoted: [0], demoted: [1], gainedPrimary: [], gainedBackup: [], lostPrimary: [], lostBackup: [] });
    assert.deepEqual(diff.get('d'), { promoted: [], demoted: [], gainedPrimary: [1], gainedBackup: [0, 2], lostPrimary: [], lostBackup: [] });
  });

  it('omits members without changes and refuses tables of different sizes', () => {
    const t = table([['a', 'b']]);
    assert.equal(diffTables(t, t).size, 0);
    assert.throws(() => diffTables(t, table([['a', 'b'], ['b', 'a']])), (e: unknown) => isSessionMeshError(e, 'ERR_CONFIG'));
  });

  it('accounts for every change between two computed tables', () => {
    fc.assert(
      fc.property(scenario({ zoned: false, minMembers: 2, maxMembers: 20 }), fc.nat(), (s, pick) => {
        const opts = { partitions: s.partitions, replicas: s.replicas };
        const before = computeTable(null, s.members, opts);
        const rest = s.members.filter((_, i) => i !== pick % s.members.length);
        const after = computeTable({ partitions: s.partitions, owners: before }, [...rest, { id: 'joiner', zone: null }], opts);
        const diff = diffTables(table(before), table(after));
        // Rebuild each member's roles from the diff and compare with the new table.
        for (let p = 0; p < s.partitions; p++) {
          const primaryNow = [...diff].filter(([, c]) => c.promoted.includes(p) || c.gainedPrimary.includes(p)).map(([id]) => id);
          const expected = after[p]![0] !== before[p]![0] ? [after[p]![0]] : [];
          assert.deepEqual(primaryNow, expected);
          const streamed = [...diff].filter(([, c]) => c.gainedPrimary.includes(p) || c.gainedBackup.includes(p)).map(([id]) => id);
          assert.deepEqual(streamed.sort(), after[p]!.filter((id) => !before[p]!.includes(id)).sort());
          const dropped = [...diff].filter(([, c]) => c.lostPrimary.includes(p) || c.lostBackup.includes(p)).map(([id]) => id);
          assert.deepEqual(dropped.sort(), before[p]!.filter((id) => !after[p]!.includes(id)).sort());
        }
      }),
      runs(40),
    );
  });
});
