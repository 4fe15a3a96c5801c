/**
 * The real-process chaos suite (issue #11): `npm run chaos` (the full matrix) or
 * `npm run chaos -- --ci` (the subset that must hold today). Runs as root: it creates network
 * namespaces. For each nemesis × mode it runs one scenario (scenario-main.ts, inside the client
 * namespace) with the selected workloads side by side on disjoint sessions, checks each workload's
 * history with the consistency checker, writes one JSON result per scenario and prints one line
 * per nemesis × workload × mode, then a table. Exit code 1 when a checked guarantee was violated,
 * the cluster did not recover (problems) or the harness failed; 2 on bad usage.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkHistory } from '../helpers/consistency/checker.js';
import type { HistoryOp } from '../helpers/consistency/history.js';
import { parseFlags, USAGE, type Flags } from './flags.js';
import { CI_SUBSET, comboName, fullMatrix, knownViolation, KNOWN_VIOLATIONS, matches, scenarios, type Combo } from './matrix.js';
import { summaryLine, table, verdict, type ComboResult } from './report.js';
import type { ModeSpec, NemesisName, ScenarioConfig, ScenarioMessage, ScenarioReport, WorkloadName } from './scenario-types.js';
import { runSync } from './shell.js';
import { createTopology, destroyTopology, pidsIn, planTopology, sweepStaleNamespaces, type Topology } from './topology.js';
import { timeUntilWritable } from './writable.js';

const MEMBERS = 5;
const SCENARIO_MAIN = fileURLToPath(new URL('./scenario-main.js', import.meta.url));
const PARENT_WATCH = new URL('../../src/demo/parent-watch.js', import.meta.url).href;
/** Startup, settles after faults (up to 30 s each), a slow graceful stop, final reads: beyond this the scenario is hung. */
const SCENARIO_OVERHEAD_MS = 240_000;

let current: ChildProcess | null = null;
let topology: Topology | null = null;

function cleanup(): void {
  if (current && current.exitCode === null && current.signalCode === null) current.kill('SIGKILL');
  if (topology) {
    const failed = destroyTopology(topology);
    if (failed.length > 0) process.stderr.write(`chaos: could not remove namespaces: ${failed.join('; ')}\n`);
    topology = null;
  }
}

function preflight(): string | null {
  if (process.getuid?.() !== 0) return 'the chaos suite needs root (it creates network namespaces and iptables rules)';
  for (const [cmd, args] of [['ip', ['-V']], ['iptables-restore', ['--version']]] as const) {
    const r = runSync(cmd, args);
    if (!r.ok) return `${cmd} is missing or broken (${r.stderr.trim()}); install iproute2 and iptables`;
  }
  return null;
}

/** The scenario's seed: the run's seed mixed with the nemesis and mode (FNV-1a), so one scenario replays alone. */
function scenarioSeed(seed: number, nemesis: string, mode: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed}/${nemesis}/${mode}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

function selectCombos(flags: Flags): Combo[] {
  let combos = fullMatrix();
  if (flags.ci) combos = combos.filter((c) => CI_SUBSET.includes(comboName(c)));
  if (flags.only.length > 0) combos = combos.filter((c) => flags.only.some((p) => matches(p, c)));
  return combos;
}

function runScenario(config: ScenarioConfig): Promise<ScenarioReport> {
  // A member left over from a killed scenario would hold the fixed ports: none may remain.
  for (const m of config.topology.members) for (const pid of pidsIn(m.netns)) process.kill(pid, 'SIGKILL');
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', config.topology.clientNs, process.execPath, '--import', PARENT_WATCH, SCENARIO_MAIN, JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    current = child;
    let message: ScenarioMessage | null = null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`scenario did not finish within ${(config.durationMs + SCENARIO_OVERHEAD_MS) / 1000} s (killed)`));
    }, config.durationMs + SCENARIO_OVERHEAD_MS);
    child.on('message', (m: ScenarioMessage) => (message = m));
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      current = null;
      const m = message as ScenarioMessage | null;
      if (m?.type === 'report') resolve(m.report);
      else if (m?.type === 'error') reject(new Error(m.message));
      else reject(new Error(`scenario process exited (${signal ?? code}) without a report`));
    });
  });
}

function combosResults(config: ScenarioConfig, report: ScenarioReport | null, error: string | null, resultFile: string, replay: string): { results: ComboResult[]; perWorkload: Record<string, unknown> } {
  const results: ComboResult[] = [];
  const perWorkload: Record<string, unknown> = {};
  for (const workload of config.workloads) {
    const combo: Combo = { nemesis: config.nemesis, workload, mode: config.mode };
    const base = { combo: comboName(combo), nemesis: config.nemesis, workload, mode: config.mode.name, scenarioSeed: config.seed, replay, resultFile };
    if (!report) {
      results.push({ ...base, passed: false, check: null, violated: [], faults: 0, writable: [], problems: [], harnessError: error ?? 'no report' });
      continue;
    }
    const sessions = new Set(report.sessionsByWorkload[workload] ?? []);
    const history = report.history.filter((o) => sessions.has(o.session));
    let check = null;
    let harnessError: string | undefined;
    try {
      check = checkHistory(history, { mode: config.mode, faults: report.runFaults });
    } catch (err) {
      harnessError = `checker threw: ${(err as Error).stack ?? String(err)}`;
    }
    const violated = [...new Set(check?.anomalies.map((a) => a.kind) ?? [])].sort();
    const known = violated.length > 0 ? knownViolation(combo, violated)?.note : undefined;
    const writable = timeUntilWritable(history, report.faults, report.timeline.loadStopMs);
    const passed = check !== null && check.valid && report.problems.length === 0 && harnessError === undefined;
    results.push({ ...base, passed, check, violated, ...(known ? { known } : {}), faults: report.faults.length, writable, problems: report.problems, ...(harnessError ? { harnessError } : {}) });
    perWorkload[workload] = { sessions: [...sessions], check, writable };
  }
  return { results, perWorkload };
}

async function main(argv: string[]): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    process.stderr.write(`chaos: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unfit = preflight();
  if (unfit) {
    process.stderr.write(`chaos: ${unfit}\n`);
    return 1;
  }
  const combos = selectCombos(flags);
  if (combos.length === 0) {
    process.stderr.write(`chaos: --only ${flags.only.join(',')} selects no combination (nemesis/workload/mode)\n`);
    return 2;
  }
  const swept = sweepStaleNamespaces();
  if (swept.length > 0) console.log(`chaos: removed namespaces left by an earlier run: ${swept.join(', ')}`);

  const runDir = join(flags.outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-seed${flags.seed}`);
  mkdirSync(runDir, { recursive: true });
  topology = planTopology(MEMBERS);
  await createTopology(topology);
  const plan = scenarios(combos);
  console.log(`chaos: seed ${flags.seed}, ${combos.length} combinations in ${plan.length} scenarios of ${flags.durationMs / 1000} s faults each; results in ${runDir}`);

  const all: ComboResult[] = [];
  for (const s of plan) {
    const file = `${s.nemesis}.${s.mode.name}.json`;
    const replay = `npm run chaos -- --seed ${flags.seed} --duration ${flags.durationMs / 1000} --only ${s.workloads.map((w) => `${s.nemesis}/${w}/${s.mode.name}`).join(',')}`;
    const config: ScenarioConfig = {
      seed: scenarioSeed(flags.seed, s.nemesis, s.mode.name),
      nemesis: s.nemesis as NemesisName,
      mode: s.mode as ModeSpec,
      workloads: s.workloads as WorkloadName[],
      durationMs: flags.durationMs,
      clients: flags.clients,
      sessions: flags.sessions,
      topology,
      logDir: join(runDir, `${s.nemesis}.${s.mode.name}.logs`),
    };
    const startedMs = performance.now();
    let report: ScenarioReport | null = null;
    let error: string | null = null;
    try {
      report = await runScenario(config);
    } catch (err) {
      error = (err as Error).message;
    }
    const { results, perWorkload } = combosResults(config, report, error, join(runDir, file), replay);
    writeFileSync(
      join(runDir, file),
      `${JSON.stringify(
        {
          seed: flags.seed,
          scenarioSeed: config.seed,
          nemesis: s.nemesis,
          mode: s.mode,
          workloads: s.workloads,
          durationMs: flags.durationMs,
          replay,
          wallMs: Math.round(performance.now() - startedMs),
          error,
          schedule: report?.faults ?? [],
          runFaults: report?.runFaults,
          timeline: report?.timeline,
          problems: report?.problems ?? [],
          results: perWorkload,
          summary: results.map((r) => ({ combo: r.combo, verdict: verdict(r), counts: r.check?.counts, violated: r.violated, known: r.known })),
          history: report?.history ?? ([] as HistoryOp[]),
        },
        null,
        1,
      )}\n`,
    );
    for (const r of results) console.log(summaryLine(r));
    for (const p of report?.problems ?? []) console.log(`chaos:   problem: ${p}`);
    all.push(...results);
  }

  console.log(`\n${table(all)}\n`);
  const failed = all.filter((r) => !r.passed);
  writeFileSync(join(runDir, 'summary.json'), `${JSON.stringify({ seed: flags.seed, ci: flags.ci, only: flags.only, knownViolations: KNOWN_VIOLATIONS, results: all.map(({ check, ...r }) => ({ ...r, counts: check?.counts, checked: check?.checked })) }, null, 1)}\n`);
  console.log(`chaos: ${all.length - failed.length}/${all.length} combinations held; results in ${runDir}${failed.length > 0 ? `; failing: ${failed.map((r) => `${r.combo} (${verdict(r)})`).join(', ')}` : ''}`);
  return failed.length > 0 ? 1 : 0;
}

process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`chaos: ${signal}: stopping, removing namespaces\n`);
    cleanup();
    process.exit(130);
  });
}
main(process.argv.slice(2)).then(
  (code) => {
    cleanup();
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`chaos: harness failed: ${(err as Error)?.stack ?? String(err)}\n`);
    cleanup();
    process.exitCode = 1;
  },
);
