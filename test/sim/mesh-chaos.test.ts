/**
 * The real Membership (SWIM) and Replicator machines of every member, composed as node.ts does,
 * on a seeded lossy network (see MeshCluster). A random schedule of faults — kill -9 of up to
 * replicas − 1 members at once followed by restarts under new ids, network splits and heals,
 * bursts of heavy message loss — under a random client workload (ack 'all', quorum 'none').
 *
 * Invariants:
 * - every step: one table per (epoch, coordinator) (at most one primary per partition per epoch);
 *   every read answered returns what was acknowledged (the workload's model; during a split and
 *   until its heal settled, values of both sides are allowed);
 * - after every recovery (membership converged, one table, rows full and at their target): every
 *   acknowledged write is readable at its primary and no destroyed session is live;
 * - at the end: all copies of every partition converge (equal digests), nobody holds copies of a
 *   partition it does not own, and the previous check again.
 *
 * `SIM_SEED=<n> node --test .../mesh-chaos.test.js` replays one seed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MeshCluster, type MeshProcess } from './support/mesh-cluster.js';
import { checkAcknowledged, checkFinal } from './support/replication-checks.js';
import { Workload } from './support/replication-workload.js';
import { simSeeds, withSeed } from './support/seeds.js';
import { lan } from './support/network.js';

const replication = { partitions: 64, replicas: 3 as const, antiEntropyIntervalMs: 2_000, defaultMaxIdleMs: 600_000 };
// A shorter push-pull period than the default 10 s: a healed split re-merges sooner (less virtual time to simulate).
const membership = { syncIntervalMs: 3_000 };
const lossy = { baseDelayMs: 0.5, jitterMs: 5, dropRate: 0.02, duplicateRate: 0.01 };
const MEMBERS = 5;
const ROUNDS = 6;
const SETTLE_MS = 40_000;

function runUntilSettled(c: MeshCluster, load: () => void): number {
  const start = c.nowMs;
  while (!c.settled()) {
    if (c.nowMs - start > SETTLE_MS) c.fail(`not recovered within ${SETTLE_MS} ms: ${c.describe()}`);
    c.runFor(100, load);
  }
  return c.nowMs - start;
}

function pick<T>(c: MeshCluster, xs: T[]): T {
  return xs[c.random.int(xs.length)]!;
}

test('real membership + replication: crashes of up to replicas−1, restarts, splits, heals, loss', () => {
  for (const seed of simSeeds([8, 22, 902, 903])) {
    withSeed(seed, () => {
      const c = new MeshCluster({ seed, replication, membership, network: lossy });
      const first = c.start();
      for (let i = 1; i < MEMBERS; i++) c.start(undefined);
      void first;
      const w = new Workload<MeshProcess>(c);
      const load = w.steady(10, 20);
      runUntilSettled(c, () => {});
      const log: string[] = [];
      const firstAction = c.random.int(3);
      let crashes = 0;
      let splits = 0;
      const withLog = (run: () => void) => {
        try {
          run();
        } catch (err) {
          throw new Error(`${(err as Error).message}\nat ${Math.round(c.nowMs)} ms; schedule:\n${log.join('\n')}\n${c.describe()}`, { cause: err });
        }
      };
      withLog(() => rounds());
      function rounds(): void {
      for (let round = 0; round < ROUNDS; round++) {
        c.runFor(1_000 + c.random.int(1_000), load);
        // Every kind of fault twice per seed, in a seeded order.
        const action = (firstAction + round) % 3;
        if (action === 0) {
          // kill -9 of 1..replicas−1 members at once, restarts (new ids, same addresses) a little later.
          const k = 1 + c.random.int(replication.replicas - 1);
          const victims: MeshProcess[] = [];
          for (let i = 0; i < k; i++) victims.push(pick(c, c.running().filter((p) => !victims.includes(p))));
          for (const v of victims) c.crash(v);
          crashes += k;
          log.push(`${Math.round(c.nowMs)}: crash ${victims.map((v) => v.name).join(',')}`);
          c.runFor(1_000 + c.random.int(3_000), load);
          for (const v of victims) c.restart(v);
        } else if (action === 1) {
          const shuffled = [...c.running()];
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = c.random.int(i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
          }
          const cut = 1 + c.random.int(shuffled.length - 1);
          splits++;
          log.push(`${Math.round(c.nowMs)}: split ${shuffled.slice(0, cut).map((p) => p.name)} | ${shuffled.slice(cut).map((p) => p.name)}`);
          w.splitMode = true;
          c.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
          c.runFor(2_000 + c.random.int(4_000), load);
          c.heal();
          log.push(`${Math.round(c.nowMs)}: heal`);
        } else {
          log.push(`${Math.round(c.nowMs)}: loss burst`);
          c.net.conditions = { ...lossy, dropRate: 0.25 };
          c.runFor(1_000 + c.random.int(2_000), load);
          c.net.conditions = { ...lan, ...lossy };
        }
        const tookMs = runUntilSettled(c, load);
        log.push(`${Math.round(c.nowMs)}: recovered after ${tookMs} ms`);
        if (w.splitMode) {
          // Both sides' copies merge by anti-entropy and handoff after the tables reconciled.
          c.runFor(2 * replication.antiEntropyIntervalMs + 500, load);
          c.runFor(1_000);
          w.splitMode = false;
        }
        checkAcknowledged(c, w, `after round ${round}`);
      }
      }
      c.net.conditions = { ...lan };
      runUntilSettled(c, load);
      c.runFor(2 * replication.antiEntropyIntervalMs + 500);
      checkFinal(c, w);
      assert.deepEqual(c.warnings.slice(0, 5), [], 'correct members never send each other invalid messages');
      assert.ok(crashes + splits >= 2, `only ${crashes} crashes and ${splits} splits: ${log.join('; ')}`);
      assert.ok(w.acked > 300 && w.checkedReads > 50, `little work: ${w.acked} acked, ${w.checkedReads} reads`);
    });
  }
});
