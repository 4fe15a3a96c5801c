/**
 * The nemeses: each runs faults in a loop until the scenario's fault window ends. A fault is
 * begin → hold → heal → wait until the cluster settled; then a short healthy gap before the next.
 * All random choices of a fault (targets, hold times, loss rate) are drawn from the seeded stream
 * before the fault starts, so a seed replays the same schedule; only real timing differs (and
 * "the primary of session k", which depends on the session ids the cluster generated).
 * If the cluster does not settle after a fault, the nemesis stops (reported as a problem): more
 * faults on an unsettled cluster could take down more copies than replicas − 1, where losing
 * acknowledged writes is allowed by design and would hide the findings we look for.
 */
import type { SeededRandom } from '../../src/clock/clock.js';
import type { ChaosCluster } from './chaos-cluster.js';
import { bridgePartition, healAll, partition, randomLoss } from './firewall.js';
import type { FaultRecord, NemesisName } from './scenario-types.js';
import { sleep } from './shell.js';

export const SETTLE_TIMEOUT_MS = 30_000;
const GAP_MIN_MS = 1000;
const GAP_SPREAD_MS = 2000;

export interface NemesisContext {
  cluster: ChaosCluster;
  rng: SeededRandom;
  /** Ms on the scenario's clock. */
  now: () => number;
  /** No new fault starts after this time. */
  untilMs: number;
  /** Sessions whose primary a targeted fault (pause, 1|4) picks. */
  sessions: readonly string[];
  replicas: number;
  faults: FaultRecord[];
  problems: string[];
}

interface FaultSpec {
  detail: string;
  targets: string[];
  begin: () => Promise<void>;
  holdMs: number;
  heal: () => Promise<void>;
}

function shuffled<T>(items: readonly T[], rng: SeededRandom): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Runs one fault and records it; false when the nemesis must stop (fault failed, or no settle). */
async function runFault(ctx: NemesisContext, nemesis: NemesisName, spec: FaultSpec): Promise<boolean> {
  const record: FaultRecord = { index: ctx.faults.length, nemesis, detail: spec.detail, targets: spec.targets, startMs: ctx.now(), endMs: -1, settledMs: null };
  ctx.faults.push(record);
  let ok = true;
  try {
    await spec.begin();
    // The fault counts from the moment it is in place (all rules applied, process gone).
    record.startMs = ctx.now();
    await sleep(spec.holdMs);
  } catch (err) {
    ctx.problems.push(`fault ${record.index} (${spec.detail}) could not be applied: ${(err as Error).message}`);
    ok = false;
  }
  try {
    await spec.heal();
  } catch (err) {
    ctx.problems.push(`fault ${record.index} (${spec.detail}) could not be healed: ${(err as Error).message}`);
    ok = false;
  }
  record.endMs = ctx.now();
  try {
    await ctx.cluster.waitSettled(SETTLE_TIMEOUT_MS);
    record.settledMs = ctx.now();
  } catch (err) {
    record.settleError = (err as Error).message;
    ctx.problems.push(`after fault ${record.index} (${spec.detail}): ${record.settleError}`);
    ok = false;
  }
  return ok;
}

/** The primary of a seeded session when the cluster can tell, else a seeded member. */
async function primaryOrAny(ctx: NemesisContext, names: readonly string[]): Promise<string> {
  const session = ctx.sessions[ctx.rng.int(ctx.sessions.length)]!;
  const fallback = names[ctx.rng.int(names.length)]!;
  return (await ctx.cluster.primaryOf(session)) ?? fallback;
}

/** `rollOrder`: rolling-restart's seeded order of members, drawn once before the first fault. */
async function nextFault(nemesis: NemesisName, ctx: NemesisContext, round: number, rollOrder: readonly string[]): Promise<FaultSpec | null> {
  const c = ctx.cluster;
  const names = c.slots.map((s) => s.name);
  const rng = ctx.rng;
  switch (nemesis) {
    case 'none':
      return null;
    case 'kill9': {
      // Up to replicas − 1 at once: more would lose acknowledged writes by design.
      const victims = shuffled(names, rng).slice(0, 1 + rng.int(Math.max(1, ctx.replicas - 1)));
      return {
        detail: `kill -9 ${victims.join(',')}`,
        targets: victims,
        begin: async () => void (await Promise.all(victims.map((v) => c.kill9(v)))),
        holdMs: 2000 + rng.int(3000),
        heal: async () => void (await Promise.all(victims.map((v) => c.start(v)))),
      };
    }
    case 'pause': {
      const target = await primaryOrAny(ctx, names);
      return { detail: `SIGSTOP ${target}`, targets: [target], begin: async () => c.pause(target), holdMs: 3000 + rng.int(5000), heal: async () => c.resume(target) };
    }
    case 'partition-2-3': {
      const order = shuffled(names, rng);
      const groups = [order.slice(0, 2), order.slice(2)];
      return { detail: `partition ${groups[0]!.join(',')} | ${groups[1]!.join(',')}`, targets: names, begin: () => partition(c.slots, groups), holdMs: 5000 + rng.int(5000), heal: () => healAll(c.slots) };
    }
    case 'partition-1-4': {
      const alone = await primaryOrAny(ctx, names);
      const groups = [[alone], names.filter((n) => n !== alone)];
      return { detail: `partition ${alone} | ${groups[1]!.join(',')}`, targets: [alone], begin: () => partition(c.slots, groups), holdMs: 5000 + rng.int(5000), heal: () => healAll(c.slots) };
    }
    case 'bridge': {
      const [bridge, ...rest] = shuffled(names, rng);
      const left = rest.slice(0, 2);
      const right = rest.slice(2);
      return { detail: `bridge ${bridge}: ${left.join(',')} | ${right.join(',')}`, targets: names, begin: () => bridgePartition(c.slots, left, right), holdMs: 5000 + rng.int(5000), heal: () => healAll(c.slots) };
    }
    case 'loss': {
      const p = 0.1 + rng.float() * 0.2;
      return { detail: `random loss ${(p * 100).toFixed(0)}% between members`, targets: names, begin: () => randomLoss(c.slots, p), holdMs: 5000 + rng.int(5000), heal: () => healAll(c.slots) };
    }
    case 'rolling-restart': {
      // One pass over the members in a seeded order, one at a time, each back and settled before the next.
      if (round >= rollOrder.length) return null;
      const name = rollOrder[round]!;
      return {
        detail: `SIGTERM ${name}, restart`,
        targets: [name],
        begin: async () => void (await c.stopGracefully(name)),
        holdMs: 0,
        heal: async () => void (await c.start(name)),
      };
    }
  }
}

export async function runNemesis(nemesis: NemesisName, ctx: NemesisContext): Promise<void> {
  const rollOrder = nemesis === 'rolling-restart' ? shuffled(ctx.cluster.slots.map((s) => s.name), ctx.rng) : [];
  for (let round = 0; ; round++) {
    const gapMs = GAP_MIN_MS + ctx.rng.int(GAP_SPREAD_MS);
    if (ctx.now() + gapMs >= ctx.untilMs) break;
    await sleep(gapMs);
    const spec = await nextFault(nemesis, ctx, round, rollOrder);
    if (!spec) break;
    if (!(await runFault(ctx, nemesis, spec))) break;
  }
  // The control run (and a nemesis that ran out of faults) keeps the load going to the end.
  const restMs = ctx.untilMs - ctx.now();
  if (restMs > 0) await sleep(restMs);
}
