/**
 * Test support: real `sessionmesh start` processes on loopback. Each member listens on port 0
 * (peer and HTTP) and the harness learns its addresses from its "member started" log line, so
 * tests never collide on ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NodeStatus } from '../../src/node/status.js';
import { killAll, whenStarted } from './started-process.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** The demo's preload (src/demo/parent-watch.ts): a member exits when its parent is gone, even after kill -9. */
const PARENT_WATCH = new URL('../../src/demo/parent-watch.js', import.meta.url).href;

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export interface MemberProcess {
  name: string;
  child: ChildProcess;
  id: string;
  peer: string;
  http: string;
  logs: LogLine[];
  /** Every line it printed, stdout and stderr (whenStarted). */
  output: string[];
  exited: Promise<number | null>;
}

export interface StartOptions {
  name: string;
  seeds?: string[];
  secret?: string | null;
  port?: number;
  extraArgs?: string[];
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Preload parent-watch and open an IPC channel to it: the member exits as soon as this process
   * is gone (even after kill -9 of the harness), so long-running harnesses leave no orphans.
   */
  parentWatch?: boolean;
}

export const TEST_SECRET = 'test-secret-0123456789';

/** Starts a member and resolves once it logged its addresses. */
export function startMember(o: StartOptions): Promise<MemberProcess> {
  const args = [CLI, 'start', '--name', o.name, '--port', String(o.port ?? 0), '--http-port', '0', '--log-level', 'debug'];
  if (o.seeds && o.seeds.length > 0) args.push('--seeds', o.seeds.join(','));
  if (o.secret === null) args.push('--insecure');
  else args.push('--secret', o.secret ?? TEST_SECRET);
  args.push(...(o.extraArgs ?? []));
  const nodeArgs = o.parentWatch ? ['--import', PARENT_WATCH, ...args] : args;
  // `ip netns exec` execs node in place: the child's pid is the member's (signals reach it).
  const [cmd, cmdArgs] = o.netns ? ['ip', ['netns', 'exec', o.netns, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const stdio: Array<'ignore' | 'pipe' | 'ipc'> = o.parentWatch ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
  const child = spawn(cmd, cmdArgs as string[], { stdio, env: { ...process.env, ...o.env } });
  const logs: LogLine[] = [];
  // Every stdout line is a log entry (kept for the tests); the ready one carries the addresses.
  return whenStarted(child, o.name, 10_000, (line) => {
    let entry: LogLine;
    try {
      entry = JSON.parse(line) as LogLine;
    } catch {
      return undefined;
    }
    logs.push(entry);
    return entry.msg === 'member started' ? entry : undefined;
  }).then(({ ready, output, exited }) => ({ name: o.name, child, id: ready.id as string, peer: ready.peer as string, http: ready.http as string, logs, output, exited }));
}

export async function getStatus(m: MemberProcess, timeoutMs = 2000): Promise<NodeStatus> {
  const res = await fetch(`http://${m.http}/status`, { signal: AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200) throw new Error(`${m.name} /status answered ${res.status}`);
  return (await res.json()) as NodeStatus;
}

export async function healthz(m: MemberProcess): Promise<number> {
  const res = await fetch(`http://${m.http}/healthz`, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Polls `check` every `intervalMs` until it returns a truthy value or `timeoutMs` passes; the
 * deadline is the assertion (e.g. "within 2 s"), and on failure the last observation is reported.
 */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | false | null | undefined>, intervalMs = 50): Promise<{ value: T; elapsedMs: number }> {
  const start = performance.now();
  let last: unknown = undefined;
  for (;;) {
    try {
      const v = await check();
      if (v) return { value: v, elapsedMs: performance.now() - start };
      last = v;
    } catch (err) {
      last = err;
    }
    if (performance.now() - start > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function stopAll(members: Iterable<MemberProcess>): Promise<void> {
  return killAll(members);
}

export function stateOf(s: NodeStatus, id: string): string | undefined {
  return s.members.find((m) => m.id === id)?.state;
}
