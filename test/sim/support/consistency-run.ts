/**
 * One seeded consistency run of the simulator: a MeshCluster (real Membership + Replicator per
 * member), the consistency workload recording a history, a scenario's faults injected under
 * load, then every fault undone, the cluster settled, final reads, and THE checker
 * (test/helpers/consistency/checker.ts) on the history. The faults the scenario did decide which
 * guarantees apply (RunFaults); the harness tracks them, the scenario cannot forget to say.
 *
 * sweep() runs a scenario over many seeds and fails with every failing seed (up to a few), the
 * anomalies the checker found, the ops involved, the fault schedule and a replay command.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partitionOf } from '../../../src/placement/index.js';
import type { ReplicationConfig } from '../../../src/replication/config.js';
import { primaryIn } from '../../../src/replication/table.js';
import { checkHistory, type CheckResult } from '../../helpers/consistency/checker.js';
import type { HistoryOp, RunFaults, RunMode } from '../../helpers/consistency/history.js';
import { ConsistencyWorkload, type ConsistencyWorkloadOptions } from './consistency-workload.js';
import { MeshCluster, type MeshOptions, type MeshProcess } from './mesh-cluster.js';
import { sweepSeeds } from './seeds.js';

export interface ConsistencyScenario {
  members: number;
  replication: Partial<ReplicationConfig>;
  membership?: MeshOptions['membership'];
  network?: MeshOptions['network'];
  maxClockSkewMs?: number;
  lateDuplicateTypes?: readonly number[];
  workload?: Partial<ConsistencyWorkloadOptions>;
  /** Load before the faults (sessions get created and used). */
  warmupMs?: number;
  /** Injects the faults through `f`, under load. Everything it did is undone afterwards. */
  faults(f: FaultControl): void;
  /** Expectations of this scenario beyond the checker's guarantees (e.g. availability): problems found. */
  expect?(r: Omit<RunReport, 'problems'>): string[];
}

export interface RunReport {
  seed: number;
  result: CheckResult;
  history: HistoryOp[];
  faults: RunFaults;
  mode: RunMode;
  schedule: string[];
  /** Virtual times the scenario marked (FaultControl.mark). */
  marks: Map<string, number>;
  virtualMs: number;
  /** Problems found by the scenario's own expectations (beyond the checker). */
  problems: string[];
}

const DEFAULT_WORKLOAD: ConsistencyWorkloadOptions = { sessions: 4, clients: 4, minThinkMs: 30, spreadThinkMs: 70 };
/** A shorter push-pull period than the default 10 s: a healed split re-merges views sooner (as mesh-chaos.test.ts). */
const MEMBERSHIP = { syncIntervalMs: 3_000 };
const SETTLE_LIMIT_MS = 60_000;

/** What a scenario may do to the cluster; each call is logged with its virtual time and tracked for RunFaults. */
export class FaultControl {
  readonly schedule: string[] = [];
  readonly marks = new Map<string, number>();
  readonly seen: RunFaults = { partition: false, pause: false, crash: false, beyondReplicas: false };
  private readonly down = new Set<MeshProcess>();
  private readonly paused = new Set<MeshProcess>();

  constructor(
    readonly c: MeshCluster,
    readonly workload: ConsistencyWorkload<MeshProcess>,
    private readonly replicas: number,
  ) {}

  /** Runs the cluster under load for ms of virtual time. */
  run(ms: number): void {
    this.c.runFor(ms, this.workload.step);
  }

  /** A seeded integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.c.random.int(max - min + 1);
  }

  /** The running members in a seeded order. */
  shuffled(): MeshProcess[] {
    const xs = [...this.c.running()];
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.c.random.int(i + 1);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }

  /** The primary, by the first running member's table, of a random workload session. */
  primaryOfSomeSession(): MeshProcess {
    const ids = this.workload.sessionIds();
    const id = ids[this.c.random.int(ids.length)]!;
    const viewer = this.c.running()[0]!;
    const t = viewer.rep.currentTable();
    const primaryId = t === null ? undefined : primaryIn(t, partitionOf(id, t.partitions));
    return this.c.running().find((p) => p.id === primaryId) ?? viewer;
  }

  /** Remembers the virtual time now under `name` (for the scenario's expectations). */
  mark(name: string): void {
    this.marks.set(name, this.c.nowMs);
  }

  log(what: string): void {
    this.schedule.push(`${Math.round(this.c.nowMs)} ms: ${what}`);
  }

  partition(groups: MeshProcess[][]): void {
    this.seen.partition = true;
    this.log(`partition ${groups.map((g) => g.map((p) => p.name).join(',')).join(' | ')}`);
    this.c.partition(groups);
  }

  cut(pairs: [MeshProcess, MeshProcess][]): void {
    this.seen.partition = true;
    this.log(`cut ${pairs.map(([a, b]) => `${a.name}-${b.name}`).join(' ')}`);
    this.c.cut(pairs);
  }

  heal(): void {
    this.log('heal');
    this.c.heal();
  }

  pause(p: MeshProcess): void {
    this.seen.pause = true;
    this.paused.add(p);
    this.log(`pause ${p.name}`);
    this.c.pause(p);
  }

  resume(p: MeshProcess): void {
    this.paused.delete(p);
    this.log(`resume ${p.name} (${p.inbox.length} inputs queued)`);
    this.c.resume(p);
  }

  crash(p: MeshProcess): void {
    this.seen.crash = true;
    this.down.add(p);
    if (this.down.size > this.replicas - 1) this.seen.beyondReplicas = true;
    this.log(`crash ${p.name}`);
    this.c.crash(p);
  }

  /** A new member at a crashed one's address; it counts as down until the cluster settled (it holds no data before). */
  restart(p: MeshProcess): MeshProcess {
    const q = this.c.restart(p);
    this.log(`restart ${p.name} as ${q.name}`);
    return q;
  }

  /** Undoes every fault: heal, resume the paused. Crashed members stay down (restart them in the scenario). */
  undoAll(): void {
    if (this.c.net.partitioned) this.heal();
    for (const p of [...this.paused]) this.resume(p);
  }

  /** The cluster settled: restarted members hold their data now. */
  settled(): void {
    this.down.clear();
  }
}

function settle(c: MeshCluster, f: FaultControl, load: () => void): void {
  const start = c.nowMs;
  while (!c.settled()) {
    if (c.nowMs - start > SETTLE_LIMIT_MS) c.fail(`not settled within ${SETTLE_LIMIT_MS} ms: ${c.describe()}\nschedule:\n${f.schedule.join('\n')}`);
    c.runFor(100, load);
  }
  f.settled();
}

export function runConsistency(seed: number, s: ConsistencyScenario): RunReport {
  // Short anti-entropy period: a healed split's copies merge within a short virtual run.
  const replication = { partitions: 16, antiEntropyIntervalMs: 1_000, defaultMaxIdleMs: 3_600_000, ...s.replication };
  const c = new MeshCluster({
    seed,
    replication,
    membership: { ...MEMBERSHIP, ...s.membership },
    ...(s.network ? { network: s.network } : {}),
    ...(s.maxClockSkewMs ? { maxClockSkewMs: s.maxClockSkewMs } : {}),
    ...(s.lateDuplicateTypes ? { lateDuplicateTypes: s.lateDuplicateTypes } : {}),
  });
  const mode: RunMode = { quorum: replication.quorum ?? 'none', ack: replication.ack ?? 'all', replicas: replication.replicas === 'all' ? s.members : (replication.replicas ?? 2) };
  for (let i = 0; i < s.members; i++) c.start();
  const w = new ConsistencyWorkload<MeshProcess>(c, { ...DEFAULT_WORKLOAD, ...s.workload });
  const f = new FaultControl(c, w, mode.replicas);
  settle(c, f, () => {});
  w.start();
  f.run(s.warmupMs ?? 1_000);
  s.faults(f);
  f.undoAll();
  // A little load after the faults: deletes and increments right after a heal are where copies that
  // did not merge yet show.
  f.run(500);
  w.stop();
  settle(c, f, w.step);
  // Copies merge by anti-entropy (two rounds); ops still in flight complete (or time out) meanwhile.
  // An indeterminate op that lands even later is allowed by the checker.
  const end = c.nowMs + 2 * replication.antiEntropyIntervalMs + 500;
  while (c.nowMs < end || w.pending > 0) {
    if (c.nowMs > end + SETTLE_LIMIT_MS) c.fail(`${w.pending} ops never completed`);
    c.runFor(100);
  }
  settle(c, f, () => {});
  w.finalReads();
  const finalDeadline = c.nowMs + SETTLE_LIMIT_MS;
  while (w.pending > 0) {
    if (c.nowMs > finalDeadline) c.fail(`${w.pending} final reads never completed`);
    c.runFor(100);
  }
  const faults: RunFaults = { ...f.seen };
  const report = { seed, result: checkHistory(w.history, { mode, faults }), history: w.history, faults, mode, schedule: f.schedule, marks: f.marks, virtualMs: c.nowMs };
  return { ...report, problems: s.expect?.(report) ?? [] };
}

/** How a failing run is shown: anomalies with the ops they name, and the fault schedule. */
export function describeRun(r: RunReport, replay: string, maxAnomalies = 4): string {
  const byIndex = new Map(r.history.map((h) => [h.index, h]));
  const lines = [`seed ${r.seed}: ${r.result.anomalies.length} anomalies, ${r.problems.length} other problems; replay: ${replay}`];
  for (const p of r.problems.slice(0, maxAnomalies)) lines.push(`  problem: ${p}`);
  lines.push(`  counts ${JSON.stringify(r.result.counts)}`);
  lines.push(`  faults ${JSON.stringify(r.faults)}, schedule: ${r.schedule.join('; ')}`);
  for (const a of r.result.anomalies.slice(0, maxAnomalies)) {
    lines.push(`  ${a.kind} session ${a.session.slice(0, 6)}: ${a.detail}`);
    for (const i of a.ops) {
      const h = byIndex.get(i);
      if (h) lines.push(`      #${h.index} ${h.client}@${h.member} ${h.kind}${h.key ? ' ' + h.key : ''}${h.value !== undefined ? ` n=${h.value} ifVersion=${h.ifVersion}` : ''} [${h.invokeMs.toFixed(0)}..${h.completeMs.toFixed(0)}] ${h.outcome}${h.error ? ' ' + h.error : ''}${h.version !== undefined ? ' v' + h.version : ''}${h.read !== undefined ? ' read=' + JSON.stringify(h.read) : ''}`);
    }
  }
  return lines.join('\n');
}

export interface SweepOutcome {
  runs: number;
  failing: RunReport[];
  /** Ops recorded over all runs, by outcome (the sweep did real work). */
  ops: { ok: number; fail: number; info: number };
  virtualMs: number;
}

/** Runs every seed; a run that throws (an invariant of MeshCluster, no settle) is reported as failing too. */
export function sweep(seeds: number[], scenario: ConsistencyScenario): SweepOutcome & { errors: { seed: number; message: string }[] } {
  const out = { runs: 0, failing: [] as RunReport[], ops: { ok: 0, fail: 0, info: 0 }, virtualMs: 0, errors: [] as { seed: number; message: string }[] };
  for (const seed of seeds) {
    out.runs++;
    let r: RunReport;
    try {
      r = runConsistency(seed, scenario);
    } catch (err) {
      out.errors.push({ seed, message: err instanceof Error ? err.message : String(err) });
      continue;
    }
    out.virtualMs += r.virtualMs;
    out.ops.ok += r.result.counts.ok!;
    out.ops.fail += r.result.counts.fail!;
    out.ops.info += r.result.counts.info!;
    if (!r.result.valid || r.problems.length > 0) out.failing.push(r);
  }
  return out;
}

/** The failure message of a sweep (empty when every seed passed). */
export function sweepFailures(s: ReturnType<typeof sweep>, file: string, testName: string, shown = 3): string {
  if (s.failing.length === 0 && s.errors.length === 0) return '';
  // The name pattern is a regular expression: every special character (and quote) becomes '.'.
  const replay = (seed: number) => `SIM_SEED=${seed} node --test --test-name-pattern="${testName.replace(/[.*+?^${}()|[\]\\"`]/g, '.')}" dist/test/sim/${file}`;
  const lines = [
    `${s.failing.length} of ${s.runs} seeds broke a guarantee, ${s.errors.length} failed to run`,
    `  failing seeds: ${[...s.failing.map((r) => r.seed), ...s.errors.map((e) => e.seed)].sort((a, b) => a - b).slice(0, 50).join(', ')}`,
    `  replay one: ${replay(Number.NaN).replace('NaN', '<seed>')}`,
  ];
  for (const r of s.failing.slice(0, shown)) lines.push(describeRun(r, replay(r.seed)));
  for (const e of s.errors.slice(0, shown)) lines.push(`seed ${e.seed}: ${e.message.split('\n').slice(0, 6).join('\n  ')}\n  replay: ${replay(e.seed)}`);
  return lines.join('\n');
}

export interface SweepTestOptions {
  /** The test file, as compiled (for the replay command), e.g. 'consistency-pause.test.js'. */
  file: string;
  name: string;
  /** Seeds first .. first + count − 1 (SIM_SEED_COUNT / SIM_SEED override, see seeds.ts). */
  first: number;
  count: number;
  scenario: ConsistencyScenario;
  /** A defect of today's code this sweep finds: the test runs and reports, without failing the run. */
  todo?: string;
  /** Least acknowledged ops per run on average: the workload did real work. */
  minOkPerRun?: number;
}

/** A node:test test that sweeps a scenario over seeds and fails with the failing seeds' reports. */
export function sweepTest(o: SweepTestOptions): void {
  test(o.name, o.todo === undefined ? {} : { todo: o.todo }, (t) => {
    const startedMs = performance.now();
    const seeds = sweepSeeds(o.first, o.count);
    const s = sweep(seeds, o.scenario);
    const wallMs = performance.now() - startedMs;
    t.diagnostic(`${s.runs} seeds from ${seeds[0]}, ${Math.round(wallMs)} ms wall, ${Math.round(s.virtualMs / 1000)} s virtual; ops ok ${s.ops.ok} fail ${s.ops.fail} info ${s.ops.info}; failing seeds ${s.failing.map((r) => r.seed).slice(0, 20).join(',') || 'none'}${s.failing.length > 20 ? ',…' : ''}`);
    const failures = sweepFailures(s, o.file, o.name);
    if (failures !== '') assert.fail(failures);
    const minOk = o.minOkPerRun ?? 50;
    assert.ok(s.ops.ok >= minOk * s.runs, `little work: ${s.ops.ok} acknowledged ops over ${s.runs} runs`);
  });
}
