/**
 * Graceful leave under load (ack 'all'): a member calls Replicator.leave() (as node.close() does),
 * keeps routing the ops submitted to it, its copies migrate away, and it exits on leaveComplete.
 * Then the coordinator itself leaves (coordination passes to the next-oldest member, which then
 * places a joining member).
 * Checked: not one client op fails (the leavers' included), nothing was pending on a leaver when it
 * exited, it held no session then and no table lists it afterwards; at the end convergence, no
 * acknowledged write lost, no destroyed session back, no orphaned copies.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplCluster, type ReplProcess } from './support/replication-cluster.js';
import { checkFinal, describe, runUntilSettled } from './support/replication-checks.js';
import { Workload } from './support/replication-workload.js';
import { simSeeds, withSeed } from './support/seeds.js';

const net = { baseDelayMs: 1, jitterMs: 5, dropRate: 0.02, duplicateRate: 0.02 };

function leaveAndWait(c: ReplCluster, p: ReplProcess, load: () => void, maxMs: number): number {
  c.leave(p);
  const deadline = c.nowMs + maxMs;
  while (p.up) {
    if (c.nowMs >= deadline) throw new Error(`${p.id} did not complete its leave within ${maxMs} ms: ${describe(c)}`);
    c.runFor(50, load);
  }
  assert.equal(p.heldAtExit, 0, `${p.id} exited holding ${p.heldAtExit} sessions`);
  assert.equal(c.droppedAtExit, 0, `${c.droppedAtExit} client ops were pending on ${p.id} when it exited`);
  return p.leaveCompletedAtMs! - p.leaveStartedAtMs!;
}

function oldest(c: ReplCluster): ReplProcess {
  return c.up().reduce((a, b) => (b.startedAtMs < a.startedAtMs ? b : a));
}

for (const replicas of [2, 3] as const) {
  test(`graceful leave of a member, then of the coordinator, under load (replicas ${replicas}): no op fails, nothing lost`, () => {
    for (const seed of simSeeds([301, 302, 303])) {
      withSeed(seed, () => {
        const config = { partitions: 32, replicas, antiEntropyIntervalMs: 2_000, defaultMaxIdleMs: 600_000 };
        const c = new ReplCluster(seed, config, net);
        for (let i = 0; i < 5; i++) c.start();
        runUntilSettled(c, 10_000);
        const w = new Workload(c);
        const load = w.steady(5, 15);
        c.runFor(2_000, load);

        const coordinator = oldest(c);
        const others = c.up().filter((p) => p !== coordinator);
        const member = others[c.random.int(others.length)]!;
        const tookMember = leaveAndWait(c, member, load, 20_000);
        c.runFor(1_000 + c.random.int(1_000), load);
        const tookCoordinator = leaveAndWait(c, coordinator, load, 20_000);
        const successor = oldest(c);
        // Coordination passed on: a member joining now gets its share from the successor's tables.
        c.runFor(1_000 + c.random.int(1_000), load);
        c.start();

        runUntilSettled(c, 20_000, load);
        c.runFor(2_000, load);
        c.runFor(2 * config.antiEntropyIntervalMs + 500);
        checkFinal(c, w);
        for (const p of c.up()) {
          const t = p.rep.currentTable()!;
          for (const gone of [member, coordinator]) {
            assert.ok(!t.owners.some((r) => r.includes(gone.id)) && !t.target.some((r) => r.includes(gone.id)), `${p.id}'s table still lists ${gone.id}`);
          }
        }
        assert.equal(c.up()[0]!.rep.currentTable()!.coordinatorId, successor.id, 'the next-oldest member coordinates');
        assert.ok(c.up().at(-1)!.rep.currentTable()!.owners.some((r) => r.includes(c.up().at(-1)!.id)), 'the joiner got a share');
        assert.equal(w.failed, 0, `${w.failed} client ops failed (${w.acked} acked): ${w.failures.join('; ')}`);
        assert.ok(w.acked > 500 && w.checkedReads > 100, `little work: ${w.acked} acked, ${w.checkedReads} reads`);
        assert.ok(tookMember < 10_000 && tookCoordinator < 10_000, `leaves took ${tookMember} and ${tookCoordinator} ms`);
      });
    }
  });
}
