/**
 * `sessionmesh demo --workload`: three `sessionmesh start` processes on loopback, a small session
 * workload through their HTTP API (counters incremented and checked), and a live view of the
 * cluster as the first reachable member sees it, in the terminal. Kill one (its PID is printed)
 * and watch it be declared dead while the workload loses nothing; Ctrl-C stops everything (each
 * member leaves gracefully). The default `sessionmesh demo` is the Express one (launcher.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UsageError } from '../cli/args.js';
import { fetchStatus, renderStatus } from '../cli/status.js';

const MEMBERS = 3;
const DEMO_SESSIONS = 20;

export async function runWorkloadDemo(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { 'base-port': { type: 'string' }, 'duration-ms': { type: 'string' } } }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const basePort = values['base-port'] === undefined ? 7401 : Number(values['base-port']);
  if (!Number.isInteger(basePort) || basePort < 1024 || basePort > 65000) throw new UsageError('--base-port must be an integer 1024..65000');
  const durationMs = values['duration-ms'] === undefined ? Infinity : Number(values['duration-ms']);
  const secret = randomBytes(18).toString('base64url');
  const apiToken = randomBytes(18).toString('base64url');
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const children: ChildProcess[] = [];
  const httpPorts: number[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    const port = basePort + i;
    const httpPort = basePort + 1000 + i;
    httpPorts.push(httpPort);
    const args = [cli, 'start', '--name', `demo-${i + 1}`, '--port', String(port), '--http-port', String(httpPort), '--log-level', 'warn', '--api-token', apiToken];
    if (i > 0) args.push('--seeds', `127.0.0.1:${basePort}`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SESSIONMESH_SECRET: secret } });
    children.push(child);
  }
  const tty = process.stdout.isTTY === true;
  process.stdout.write(
    `sessionmesh demo: ${MEMBERS} members on 127.0.0.1:${basePort}-${basePort + MEMBERS - 1}\n` +
      children.map((c, i) => `  demo-${i + 1}  pid ${c.pid}  status http://127.0.0.1:${httpPorts[i]}/status`).join('\n') +
      `\nTry: kill -9 ${children[1]!.pid}   (demo-2 is declared dead within a second or two; the workload keeps going, losing nothing)\nCtrl-C stops the demo.\n\n`,
  );

  let stopping = false;
  const exited = children.map((c) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : c.once('exit', () => resolve()))));
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // One at a time: each member hands its copies to the ones still running and the last has
    // nobody left to wait for. Stopped all at once, each would wait out its leave timeout.
    for (const [i, c] of children.entries()) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      await exited[i];
    }
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());

  // A small workload, so the table shows sessions: DEMO_SESSIONS counters, each incremented once a
  // second through a member picked in turn; every acknowledged value is checked on the next read.
  const live = () => httpPorts.filter((_, i) => children[i]!.exitCode === null && children[i]!.signalCode === null);
  const call = async (port: number, method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(6000),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, any> | null };
  };
  const counters = new Map<string, number>();
  let ok = 0;
  let failed = 0;
  let lost = 0;
  let turn = 0;
  const workload = async () => {
    const ports = live();
    if (ports.length === 0) return;
    try {
      if (counters.size < DEMO_SESSIONS) {
        const r = await call(ports[turn++ % ports.length]!, 'POST', '/v1/sessions', { data: { count: 0 } });
        if (r.status === 201) counters.set(r.body!.id as string, 0);
        else failed++;
        return;
      }
      await Promise.all(
        [...counters].map(async ([id, expected]) => {
          const port = ports[turn++ % ports.length]!;
          const got = await call(port, 'GET', `/v1/sessions/${id}`);
          if (got.status !== 200) return void failed++;
          if (got.body!.data.count !== expected) lost++;
          const put = await call(port, 'PATCH', `/v1/sessions/${id}`, { set: { count: expected + 1 } });
          if (put.status === 200) {
            counters.set(id, expected + 1);
            ok++;
          } else failed++;
        }),
      );
    } catch {
      failed++;
    }
  };

  const started = Date.now();
  // The workload starts once every member has the whole cluster's partition table: before, a
  // write may wait for a table that the next join replaces, and the demo is about a steady cluster.
  const settled = async () => {
    for (const port of httpPorts) {
      const st = await fetchStatus(`127.0.0.1:${port}`, 800).catch(() => null);
      if (!st || st.members.filter((m) => m.state === 'alive').length < MEMBERS || st.partitions === null) return false;
    }
    return true;
  };
  while (!stopping && Date.now() - started < Math.min(durationMs, 20_000) && !(await settled())) await new Promise((r) => setTimeout(r, 200));
  while (!stopping && Date.now() - started < durationMs) {
    await new Promise((r) => setTimeout(r, 1000));
    if (stopping) break;
    for (let i = 0; i < 5 && counters.size < DEMO_SESSIONS && !stopping; i++) await workload();
    if (counters.size >= DEMO_SESSIONS) await workload();
    let shown = false;
    for (let i = 0; i < MEMBERS && !shown; i++) {
      if (children[i]!.exitCode !== null) continue;
      try {
        const s = await fetchStatus(`127.0.0.1:${httpPorts[i]}`, 800);
        const work = `workload: ${counters.size} sessions, ${ok} acknowledged increments, ${failed} failed requests, ${lost} lost updates`;
        process.stdout.write(`${tty ? '\x1b[2J\x1b[H' : ''}${new Date().toISOString()}\n${renderStatus(s)}\n${work}\n\n`);
        shown = true;
      } catch {
        // not up yet, or just killed: ask the next one
      }
    }
    if (children.every((c) => c.exitCode !== null)) {
      process.stdout.write('every member has exited\n');
      break;
    }
  }
  await stop();
  process.stdout.write('demo stopped\n');
  return 0;
}
