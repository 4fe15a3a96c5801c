/** The coordinator's planning step (src/replication/plan.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planTable } from '../../../src/replication/plan.js';
import type { ReplTable } from '../../../src/replication/table.js';

const opts = { partitions: 271, replicas: 3 as const };

function settled(n: number): { live: { id: string; zone: null }[]; table: ReplTable } {
  const live = Array.from({ length: n }, (_, i) => ({ id: `m${i}`, zone: null }));
  const first = planTable(null, live, new Set(), opts);
  return { live, table: { epoch: 1, coordinatorId: 'm0', coordinatorStartedAtMs: 1, partitions: 271, replicas: 3, owners: first.owners, target: first.target } };
}

test('a dead primary: its first surviving backup is primary in the committed rows AND stays primary in the target (no second handover)', () => {
  // Before plan.ts passed the unfiltered rows to placement, 3 of these partitions got another
  // target primary (placement saw no death, so nothing was locked in, and swapped it for balance).
  let led = 0;
  for (const n of [3, 4, 5, 7, 10]) {
    const { live, table } = settled(n);
    for (const victim of live) {
      const plan = planTable(table, live.filter((m) => m !== victim), new Set(), opts);
      for (let p = 0; p < opts.partitions; p++) {
        const survivors = table.owners[p]!.filter((id) => id !== victim.id);
        assert.ok(!plan.owners[p]!.includes(victim.id), `n=${n} partition ${p}: dead owners leave the committed row at once`);
        if (table.owners[p]![0] !== victim.id) continue;
        led++;
        assert.equal(plan.owners[p]![0], survivors[0], `n=${n} partition ${p}: the first surviving backup is promoted`);
        assert.equal(plan.target[p]![0], survivors[0], `n=${n} partition ${p}: the promoted backup stays primary in the target`);
        assert.ok(!plan.target[p]!.includes(victim.id));
      }
    }
  }
  assert.ok(led > 1000);
});

test('a migration whose every target member died falls back to the committed owners', () => {
  const table: ReplTable = { epoch: 5, coordinatorId: 'a', coordinatorStartedAtMs: 1, partitions: 2, replicas: 2, owners: [['a', 'b'], ['b', 'a']], target: [['c', 'd'], ['b', 'a']] };
  const plan = planTable(table, [{ id: 'a', zone: null }, { id: 'b', zone: null }], new Set(), { partitions: 2, replicas: 2 });
  assert.deepEqual(plan.owners, [['a', 'b'], ['b', 'a']]);
  assert.deepEqual(plan.target, [['a', 'b'], ['b', 'a']]);
});
