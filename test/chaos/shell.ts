/** Running the system commands the suite needs (ip, iptables-restore), each bounded in time. */
import { execFile, execFileSync } from 'node:child_process';

export interface CommandOptions {
  /** Written to the command's stdin (iptables-restore reads its rules there). */
  input?: string;
  timeoutMs?: number;
}

/** Runs a command; rejects with its stderr when it fails, exits non-zero or overruns. */
export function run(cmd: string, args: readonly string[], o: CommandOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args as string[], { timeout: o.timeoutMs ?? 10_000, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    if (o.input !== undefined) child.stdin?.end(o.input);
  });
}

/** The synchronous variant, for cleanup on exit paths where the event loop may not run again. */
export function runSync(cmd: string, args: readonly string[], timeoutMs = 10_000): { ok: boolean; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(cmd, args as string[], { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, stdout, stderr: '' };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
