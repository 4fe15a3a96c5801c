/**
 * The demo as a user runs it: the command of package.json's "demo" script (after its build step),
 * from the repository root, in a process group of its own like a terminal's foreground job. Clicks
 * go through the built-in balancer; one member is killed with the page's kill button; the counter
 * must go on without a lost click; SIGINT to the group (Ctrl-C) must stop everything, children
 * included.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../helpers/example-app.js';
import { waitFor } from '../helpers/cluster.js';
import { CookieJar, click, readCounter } from '../helpers/virtual-users.js';

/**
 * The run part of the npm script, as argv: "tsc -p tsconfig.json && node dist/src/cli/main.js demo"
 * gives [node, dist/src/cli/main.js, demo]. Run without a shell so the demo itself leads its
 * process group and its exit code is the one checked.
 */
function demoCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const script = pkg.scripts.demo;
  assert.ok(script, 'package.json has a demo script');
  const parts = script.split('&&').map((p) => p.trim());
  assert.match(parts[0]!, /^tsc\b/, 'the demo script builds first');
  assert.equal(parts.length, 2, `expected "tsc … && node …", got ${script}`);
  const argv = parts[1]!.split(/\s+/);
  assert.equal(argv[0], 'node', script);
  return [process.execPath, ...argv.slice(1)];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of the processes in process group `pgid`, from /proc (field 5 of /proc/<pid>/stat). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) out.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

interface RunningDemo {
  child: ChildProcess;
  baseUrl: string;
  appPids: Map<string, number>;
  exited: Promise<number | null>;
  log(): string;
}

/** Starts the demo's command in a process group of its own and waits until it prints the page to open. */
async function startDemo(port: number, started: RunningDemo[]): Promise<RunningDemo> {
  const baseUrl = `http://127.0.0.1:${port}`;
  const [cmd, ...args] = demoCommand();
  const child = spawn(cmd!, args, { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SESSIONMESH_DEMO_PORT: String(port) } });
  const output: string[] = [];
  const appPids = new Map<string, number>();
  const demo: RunningDemo = { child, baseUrl, appPids, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))), log: () => output.join('\n') };
  started.push(demo);
  let ready = false;
  createInterface({ input: child.stderr! }).on('line', (l) => output.push(l));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    output.push(l);
    const m = /^\s+(app-\d)\s+pid (\d+)/.exec(l);
    if (m) appPids.set(m[1]!, Number(m[2]));
    if (l.includes(`open  ${baseUrl}/`)) ready = true;
  });
  await waitFor('the demo to print the page to open', 60_000, async () => ready || (child.exitCode !== null && Promise.reject(new Error(`demo exited:\n${demo.log()}`))), 100);
  assert.equal(appPids.size, 3, demo.log());
  return demo;
}

describe('npm run demo', () => {
  const started: RunningDemo[] = [];
  // Not the default 8080, so tests never collide with a demo someone is running; below the
  // ephemeral range (32768+), where outgoing connections could hold a port.
  const basePort = 21000 + (process.pid % 10000);
  after(() => {
    // Only if a test failed midway: leave nothing behind.
    for (const d of started) {
      for (const pid of [d.child.pid ? -d.child.pid : 0, ...d.appPids.values()]) {
        try {
          if (pid !== 0) process.kill(pid, 'SIGKILL');
        } catch {
          // already gone: the normal case
        }
      }
    }
  });

  it('serves the page through the balancer, counts on across a member killed from the page, and Ctrl-C stops every process', { timeout: 120_000 }, async () => {
    const demo = await startDemo(basePort, started);
    const { baseUrl, appPids, log } = demo;

    const page = await fetch(`${baseUrl}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /sessionmesh demo/);

    const jar = new CookieJar();
    const served = new Set<string>();
    let count = 0;
    for (let i = 0; i < 6; i++) {
      const r = await click(baseUrl, jar, `before-${i}`, 10_000);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.view!.count, ++count);
      served.add(r.view!.servedBy);
    }
    assert.equal(served.size, 3, `round robin: every app served a click (${[...served].join(', ')})`);

    // The page's kill button, for the session's primary: the balancer takes turns, so ask until
    // that app answers.
    const { primary } = await readCounter(baseUrl, jar);
    assert.ok(primary && appPids.has(primary), `primary ${primary}`);
    let killed = false;
    for (let i = 0; i < 6 && !killed; i++) {
      const res = await fetch(`${baseUrl}/api/kill`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ member: primary }) });
      const body = (await res.json()) as { killed?: string };
      if (res.status === 200) killed = body.killed === primary;
      else assert.equal(res.status, 421);
    }
    assert.ok(killed, `${primary} was killed`);
    const victimPid = appPids.get(primary)!;
    await waitFor(`${primary} (pid ${victimPid}) to exit`, 10_000, async () => !alive(victimPid));

    // The counter goes on where it was: no click lost, none failed.
    for (let i = 0; i < 6; i++) {
      const r = await click(baseUrl, jar, `after-${i}`, 15_000);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.view!.count, ++count);
      assert.notEqual(r.view!.servedBy, primary);
    }
    const after = await readCounter(baseUrl, jar);
    assert.equal(after.count, count);
    assert.notEqual(after.primary, primary, 'a survivor is the primary now');

    // Ctrl-C: SIGINT to the foreground process group.
    process.kill(-demo.child.pid!, 'SIGINT');
    const { elapsedMs } = await waitFor('the demo to exit after SIGINT', 45_000, async () => demo.child.exitCode !== null || demo.child.signalCode !== null);
    assert.equal(await demo.exited, 0, log());
    assert.match(log(), /demo stopped/);
    assert.deepEqual(groupMembers(demo.child.pid!), [], "nothing left in the demo's process group");
    for (const [name, pid] of appPids) assert.ok(!alive(pid), `${name} (pid ${pid}) is still running`);
    console.log(`# demo stopped ${Math.round(elapsedMs)} ms after SIGINT`);
  });

  it('leaves no orphan when the launcher itself is killed -9: each app stops by itself', { timeout: 60_000 }, async () => {
    // Another port block than the first test's (which may still be releasing its ports).
    const demo = await startDemo(basePort + 200, started);
    process.kill(demo.child.pid!, 'SIGKILL');
    await demo.exited;
    const { elapsedMs } = await waitFor('every app to exit after its launcher died', 30_000, async () => [...demo.appPids.values()].every((pid) => !alive(pid)));
    console.log(`# apps gone ${Math.round(elapsedMs)} ms after the launcher was killed`);
  });
});
