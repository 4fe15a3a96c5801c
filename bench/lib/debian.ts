/**
 * The real servers the benchmarks compare against come from Debian packages. If one is missing,
 * the benchmark installs it when it runs as root with apt-get (printing what it does), else it
 * says how to get it.
 */
import { spawnSync } from 'node:child_process';

export function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd} || ls /usr/sbin/${cmd} 2>/dev/null`], { encoding: 'utf8' });
  const path = r.stdout.trim().split('\n')[0];
  return r.status === 0 && path ? path : null;
}

export function ensureBinary(cmd: string, debianPackage: string): string {
  let bin = which(cmd);
  if (bin) return bin;
  if (process.getuid?.() === 0 && which('apt-get')) {
    console.log(`bench: ${cmd} not found; installing the Debian package ${debianPackage} ...`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', debianPackage], { stdio: 'inherit', env });
    bin = which(cmd);
    if (bin) return bin;
  }
  throw new Error(`bench: ${cmd} is needed and could not be installed; install it (Debian: apt-get install ${debianPackage}) and rerun`);
}
