/**
 * quorum 'majority' (replicas 3, ack all) under a network split of 5 members, 2 | 3 and 1 | 4
 * (minority isolation), 6–10 s — long enough for SWIM to declare the far side dead (≤ 7.6 s for
 * 5 members) — then healed; the consistency workload runs on both sides throughout, and THE
 * checker applies every guarantee but fresh reads: the minority must refuse writes
 * (ERR_NO_QUORUM, a definite refusal that must never take effect), so no acknowledged
 * increment is lost, no version handed out twice, no 404 for a session that exists.
 *
 * `SIM_SEED=<n>` replays one seed; `SIM_SEED_COUNT=<n>` sweeps n seeds per test.
 */
import { type ConsistencyScenario, type FaultControl, sweepTest } from './support/consistency-run.js';

function split(minoritySize: number): (f: FaultControl) => void {
  return (f) => {
    const xs = f.shuffled();
    f.partition([xs.slice(0, minoritySize), xs.slice(minoritySize)]);
    f.run(f.between(6_000, 10_000));
    f.heal();
  };
}

const replication = { replicas: 3, quorum: 'majority' as const };
const twoThree: ConsistencyScenario = { members: 5, replication, faults: split(2) };
const oneFour: ConsistencyScenario = { members: 5, replication, faults: split(1) };

sweepTest({
  file: 'consistency-majority.test.js',
  name: "quorum 'majority', split 2 | 3: the minority acknowledges nothing, nothing acknowledged is lost",
  first: 20_000,
  count: 100,
  scenario: twoThree,
});

sweepTest({
  file: 'consistency-majority.test.js',
  name: "quorum 'majority', one member isolated (1 | 4): it refuses writes, its refusals never take effect",
  first: 21_000,
  count: 100,
  scenario: oneFour,
});
