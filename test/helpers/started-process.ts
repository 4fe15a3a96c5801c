/**
 * Waiting for a spawned test process to say it is ready: every line it prints (stdout and
 * stderr) is kept for error messages, and the promise fails if the process exits first or stays
 * silent for `timeoutMs` (then it is killed).
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Started<T> {
  /** What `ready` found in the line that said the process is ready. */
  ready: T;
  output: string[];
  exited: Promise<number | null>;
}

/** `ready(line)` returns undefined until a stdout line shows the process is ready. */
export function whenStarted<T>(child: ChildProcess, what: string, timeoutMs: number, ready: (line: string) => T | undefined): Promise<Started<T>> {
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stderr! }).on('line', (l) => output.push(l));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start within ${timeoutMs / 1000} s; output:\n${output.join('\n')}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before starting; output:\n${output.join('\n')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const found = ready(line);
      if (found !== undefined) {
        clearTimeout(timer);
        resolve({ ready: found, output, exited });
      }
    });
  });
}

/** Kills every process still running with SIGKILL and waits until each has exited. */
export async function killAll(procs: Iterable<{ readonly child: ChildProcess; readonly exited: Promise<unknown> }>): Promise<void> {
  await Promise.all(
    [...procs].map(async (p) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      p.child.kill('SIGKILL');
      await p.exited;
    }),
  );
}
