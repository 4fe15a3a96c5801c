/**
 * The suite's private network: a bridge namespace with a Linux bridge, one namespace per member
 * and one for the clients, each joined to the bridge by a veth pair. The 10.213.0.0/24 addresses
 * exist only inside these namespaces (the root namespace gets none and nothing is routed out), so
 * no packet of a run leaves them. Names carry the runner's pid (`smc<pid>-…`): a later run can tell
 * a crashed run's leftovers (pid gone) from a concurrent run's (pid alive) and sweep only the first.
 */
import { run, runSync } from './shell.js';

const PREFIX = 'smc';
const SUBNET_BITS = 24;
/** Inside the namespaces only; the peer port is the same on every member (each has its own address). */
export const CLIENT_ADDRESS = '10.213.0.2';
export const PEER_PORT = 7400;

export interface MemberSlot {
  /** m1..m5: the member's name in logs and histories (a restarted process keeps its slot's name). */
  name: string;
  netns: string;
  address: string;
}

export interface Topology {
  prefix: string;
  bridgeNs: string;
  clientNs: string;
  members: MemberSlot[];
}

export function planTopology(memberCount: number, pid = process.pid): Topology {
  const prefix = `${PREFIX}${pid}`;
  return {
    prefix,
    bridgeNs: `${prefix}-br`,
    clientNs: `${prefix}-cl`,
    members: Array.from({ length: memberCount }, (_, i) => ({ name: `m${i + 1}`, netns: `${prefix}-m${i + 1}`, address: `10.213.0.${11 + i}` })),
  };
}

function ns(name: string, ...args: string[]): Promise<string> {
  return run('ip', ['-n', name, ...args]);
}

async function attach(t: Topology, netns: string, vethName: string, address: string): Promise<void> {
  await run('ip', ['netns', 'add', netns]);
  await ns(netns, 'link', 'set', 'lo', 'up');
  // Created inside the bridge namespace with its peer end moved straight into the member's: no
  // interface ever appears in the root namespace.
  await ns(t.bridgeNs, 'link', 'add', vethName, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
  await ns(t.bridgeNs, 'link', 'set', vethName, 'master', 'br0', 'up');
  await ns(netns, 'addr', 'add', `${address}/${SUBNET_BITS}`, 'dev', 'eth0');
  await ns(netns, 'link', 'set', 'eth0', 'up');
}

/** Creates every namespace; on failure removes what it created and rethrows. */
export async function createTopology(t: Topology): Promise<void> {
  try {
    await run('ip', ['netns', 'add', t.bridgeNs]);
    await ns(t.bridgeNs, 'link', 'set', 'lo', 'up');
    await ns(t.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge');
    await ns(t.bridgeNs, 'link', 'set', 'br0', 'up');
    await attach(t, t.clientNs, 'vcl', CLIENT_ADDRESS);
    for (const m of t.members) await attach(t, m.netns, `v${m.name}`, m.address);
  } catch (err) {
    destroyTopology(t);
    throw err;
  }
}

function existingNamespaces(): string[] {
  const r = runSync('ip', ['netns', 'list']);
  return r.stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

/** Pids of the processes living in a namespace (`ip netns pids`). */
export function pidsIn(netns: string): number[] {
  const r = runSync('ip', ['netns', 'pids', netns]);
  return r.stdout.split('\n').map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

/**
 * Removes the namespaces of `t` (their veths go with them), first killing any process left in
 * them (they are the suite's own members; normally parent-watch has ended them already).
 * Synchronous so that it also runs from exit and signal handlers. Returns what it could not remove.
 */
export function destroyTopology(t: Topology): string[] {
  return removeNamespaces(existingNamespaces().filter((n) => n.startsWith(`${t.prefix}-`)));
}

function removeNamespaces(names: string[]): string[] {
  const failed: string[] = [];
  for (const name of names) {
    for (const pid of pidsIn(name)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const r = runSync('ip', ['netns', 'del', name]);
    if (!r.ok) failed.push(`${name}: ${r.stderr.trim()}`);
  }
  return failed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes namespaces left by earlier runs of the suite that died without cleaning up (their pid is gone). */
export function sweepStaleNamespaces(): string[] {
  const stale = existingNamespaces().filter((n) => {
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(n);
    return m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1]));
  });
  const failed = removeNamespaces(stale);
  return stale.filter((n) => !failed.some((f) => f.startsWith(`${n}:`)));
}
