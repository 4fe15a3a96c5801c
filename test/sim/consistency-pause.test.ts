/**
 * Process pause (SIGSTOP 3–8 s) of the primary of a workload session, under the consistency
 * workload (unique-key adds, deletes, read-modify-write increments with ifVersion), checked by
 * THE checker (test/helpers/consistency/checker.ts). While paused the member's timers do not run
 * and everything sent to it waits; on resume it handles the whole backlog at once (MeshCluster).
 *
 * AP (default settings: ack all, replicas 2, no quorum): the checker applies the durability
 * guarantees (acknowledged adds present, acknowledged deletes stay deleted, no 404 for a session
 * that exists, refusals never applied); a pause in AP is a split in time, so versions and the
 * counter are only counted. Under quorum 'majority' (replicas 3) versions and the counter are
 * guarantees too.
 *
 * `SIM_SEED=<n>` replays one seed; `SIM_SEED_COUNT=<n>` sweeps n seeds per test.
 */
import { type ConsistencyScenario, type FaultControl, sweepTest } from './support/consistency-run.js';

function pausePrimary(f: FaultControl): void {
  const p = f.primaryOfSomeSession();
  f.pause(p);
  f.run(f.between(3_000, 8_000));
  f.resume(p);
  f.run(1_000);
}

const ap: ConsistencyScenario = { members: 5, replication: { replicas: 2 }, faults: pausePrimary };
const majority: ConsistencyScenario = { members: 5, replication: { replicas: 3, quorum: 'majority' }, faults: pausePrimary };

sweepTest({
  file: 'consistency-pause.test.js',
  name: 'pause of a primary (AP, ack all, replicas 2): acknowledged adds and deletes hold',
  first: 10_000,
  count: 150,
  scenario: ap,
});

sweepTest({
  file: 'consistency-pause.test.js',
  name: "pause of a primary (quorum 'majority', replicas 3): versions unique, no increment lost",
  first: 11_000,
  count: 100,
  scenario: majority,
});
