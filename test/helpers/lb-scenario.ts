/**
 * Test support: the load-balancer e2e scenario shared by the HAProxy and nginx tests: virtual
 * users click while one app is killed with SIGKILL, then every counter is read back.
 */
import assert from 'node:assert/strict';
import type { ExampleApp } from './example-app.js';
import { CookieJar, readCounter, runUsers, type UserStats } from './virtual-users.js';

export interface ScenarioRun {
  stats: UserStats[];
  victim: ExampleApp;
  killedAtMs: number;
  /** performance.now() of the kill. */
  killedAt: number;
  durationMs: number;
  acknowledged: number;
  failed: number;
  /** Share of acknowledged clicks served by the member that was the session's primary. */
  primaryShare: number;
  maxLatencyMs: number;
}

export async function killDuringLoad(o: { baseUrl: string; victim: ExampleApp; users: number; durationMs: number; killAfterMs: number }): Promise<ScenarioRun> {
  const started = performance.now();
  let killedAtMs = -1;
  let killedAt = Infinity;
  const timer = setTimeout(() => {
    killedAt = performance.now();
    killedAtMs = killedAt - started;
    o.victim.child.kill('SIGKILL');
  }, o.killAfterMs);
  let stats: UserStats[];
  try {
    // Bounded in time (durationMs) and in count (2000 clicks per user is far above what 2 cores do).
    stats = await runUsers({ baseUrl: o.baseUrl, users: o.users, durationMs: o.durationMs, maxClicksPerUser: 2000 });
  } finally {
    clearTimeout(timer);
  }
  const acknowledged = stats.reduce((n, s) => n + s.acknowledged, 0);
  const failed = stats.reduce((n, s) => n + s.failed, 0);
  const byPrimary = stats.reduce((n, s) => n + s.servedByPrimary, 0);
  const maxLatencyMs = Math.max(...stats.map((s) => s.maxLatencyMs));
  const run = { stats, victim: o.victim, killedAtMs, killedAt, durationMs: performance.now() - started, acknowledged, failed, primaryShare: acknowledged ? byPrimary / acknowledged : 0, maxLatencyMs };
  // The numbers a reader of the test log wants (what was measured).
  console.log(
    `# ${o.users} users, ${(run.durationMs / 1000).toFixed(1)} s, ${o.victim.name} killed at ${(killedAtMs / 1000).toFixed(1)} s: ` +
      `${acknowledged} clicks acknowledged (${Math.round(acknowledged / (run.durationMs / 1000))}/s), ${failed} failed, ` +
      `${(run.primaryShare * 100).toFixed(1)}% served by the session's primary, slowest click ${Math.round(maxLatencyMs)} ms`,
  );
  return run;
}

export async function assertNoLostClicks(run: ScenarioRun, baseUrl: string, context: string): Promise<void> {
  assert.ok(run.killedAtMs >= 0 && run.victim.child.signalCode === 'SIGKILL', `${run.victim.name} was not killed during the run`);
  const failures = run.stats.flatMap((s) => s.failures.map((f) => `user ${s.user} ${f}`));
  assert.equal(run.failed, 0, `failed clicks:\n${failures.slice(0, 20).join('\n')}\n${context}`);
  const wrong = run.stats.flatMap((s) => s.wrongCounts.map((w) => `user ${s.user} ${w}`));
  assert.deepEqual(wrong, [], 'every answer shows one more than the previous acknowledged click');
  // Every user's clicks went on after the kill.
  for (const s of run.stats) assert.ok(s.lastAcknowledgedAt > run.killedAt, `user ${s.user} got no click through after the kill`);
  // Read every counter back through the balancer: it equals the clicks that user saw acknowledged.
  const mismatches: string[] = [];
  for (const s of run.stats) {
    const v = await readCounter(baseUrl, new CookieJar(s.jar));
    if (v.count !== s.acknowledged) mismatches.push(`user ${s.user}: counter ${v.count}, acknowledged clicks ${s.acknowledged}`);
  }
  assert.deepEqual(mismatches, [], 'no lost update');
}
