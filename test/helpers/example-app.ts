/**
 * Test support: real processes of examples/express/app.js (Express + express-session with the
 * sessionmesh store), each one a cluster member. Every app listens on port 0 for HTTP and for
 * cluster peers and the harness learns both from the app's "listening on" line, so tests never
 * collide on ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { killAll, whenStarted } from './started-process.js';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root (tests run from <outDir>/test/helpers). */
export const REPO_ROOT = findRoot();
export const EXAMPLE_APP = `${REPO_ROOT}/examples/express/app.js`;

function findRoot(): string {
  // <outDir>/test/helpers, with outDir dist/ or .build/<name>/: the root is where examples/ is.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    dir = dirname(dir);
    if (existsSync(join(dir, 'examples', 'express', 'app.js'))) return dir;
  }
  throw new Error('cannot find examples/express/app.js above the test helpers');
}

export interface ExampleApp {
  name: string;
  child: ChildProcess;
  /** HTTP port of the Express app. */
  port: number;
  /** Cluster peer address, host:port. */
  peer: string;
  output: string[];
  exited: Promise<number | null>;
}

export interface ExampleAppOptions {
  name: string;
  seeds?: string[];
  secret: string;
  sessionSecret: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts an app and resolves once it listens. The app imports 'sessionmesh' by package
 * self-reference, i.e. the compiled dist/ of this repository.
 */
export function startExampleApp(o: ExampleAppOptions): Promise<ExampleApp> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NAME: o.name,
    HOST: '127.0.0.1',
    PORT: '0',
    PEER_PORT: '0',
    SEEDS: (o.seeds ?? []).join(','),
    SESSIONMESH_SECRET: o.secret,
    SESSION_SECRET: o.sessionSecret,
    LOG_LEVEL: 'warn',
    ...o.env,
  };
  const child = spawn(process.execPath, [EXAMPLE_APP], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return whenStarted(child, o.name, 15_000, (line) => /listening on http:\/\/127\.0\.0\.1:(\d+) \(cluster peer ([\d.]+:\d+)\)/.exec(line) ?? undefined).then(
    ({ ready: m, output, exited }) => ({ name: o.name, child, port: Number(m[1]), peer: m[2]!, output, exited }),
  );
}

/** Starts `count` apps app-1..app-N in one cluster (the first is everyone's seed) and waits until each is healthy. */
export async function startExampleCluster(count: number, secrets = { secret: 'e2e-secret-0123456789', sessionSecret: 'e2e-session-secret' }): Promise<ExampleApp[]> {
  const apps: ExampleApp[] = [];
  try {
    apps.push(await startExampleApp({ name: 'app-1', ...secrets }));
    const rest = await Promise.all(Array.from({ length: count - 1 }, (_, i) => startExampleApp({ name: `app-${i + 2}`, seeds: [apps[0]!.peer], ...secrets })));
    apps.push(...rest);
    await Promise.all(apps.map((a) => waitHealthy(a, 15_000)));
    return apps;
  } catch (err) {
    await stopApps(apps);
    throw err;
  }
}

/** Resolves when the app answers /healthz 200 (joined, with the cluster's view), or throws after timeoutMs. */
export async function waitHealthy(app: ExampleApp, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${app.port}/healthz`, { signal: AbortSignal.timeout(1000) });
      last = `${res.status} ${await res.text()}`;
      if (res.status === 200) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${app.name} not healthy within ${timeoutMs} ms; last: ${last}`);
}

export function stopApps(apps: Iterable<ExampleApp>): Promise<void> {
  return killAll(apps);
}

/** A loopback port that was free a moment ago (callers retry if it was taken since). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
