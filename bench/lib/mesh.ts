/**
 * A three-member sessionmesh cluster for the benchmarks, shaped like a real deployment: the
 * benchmark process embeds one member (as an app process would) and two more members run as
 * separate `sessionmesh start` processes on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { createNode, type SessionMeshNode } from '../../src/index.js';
import type { NodeOptions } from '../../src/node/options.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** The demo's preload (src/demo/parent-watch.ts): a member exits when this process is gone, even after kill -9. */
const PARENT_WATCH = new URL('../../src/demo/parent-watch.js', import.meta.url).href;
export const BENCH_SECRET = 'bench-secret-0123456789';
export const BENCH_TOKEN = 'bench-token';

export interface ChildMember {
  name: string;
  id: string;
  peer: string;
  http: string;
  child: ChildProcess;
}

export interface Mesh {
  local: SessionMeshNode;
  others: ChildMember[];
  stop(): Promise<void>;
}

export function startChildMember(name: string, seeds: string[], extraArgs: string[] = []): Promise<ChildMember> {
  const args = [CLI, 'start', '--name', name, '--port', '0', '--http-port', '0', '--secret', BENCH_SECRET, '--api-token', BENCH_TOKEN, '--log-level', 'info', ...extraArgs];
  if (seeds.length > 0) args.push('--seeds', seeds.join(','));
  // BENCH_CHILD_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the other members.
  const nodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', PARENT_WATCH, ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within 10 s`));
    }, 10_000);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before starting`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (entry.msg === 'member started') {
        clearTimeout(timer);
        resolve({ name, child, id: entry.id as string, peer: entry.peer as string, http: entry.http as string });
      }
    });
  });
}

export async function stopChild(m: ChildMember, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (m.child.exitCode !== null || m.child.signalCode !== null) return;
  const exited = once(m.child, 'exit');
  m.child.kill(signal);
  const t = setTimeout(() => m.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

/** Polls until `check` is true; the benchmark fails loudly if the cluster never gets there. */
export async function until(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A check that turns true once the partition table was full (`ready`) at one epoch for `quietMs`:
 * the cluster stopped rebalancing. Call it with the latest observation on every poll.
 */
export function quietTable(quietMs: number): (ready: boolean, epoch: number) => boolean {
  let lastEpoch = -1;
  let since = Date.now();
  return (ready, epoch) => {
    if (!ready || epoch !== lastEpoch) {
      lastEpoch = ready ? epoch : -1;
      since = Date.now();
      return false;
    }
    return Date.now() - since >= quietMs;
  };
}

/** True when every partition has `replicas` owners and the table did not change for `quietMs`. */
export async function waitSettled(node: SessionMeshNode, replicas: number, members: number, timeoutMs = 30_000, quietMs = 1000): Promise<void> {
  const quiet = quietTable(quietMs);
  await until('a settled partition table', timeoutMs, () => {
    const s = node.status();
    const p = s.partitions;
    const alive = s.members.filter((m) => m.state === 'alive').length;
    return quiet(p !== undefined && p !== null && alive >= members && p.owners.every((row) => row.length === replicas), p?.epoch ?? -1);
  });
}

/** `local`: extra options for the in-process member (e.g. `{ nearCache: true }` for the near-cache scenario). */
export async function startMesh(opts: { replicas?: number; extraArgs?: string[]; local?: Partial<NodeOptions> } = {}): Promise<Mesh> {
  const replicas = opts.replicas ?? 2;
  const b = await startChildMember('bench-b', [], ['--replicas', String(replicas), ...(opts.extraArgs ?? [])]);
  const c = await startChildMember('bench-c', [b.peer], ['--replicas', String(replicas), ...(opts.extraArgs ?? [])]);
  const local = await createNode({ name: 'bench-a', port: 0, seeds: [b.peer], secret: BENCH_SECRET, replicas, logLevel: 'warn', joinTimeoutMs: 10_000, ...opts.local });
  await waitSettled(local, replicas, 3);
  return {
    local,
    others: [b, c],
    async stop() {
      await local.close();
      await Promise.all([stopChild(b), stopChild(c)]);
    },
  };
}
