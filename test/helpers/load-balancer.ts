/**
 * Test support: a real HAProxy or nginx in front of example apps, configured with the exact
 * configuration docs/load-balancers.md shows (read from its ```haproxy / ```nginx block), with
 * the documented addresses replaced by the test's: 127.0.0.1:300N becomes app-N's port and
 * 127.0.0.1:8080 the balancer's. What the docs say is what the tests run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT, freePort, type ExampleApp } from './example-app.js';

export interface RunningBalancer {
  kind: 'haproxy' | 'nginx';
  port: number;
  baseUrl: string;
  child: ChildProcess;
  output: string[];
  config: string;
  stop(): Promise<void>;
}

/** The binary's path, or null when it is not installed. */
export function findBinary(name: 'haproxy' | 'nginx'): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/local/sbin', '/sbin'])) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Whether a test needing `name` runs here: yes when installed; when missing, skipped outside CI
 * (with the reason) and failed in CI, where .ci/run installs it.
 */
export function binaryOrSkip(name: 'haproxy' | 'nginx'): { path: string } | { skip: string } {
  const path = findBinary(name);
  if (path) return { path };
  if (process.env.CI) throw new Error(`${name} is not installed, and CI must run this test (.ci/run installs the Debian package ${name})`);
  return { skip: `${name} is not installed (apt-get install ${name}); this test runs in CI` };
}

/** The fenced block of `lang` in docs/load-balancers.md. */
export function documentedConfig(lang: 'haproxy' | 'nginx'): string {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'load-balancers.md'), 'utf8');
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(doc);
  if (!m) throw new Error(`docs/load-balancers.md has no \`\`\`${lang} block`);
  return m[1]!;
}

/** The documented config with the test's ports; app-N must be apps[N-1]. */
export function localize(config: string, apps: ExampleApp[], port: number): string {
  apps.forEach((a, i) => assertName(a, `app-${i + 1}`));
  let out = config.replace(/127\.0\.0\.1:8080\b/g, `127.0.0.1:${port}`);
  out = out.replace(/127\.0\.0\.1:300(\d)\b/g, (_, n: string) => {
    const app = apps[Number(n) - 1];
    if (!app) throw new Error(`the documented config names app ${n}, the test started ${apps.length}`);
    return `127.0.0.1:${app.port}`;
  });
  return out;
}

function assertName(app: ExampleApp, name: string): void {
  if (app.name !== name) throw new Error(`expected ${name}, got ${app.name}`);
}

export async function startHaproxy(binary: string, apps: ExampleApp[]): Promise<RunningBalancer> {
  return startWithRetry('haproxy', async (port, dir) => {
    const config = `global\n    maxconn 4000\n\n${localize(documentedConfig('haproxy'), apps, port)}`;
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, config);
    const check = spawnSync(binary, ['-c', '-f', file], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`haproxy -c rejected the documented config:\n${check.stdout}${check.stderr}\n${config}`);
    // -db: foreground, no daemon; the test owns the process.
    return { config, child: spawn(binary, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] }) };
  });
}

export async function startNginx(binary: string, apps: ExampleApp[]): Promise<RunningBalancer> {
  return startWithRetry('nginx', async (port, dir) => {
    // The documented part goes inside http {}; the rest keeps nginx inside the test's directory.
    const config = [
      'worker_processes 1;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log warn;`,
      'daemon off;',
      'events { worker_connections 1024; }',
      'http {',
      `    access_log off;`,
      `    client_body_temp_path ${dir}/client_body;`,
      `    proxy_temp_path ${dir}/proxy;`,
      `    fastcgi_temp_path ${dir}/fastcgi;`,
      `    uwsgi_temp_path ${dir}/uwsgi;`,
      `    scgi_temp_path ${dir}/scgi;`,
      localize(documentedConfig('nginx'), apps, port),
      '}',
      '',
    ].join('\n');
    const file = join(dir, 'nginx.conf');
    writeFileSync(file, config);
    const check = spawnSync(binary, ['-t', '-q', '-p', dir, '-e', `${dir}/error.log`, '-c', file], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`nginx -t rejected the documented config:\n${check.stdout}${check.stderr}\n${config}`);
    return { config, child: spawn(binary, ['-p', dir, '-e', `${dir}/error.log`, '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] }) };
  });
}

/** Starts the balancer on a free port; if the port was taken meanwhile, tries another (3 times). */
async function startWithRetry(kind: 'haproxy' | 'nginx', launch: (port: number, dir: string) => Promise<{ config: string; child: ChildProcess }>): Promise<RunningBalancer> {
  let lastError: Error | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), `sessionmesh-${kind}-`));
    // nginx workers run as nobody when the master is root: they must reach the temp dirs.
    chmodSync(dir, 0o755);
    const port = await freePort();
    const { config, child } = await launch(port, dir);
    const output: string[] = [];
    for (const s of [child.stdout!, child.stderr!]) createInterface({ input: s }).on('line', (l) => output.push(l));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    };
    const baseUrl = `http://127.0.0.1:${port}`;
    try {
      await waitListening(baseUrl, child, 10_000);
      return { kind, port, baseUrl, child, output, config, stop };
    } catch (err) {
      let log = '';
      try {
        log = readFileSync(join(dir, 'error.log'), 'utf8');
      } catch {
        // haproxy logs to its stderr, captured in output
      }
      lastError = new Error(`${kind} did not start: ${(err as Error).message}\n${output.join('\n')}\n${log}`);
      await stop();
      if (!/address already in use|cannot bind/i.test(lastError.message)) break;
    }
  }
  throw lastError!;
}

/** Waits until the balancer answers HTTP (any status) on baseUrl. */
async function waitListening(baseUrl: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.signalCode ?? child.exitCode})`);
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not answering 200 on ${baseUrl}/healthz within ${timeoutMs} ms; last: ${last}`);
}
