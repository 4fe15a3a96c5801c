/**
 * One scenario, run by the runner (run.ts) as a separate process inside the client network
 * namespace: it starts the members (each in its own namespace), creates the sessions, runs the
 * clients and the nemesis, heals, waits for the cluster to settle, makes the final reads and sends
 * the history back over IPC. It is started with parent-watch preloaded, and its members preload
 * it too: if the runner dies, this process exits, and then its members do.
 *   node --import parent-watch.js scenario-main.js '<ScenarioConfig as JSON>'
 */
import { SeededRandom } from '../../src/clock/clock.js';
import { ChaosCluster } from './chaos-cluster.js';
import { healAll } from './firewall.js';
import { runNemesis, SETTLE_TIMEOUT_MS } from './nemeses.js';
import type { FaultRecord, ScenarioConfig, ScenarioMessage, ScenarioReport } from './scenario-types.js';
import { Workload } from './workload.js';

const config = JSON.parse(process.argv[2] ?? 'null') as ScenarioConfig;
const t0 = performance.now();
/** The scenario's clock for the history and the fault schedule: ms since this process started the scenario. */
const now = () => Math.round((performance.now() - t0) * 10) / 10;

const cluster = new ChaosCluster(config.topology.members, config.mode);

function send(message: ScenarioMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      process.stderr.write('scenario-main: no IPC channel to the runner\n');
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

function killMembersNow(): void {
  for (const m of cluster.running.values()) m.child.kill('SIGKILL');
}

async function scenario(): Promise<ScenarioReport> {
  const rng = new SeededRandom(config.seed);
  const nemesisRng = rng.fork();
  const workloadRng = rng.fork();
  const problems: string[] = [];
  const faults: FaultRecord[] = [];
  const slots = config.topology.members;

  // The namespaces are reused from one scenario to the next: start with no rules.
  await healAll(slots);
  await cluster.startAll();
  await cluster.waitSettled(SETTLE_TIMEOUT_MS);

  const targets = slots.map((s) => ({ name: s.name, http: cluster.httpAddress(s) }));
  const workload = new Workload(targets, workloadRng, now);
  const perWorkload = Math.ceil(config.sessions / config.workloads.length);
  await workload.createSessions(config.workloads, perWorkload);

  const loadStartMs = now();
  workload.start(config.workloads, config.clients);
  await runNemesis(config.nemesis, {
    cluster,
    rng: nemesisRng,
    now,
    untilMs: now() + config.durationMs,
    sessions: Object.values(workload.sessionsByWorkload).flat(),
    replicas: config.mode.replicas,
    faults,
    problems,
  });

  // Faults are over (a nemesis that stopped early may have left one in place: undo everything).
  await healAll(slots);
  for (const name of [...cluster.paused]) cluster.resume(name);
  for (const s of slots) {
    if (!cluster.running.has(s.name)) {
      problems.push(`${s.name} was not running after the faults; restarted for the final reads`);
      await cluster.start(s.name);
    }
  }
  await workload.stop();
  const loadStopMs = now();
  problems.push(...workload.problems);
  try {
    await cluster.waitSettled(SETTLE_TIMEOUT_MS);
  } catch (err) {
    problems.push(`before the final reads: ${(err as Error).message}`);
  }
  const finalReadsMs = now();
  await workload.finalReads(targets.filter((t) => cluster.running.has(t.name)));
  return {
    history: workload.history,
    faults,
    sessionsByWorkload: workload.sessionsByWorkload,
    runFaults: {
      partition: ['partition-2-3', 'partition-1-4', 'bridge', 'loss'].includes(config.nemesis) && faults.length > 0,
      pause: config.nemesis === 'pause' && faults.length > 0,
      crash: config.nemesis === 'kill9' && faults.length > 0,
      // The kill loop never takes down more than replicas − 1 and waits for a settled table between rounds.
      beyondReplicas: false,
    },
    problems,
    timeline: { loadStartMs, loadStopMs, finalReadsMs, endMs: now() },
  };
}

let finished = false;
async function finish(message: ScenarioMessage, code: number): Promise<void> {
  if (finished) return;
  finished = true;
  try {
    cluster.writeLogs(config.logDir);
  } catch (err) {
    process.stderr.write(`scenario-main: could not write member logs: ${(err as Error).message}\n`);
  }
  await cluster.killAll();
  await send(message);
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killMembersNow();
    process.exit(130);
  });
}
process.on('uncaughtException', (err) => void finish({ type: 'error', message: `uncaught: ${err.stack ?? err.message}` }, 1));
process.on('unhandledRejection', (err) => void finish({ type: 'error', message: `unhandled rejection: ${(err as Error)?.stack ?? String(err)}` }, 1));

scenario().then(
  (report) => finish({ type: 'report', report }, 0),
  (err: unknown) => finish({ type: 'error', message: (err as Error)?.stack ?? String(err) }, 1),
);
