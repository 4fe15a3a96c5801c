/**
 * quorum 'majority' with the real SWIM membership (MeshCluster): 5 members, 3 copies, split
 * 2 | 3 or 1 | 4 for 12 s while clients write through every member.
 *
 * Issue #11 defect 1: the far side's members are declared dead one at a time, and each death
 * used to be committed by the minority's coordinator while the others still looked alive; each
 * committed table shrank the voter count (5 → 4 → 3 → 2) until the minority owned every
 * partition and acknowledged writes that the majority was also accepting. (The replication-only
 * simulator, whose views change all at once, never showed it.) Tables now take effect only
 * once a majority of the previous table's voters accepted them (table-votes.ts).
 *
 * Checked: no member of the minority ever adopts a table committed after the cut by a
 * coordinator of the minority; no write submitted through the minority after the cut is
 * acknowledged (every copy set has a member on the majority side, so none can be, unless the
 * minority shrinks its tables); the majority side keeps acknowledging writes; after the heal
 * everyone settles on one table.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MeshCluster, type MeshProcess } from './support/mesh-cluster.js';
import { simSeeds, withSeed } from './support/seeds.js';

const replication = { partitions: 32, replicas: 3 as const, quorum: 'majority' as const };

function settle(c: MeshCluster): void {
  const start = c.nowMs;
  while (!c.settled()) {
    if (c.nowMs - start > 40_000) c.fail(`not settled: ${c.describe()}`);
    c.runFor(100);
  }
}

for (const minoritySize of [2, 1]) {
  test(`quorum 'majority', real membership, split ${minoritySize} | ${5 - minoritySize}: the minority commits no table and acknowledges no write`, () => {
    for (const seed of simSeeds([61, 62, 63, 64])) {
      withSeed(seed, () => {
        const c = new MeshCluster({ seed, replication, network: { baseDelayMs: 0.3, jitterMs: 1 } });
        for (let i = 0; i < 5; i++) c.start();
        settle(c);
        // Which members end up in the minority (the coordinator or not) rotates with the seed.
        const shuffled = c.running().map((_, i, all) => all[(i + seed) % all.length]!);
        const minority = shuffled.slice(0, minoritySize);
        const majority = shuffled.slice(minoritySize);
        const inMinority = new Set(minority.map((p) => p.id));
        const cutAtMs = c.nowMs;
        const epochAtCut = Math.max(...c.running().map((p) => p.rep.currentTable()!.epoch));
        c.partition([minority, majority]);
        const results = { minorityOk: [] as string[], majorityOk: 0, minorityTables: [] as string[] };
        let next = 0;
        const write = (via: MeshProcess) => {
          const at = Math.round(c.nowMs);
          c.submit(via, { kind: 'create', data: { at } }, (o) => {
            if (!o.ok) return;
            if (inMinority.has(via.id)) results.minorityOk.push(`${via.name} at ${at}`);
            else results.majorityOk++;
          });
        };
        c.runFor(12_000, () => {
          if (c.nowMs < next) return;
          next = c.nowMs + 50;
          for (const p of c.running()) write(p);
          for (const p of minority) {
            const t = p.rep.currentTable()!;
            if (t.epoch > epochAtCut && inMinority.has(t.coordinatorId)) results.minorityTables.push(`${p.name}: epoch ${t.epoch} by ${t.coordinatorId.slice(0, 4)}`);
          }
        });
        assert.deepEqual([...new Set(results.minorityTables)].slice(0, 5), [], 'the minority committed tables of its own');
        assert.deepEqual(results.minorityOk.slice(0, 5), [], `${results.minorityOk.length} writes acknowledged by the minority after the cut at ${Math.round(cutAtMs)}`);
        assert.ok(results.majorityOk > 100, `the majority acknowledged only ${results.majorityOk} writes`);
        c.heal();
        settle(c);
      });
    }
  });
}
