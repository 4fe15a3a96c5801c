/**
 * `sessionmesh demo`: three real member processes on loopback, and a live view of the cluster
 * as the first reachable member sees it. Kill one (its PID is printed) and watch it be declared
 * dead; Ctrl-C stops everything (each member leaves gracefully).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UsageError } from './args.js';
import { fetchStatus, renderStatus } from './status.js';

const MEMBERS = 3;

export async function runDemo(argv: string[]): Promise<number> {
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
  const cli = fileURLToPath(new URL('./main.js', import.meta.url));
  const children: ChildProcess[] = [];
  const httpPorts: number[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    const port = basePort + i;
    const httpPort = basePort + 1000 + i;
    httpPorts.push(httpPort);
    const args = [cli, 'start', '--name', `demo-${i + 1}`, '--port', String(port), '--http-port', String(httpPort), '--log-level', 'warn'];
    if (i > 0) args.push('--seeds', `127.0.0.1:${basePort}`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SESSIONMESH_SECRET: secret } });
    children.push(child);
  }
  const tty = process.stdout.isTTY === true;
  process.stdout.write(
    `sessionmesh demo: ${MEMBERS} members on 127.0.0.1:${basePort}-${basePort + MEMBERS - 1}\n` +
      children.map((c, i) => `  demo-${i + 1}  pid ${c.pid}  status http://127.0.0.1:${httpPorts[i]}/status`).join('\n') +
      `\nTry: kill -9 ${children[1]!.pid}   (and watch demo-2 be declared dead)\nCtrl-C stops the demo.\n\n`,
  );

  let stopping = false;
  const exited = children.map((c) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : c.once('exit', () => resolve()))));
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(exited);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());

  const started = Date.now();
  while (!stopping && Date.now() - started < durationMs) {
    await new Promise((r) => setTimeout(r, 1000));
    if (stopping) break;
    let shown = false;
    for (let i = 0; i < MEMBERS && !shown; i++) {
      if (children[i]!.exitCode !== null) continue;
      try {
        const s = await fetchStatus(`127.0.0.1:${httpPorts[i]}`, 800);
        process.stdout.write(`${tty ? '\x1b[2J\x1b[H' : ''}${new Date().toISOString()}\n${renderStatus(s)}\n\n`);
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
