/**
 * Delayed duplicate delivery of requests: a copy of a client op (ReplOp), a delta (ReplDelta) or
 * a hand-off (ReplHandoff) arrives once more 100 ms–3 s after the original, long after the op was
 * answered (a retry stuck in a queue). No other fault, so THE checker applies every guarantee of
 * the mode: in AP and under 'majority' a duplicate must not apply an op twice (extra increments,
 * duplicate versions) or bring back what was deleted.
 *
 * `SIM_SEED=<n>` replays one seed; `SIM_SEED_COUNT=<n>` sweeps n seeds per test.
 */
import { MessageType } from '../../src/wire/message-types.js';
import { type ConsistencyScenario, sweepTest } from './support/consistency-run.js';

const duplicates = {
  network: { lateDuplicateRate: 0.2, lateDuplicateMinMs: 100, lateDuplicateMaxMs: 3_000 },
  lateDuplicateTypes: [MessageType.ReplOp, MessageType.ReplDelta, MessageType.ReplHandoff],
  faults: (f: Parameters<ConsistencyScenario['faults']>[0]) => f.run(5_000),
};

sweepTest({
  file: 'consistency-duplicates.test.js',
  name: 'delayed duplicate requests (AP): every guarantee holds',
  first: 40_000,
  count: 100,
  scenario: { members: 5, replication: { replicas: 2 }, ...duplicates },
});

sweepTest({
  file: 'consistency-duplicates.test.js',
  name: "delayed duplicate requests (quorum 'majority'): every guarantee holds",
  first: 41_000,
  count: 100,
  scenario: { members: 5, replication: { replicas: 3, quorum: 'majority' }, ...duplicates },
});
