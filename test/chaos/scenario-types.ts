/** What the runner (root namespace) and a scenario process (client namespace) exchange. */
import type { HistoryOp, RunFaults, RunMode } from '../helpers/consistency/history.js';
import type { Topology } from './topology.js';

export const NEMESES = ['none', 'kill9', 'pause', 'partition-2-3', 'partition-1-4', 'bridge', 'rolling-restart', 'loss'] as const;
export type NemesisName = (typeof NEMESES)[number];

export const WORKLOADS = ['add', 'incr', 'mixed'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export interface ModeSpec extends RunMode {
  /** `default` (quorum none, ack all, replicas 2), `replicas3`, `majority` (--quorum majority). */
  name: string;
}

export const MODES: readonly ModeSpec[] = [
  { name: 'default', quorum: 'none', ack: 'all', replicas: 2 },
  { name: 'replicas3', quorum: 'none', ack: 'all', replicas: 3 },
  { name: 'majority', quorum: 'majority', ack: 'all', replicas: 2 },
];

/** One cluster run: one nemesis and one mode, with one or more workloads on disjoint sessions. */
export interface ScenarioConfig {
  /** The seed of this scenario (derived from the run's seed and the scenario's name). */
  seed: number;
  nemesis: NemesisName;
  mode: ModeSpec;
  workloads: WorkloadName[];
  /** How long faults are started for (a fault in progress still completes, then heals and settles). */
  durationMs: number;
  clients: number;
  sessions: number;
  topology: Topology;
  /** Where member logs go. */
  logDir: string;
}

/** One fault as it happened; times on the history's clock (ms since the scenario's start). */
export interface FaultRecord {
  index: number;
  nemesis: NemesisName;
  /** What was done, e.g. "kill -9 m2", "partition m1,m4 | m2,m3,m5". */
  detail: string;
  /** Members the fault acted on (names). */
  targets: string[];
  startMs: number;
  /** When the fault was healed (restart issued, SIGCONT sent, rules removed). */
  endMs: number;
  /** When the cluster was settled again (null: it did not settle within the bound). */
  settledMs: number | null;
  settleError?: string;
}

export interface ScenarioReport {
  history: HistoryOp[];
  faults: FaultRecord[];
  /** The sessions of each workload (disjoint): each workload's history is checked on its own. */
  sessionsByWorkload: Partial<Record<WorkloadName, string[]>>;
  runFaults: RunFaults;
  /** Problems of the harness or of the cluster's liveness (did not settle, member did not restart). */
  problems: string[];
  /** Ms since the scenario started: when the load started and stopped, when final reads began. */
  timeline: { loadStartMs: number; loadStopMs: number; finalReadsMs: number; endMs: number };
}

/** Messages from the scenario process to the runner. */
export type ScenarioMessage = { type: 'report'; report: ScenarioReport } | { type: 'error'; message: string };
