/**
 * `npm run demo` / `sessionmesh demo`: three copies of examples/express/app.js (each one an
 * Express app with an embedded cluster member) on their own ports, and the built-in round-robin
 * balancer in front of them. Ctrl-C stops the apps one after the other (each hands its sessions to
 * the ones still running) and then exits; nothing is left running.
 *
 * Ports, from the balancer's port P (default 8080): apps on P+1..P+3, cluster peers on
 * P+101..P+103.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { RoundRobinBalancer } from './balancer.js';
import { formatLogLine } from './log-line.js';

export const DEFAULT_DEMO_PORT = 8080;
const APPS = 3;
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;
/** Bound for one app's graceful stop (hand-off included) before it is killed. */
const STOP_TIMEOUT_MS = 15_000;

export interface DemoOptions {
  port: number;
  out: NodeJS.WritableStream;
  /** Stops the demo when aborted (the CLI wires SIGINT/SIGTERM to it). */
  signal: AbortSignal;
}

export class DemoError extends Error {}

interface App {
  name: string;
  port: number;
  peerPort: number;
  child: ChildProcess;
  exited: Promise<void>;
  stopping: boolean;
}

/** Finds the directory of the package.json named sessionmesh above this file. */
export function packageRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'sessionmesh') return dir;
      } catch {
        // not a readable package.json: keep looking up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new DemoError('cannot find the sessionmesh package root above the demo launcher');
    dir = up;
  }
}

export async function runExpressDemo(o: DemoOptions): Promise<number> {
  const root = packageRoot();
  const appFile = join(root, 'examples', 'express', 'app.js');
  if (!existsSync(appFile)) throw new DemoError(`${appFile} is missing: the demo runs from a clone of the sessionmesh repository`);
  const require = createRequire(appFile);
  for (const dep of ['express', 'express-session']) {
    try {
      require.resolve(dep);
    } catch {
      throw new DemoError(`the demo needs ${dep}: run npm install in ${root}`);
    }
  }
  if (!Number.isInteger(o.port) || o.port < 1 || o.port + 103 > 65535) throw new DemoError(`invalid demo port ${o.port}`);
  const watch = new URL('./parent-watch.js', import.meta.url).href;
  const secret = randomBytes(24).toString('base64url');
  const sessionSecret = randomBytes(24).toString('base64url');
  const say = (line: string) => o.out.write(`${line}\n`);

  const apps: App[] = [];
  const start = (i: number): App => {
    const name = `app-${i + 1}`;
    const port = o.port + 1 + i;
    const peerPort = o.port + 101 + i;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NAME: name,
      HOST,
      PORT: String(port),
      PEER_PORT: String(peerPort),
      SEEDS: i === 0 ? '' : `${HOST}:${o.port + 101}`,
      SESSIONMESH_SECRET: secret,
      SESSION_SECRET: sessionSecret,
      ALLOW_KILL: '1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    };
    // detached: an own process group, so a Ctrl-C in the terminal reaches only this launcher,
    // which then stops the apps in order. The IPC channel lets parent-watch stop an app whose
    // launcher died.
    const child = spawn(process.execPath, ['--import', watch, appFile], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
    const app: App = { name, port, peerPort, child, stopping: false, exited: new Promise((resolve) => child.once('exit', () => resolve())) };
    for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (l) => say(`[${name}] ${formatLogLine(l)}`));
    child.once('exit', (code, sig) => {
      if (!app.stopping) say(`[${name}] exited (${sig ?? `code ${code}`}); the other members take over its sessions`);
    });
    apps.push(app);
    return app;
  };

  // Children are stopped on every way out of this function, errors included; a synchronous
  // kill on process exit covers the rest.
  const killAll = () => {
    for (const a of apps) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  let balancer: RoundRobinBalancer | null = null;
  try {
    const first = start(0);
    await ready(first, o.signal);
    await Promise.all([start(1), start(2)].map((a) => ready(a, o.signal)));
    balancer = new RoundRobinBalancer({ host: HOST, port: o.port, targets: apps.map((a) => ({ name: a.name, host: HOST, port: a.port })) });
    try {
      await balancer.listen();
    } catch (err) {
      balancer = null;
      throw new DemoError(`the balancer cannot listen on ${HOST}:${o.port}: ${(err as Error).message} (pick another port with --port or SESSIONMESH_DEMO_PORT)`);
    }
    say('');
    say(`sessionmesh demo: ${APPS} Express apps, each one a cluster member, behind a round-robin balancer`);
    say('');
    say(`  open  http://${HOST}:${o.port}/`);
    say('');
    for (const a of apps) say(`  ${a.name}  pid ${a.child.pid}  http://${HOST}:${a.port}/  cluster peer ${HOST}:${a.peerPort}`);
    say('');
    say('Click +1 a few times, then kill the member that is primary for your session (its kill');
    say(`button, or from a shell: kill -9 ${apps[0]!.child.pid}): the counter goes on where it was.`);
    say('Ctrl-C stops everything.');
    say('');
    if (!o.signal.aborted) await new Promise<void>((resolve) => o.signal.addEventListener('abort', () => resolve(), { once: true }));
    say('stopping: each app hands its sessions to the others, then exits');
    return 0;
  } finally {
    await balancer?.close();
    // One at a time: the last one has nobody left to hand off to and exits at once.
    for (const a of apps) await stop(a, say);
    process.off('exit', killAll);
    say('demo stopped');
  }
}

async function ready(app: App, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = false;
  void app.exited.then(() => (exited = true));
  for (;;) {
    if (signal.aborted) throw new DemoError('stopped before the demo was ready');
    if (exited) throw new DemoError(`${app.name} exited during start (see its output above)`);
    try {
      const res = await fetch(`http://${HOST}:${app.port}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new DemoError(`${app.name} was not ready on ${HOST}:${app.port} within ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(app: App, say: (l: string) => void): Promise<void> {
  const c = app.child;
  if (c.exitCode !== null || c.signalCode !== null) return;
  app.stopping = true;
  c.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([app.exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STOP_TIMEOUT_MS)))]);
  clearTimeout(timer);
  if (timedOut) {
    say(`[${app.name}] did not stop within ${STOP_TIMEOUT_MS} ms: killing it`);
    c.kill('SIGKILL');
    await app.exited;
  }
}
