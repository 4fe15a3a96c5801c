/**
 * Network partitions in AP mode (default: ack all, replicas 2, no quorum) and bridge
 * (non-transitive) partitions, under the consistency workload, checked by THE checker.
 *
 * - AP split 2 | 3 for 4–8 s, healed: both sides serve; the checker applies the durability
 *   guarantees (acknowledged adds present, acknowledged deletes stay deleted, no 404 for a
 *   session that exists, refusals never applied); versions and counters are only counted.
 * - Bridge: one member x reaches everyone, two pairs A and B do not reach each other (each
 *   reaches x), 4–8 s, in AP and under 'majority'. SWIM's indirect probes through x keep
 *   everyone alive, so no table changes: the checker's guarantees for the mode apply, and a
 *   separate availability test asks that ops do not wait out opTimeoutMs there.
 *
 * `SIM_SEED=<n>` replays one seed; `SIM_SEED_COUNT=<n>` sweeps n seeds per test.
 */
import { type ConsistencyScenario, type FaultControl, sweepTest } from './support/consistency-run.js';

function split23(f: FaultControl): void {
  const xs = f.shuffled();
  f.partition([xs.slice(0, 2), xs.slice(2)]);
  f.run(f.between(4_000, 8_000));
  f.heal();
}

function bridge(f: FaultControl): void {
  const [x, a1, a2, b1, b2] = f.shuffled();
  f.log(`bridge ${x!.name}`);
  f.cut([
    [a1!, b1!],
    [a1!, b2!],
    [a2!, b1!],
    [a2!, b2!],
  ]);
  f.mark('bridge');
  f.run(f.between(4_000, 8_000));
  f.mark('bridgeHealed');
  f.heal();
}

/**
 * Availability under a bridge: an op invoked while the bridge stands must not end in ERR_TIMEOUT
 * (the full opTimeoutMs, 5 s): it is answered, by a primary reached directly or through the
 * bridge, or refused early (ERR_UNAVAILABLE). Which of the two the fix chooses is its business;
 * waiting out the deadline on a member that everyone still sees alive is the defect. (Not every
 * seed shows it: a client stuck 5 s on one op sends few others during a 4–8 s bridge.)
 */
function noTimeoutsAcrossBridge(r: Parameters<NonNullable<ConsistencyScenario['expect']>>[0]): string[] {
  const from = r.marks.get('bridge')!;
  const to = r.marks.get('bridgeHealed')!;
  const timedOut = r.history.filter((h) => h.error === 'ERR_TIMEOUT' && h.invokeMs >= from && h.invokeMs < to);
  const total = r.history.filter((h) => h.invokeMs >= from && h.invokeMs < to).length;
  return timedOut.length === 0 ? [] : [`${timedOut.length} of ${total} ops invoked during the bridge waited out opTimeoutMs (first: #${timedOut[0]!.index} ${timedOut[0]!.kind} via ${timedOut[0]!.member} at ${Math.round(timedOut[0]!.invokeMs)} ms)`];
}

const apSplit: ConsistencyScenario = { members: 5, replication: { replicas: 2 }, faults: split23 };
const apBridge: ConsistencyScenario = { members: 5, replication: { replicas: 2 }, faults: bridge };
const majorityBridge: ConsistencyScenario = { members: 5, replication: { replicas: 3, quorum: 'majority' }, faults: bridge };

sweepTest({
  file: 'consistency-partition.test.js',
  name: 'AP split 2 | 3 and heal: acknowledged adds present, acknowledged deletes stay deleted, no 404 for existing sessions',
  first: 30_000,
  count: 100,
  scenario: apSplit,
  todo: 'issue #11, open: a key added on one side of an AP split and deleted on the other during the split comes back at the heal when the adding side committed the higher table epoch (stamps rank by epoch first, so the side with the newer table wins concurrent writes); see docs/consistency.md',
});

sweepTest({
  file: 'consistency-partition.test.js',
  name: 'bridge (non-transitive) partition, AP: the guarantees hold',
  first: 31_000,
  count: 100,
  scenario: apBridge,
});

sweepTest({
  file: 'consistency-partition.test.js',
  name: "bridge (non-transitive) partition, quorum 'majority': the guarantees hold",
  first: 32_000,
  count: 100,
  scenario: majorityBridge,
});

sweepTest({
  file: 'consistency-partition.test.js',
  name: 'bridge (non-transitive) partition, AP: ops do not wait out opTimeoutMs',
  first: 33_000,
  count: 30,
  scenario: { ...apBridge, expect: noTimeoutsAcrossBridge },
  todo: 'issue #11 defect 6, partly open: a primary that cannot reach its backup now has it dropped from its rows (writes continue), but a requester cut off from a live primary still waits its full opTimeoutMs (no forwarding through the bridge)',
});
