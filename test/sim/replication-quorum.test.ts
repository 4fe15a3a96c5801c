/**
 * quorum 'majority' (3 copies, ack 'all') split 2 | 3 for 5 s under load, then healed.
 * Checked: once the 2-side has noticed the split, every write through it fails with ERR_NO_QUORUM
 * (and its coordinator commits no table); the 3-side keeps serving, every op through it succeeds
 * and its reads return what was acknowledged (strict model, no split mode: nothing the minority
 * did can count as acknowledged). After the heal: convergence, no acknowledged write lost.
 * Reads through the minority during the split are not checked (it may serve stale reads); ops
 * through it fail only while it has no majority (writes: ERR_NO_QUORUM; reads may time out).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplCluster } from './support/replication-cluster.js';
import { checkFinal, runUntilSettled } from './support/replication-checks.js';
import { Workload } from './support/replication-workload.js';
import { simSeeds, withSeed } from './support/seeds.js';

const config = { partitions: 32, replicas: 3, quorum: 'majority' as const, antiEntropyIntervalMs: 2_000, defaultMaxIdleMs: 600_000 };
const net = { baseDelayMs: 1, jitterMs: 5, dropRate: 0.02, duplicateRate: 0.02 };
/** Views reach every member at most 1000 ms after a change (see ReplCluster). */
const DETECTED_MS = 1_100;

test('quorum majority, split 2 | 3: the 2-side refuses writes, the 3-side serves, the heal loses nothing', () => {
  for (const seed of simSeeds([401, 402, 403])) {
    withSeed(seed, () => {
      const c = new ReplCluster(seed, config, net);
      const ps = Array.from({ length: 5 }, () => c.start());
      runUntilSettled(c, 10_000);
      const w = new Workload(c);
      const load = w.steady(5, 15);
      c.runFor(2_000, load);

      const shuffled = [...ps];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = c.random.int(i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      const minority = shuffled.slice(0, 2);
      const majority = shuffled.slice(2);
      const minorityIds = new Set(minority.map((p) => p.id));
      const splitAtMs = c.nowMs;
      let healAtMs = Infinity;
      let minorityWrites = 0;
      let majorityAcked = 0;
      const problems: string[] = [];
      w.observe = (r) => {
        const write = r.kind === 'create' || r.kind === 'update' || r.kind === 'destroy';
        // ERR_NOT_FOUND is right for a session whose destroy failed (it may have been applied);
        // the workload itself fails the run if it concerns a session that must exist.
        const err = r.outcome.ok || r.outcome.error.code === 'ERR_NOT_FOUND' ? 'ok' : r.outcome.error.code;
        if (minorityIds.has(r.via.id)) {
          if (write && r.submittedAtMs >= splitAtMs + DETECTED_MS && r.submittedAtMs < healAtMs) {
            minorityWrites++;
            if (err !== 'ERR_NO_QUORUM') problems.push(`${r.kind} via minority ${r.via.id} at ${Math.round(r.submittedAtMs)}: ${err}`);
          } else if (err !== 'ok' && r.submittedAtMs >= healAtMs + DETECTED_MS) problems.push(`${r.kind} via ${r.via.id} after the heal at ${Math.round(r.submittedAtMs)}: ${err}`);
        } else if (err !== 'ok') problems.push(`${r.kind} via majority ${r.via.id} at ${Math.round(r.submittedAtMs)}: ${err}`);
        else if (r.submittedAtMs >= splitAtMs && r.submittedAtMs < healAtMs) majorityAcked++;
      };
      for (const p of minority) w.uncheckedVia.add(p.id);
      const epochBefore = Math.max(...minority.map((p) => p.rep.currentTable()!.epoch));
      c.partition([minority, majority]);
      c.runFor(5_000, load);
      for (const p of minority) {
        const t = p.rep.currentTable()!;
        assert.ok(t.epoch <= epochBefore || majority.some((q) => q.id === t.coordinatorId), `${p.id} adopted epoch ${t.epoch} by ${t.coordinatorId}, committed in the minority`);
      }
      healAtMs = c.nowMs;
      c.heal();
      // Reads through the former minority are checked again once it has the majority's table.
      runUntilSettled(c, 20_000, load);
      w.uncheckedVia.clear();
      c.runFor(3_000, load);
      c.runFor(2 * config.antiEntropyIntervalMs + 500);
      checkFinal(c, w);
      assert.deepEqual(problems.slice(0, 10), [], `${problems.length} unexpected outcomes`);
      assert.ok(minorityWrites >= 3, `only ${minorityWrites} writes through the minority`);
      assert.ok(majorityAcked > 50, `the majority acknowledged only ${majorityAcked} ops during the split`);
      assert.ok(w.acked > 400 && w.checkedReads > 100, `little work: ${w.acked} acked, ${w.checkedReads} reads`);
    });
  }
});
