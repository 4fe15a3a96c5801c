/**
 * CPU time a process has used (user + system, kernel included: on loopback a socket write does the
 * receiver's delivery too), read from /proc on Linux. Requests per second on a small shared machine
 * swing with scheduling; CPU µs per request per process is the steadier number to compare stores by.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux we run on

/** CPU ms used so far by `pid`, or null where /proc is unavailable (not Linux, process gone). */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at "state": utime and
    // stime are fields 14 and 15 of the line, so 11 and 12 after it.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** CPU ms of each named process between start() and the returned stop(). */
export function cpuMeter(pids: Record<string, number | undefined>): () => Record<string, number | null> {
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuMs(pid)]));
  return () =>
    Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => {
        const a = start[k];
        const b = processCpuMs(pid);
        return [k, a === null || a === undefined || b === null ? null : b - a];
      }),
    );
}
