/**
 * bench/results/latest.json: one object per benchmark part, merged so that `bench:store` does not
 * erase what `bench:http` wrote. Each part records the machine it ran on.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';

export const RESULTS_FILE = fileURLToPath(new URL('../../../bench/results/latest.json', import.meta.url));

export function machine(): Record<string, unknown> {
  const c = cpus();
  return { node: process.version, platform: `${platform()} ${release()}`, cpu: c[0]?.model ?? 'unknown', cores: c.length, memGiB: Math.round(totalmem() / 2 ** 30) };
}

export function readResults(): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function writePart(part: string, data: unknown): void {
  const all = readResults();
  all[part] = { ranAt: new Date().toISOString(), machine: machine(), ...(data as object) };
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, JSON.stringify(all, null, 2) + '\n');
}
