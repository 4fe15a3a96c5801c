/**
 * Network faults between members, as iptables rules inside the member namespaces (the client
 * namespace is never filtered: clients keep reaching every member, like a load balancer would).
 * Each member's filter table is replaced atomically with iptables-restore, so a fault is one
 * command per member and a heal is the same command with no rules.
 *
 * iptables here is Debian 12's default `iptables` (the nf_tables backend, iptables-nft): it works
 * inside network namespaces on this kernel, its rules live in the namespace's own nf_tables, and
 * it is what `apt-get install iptables` provides. The `statistic` match (random loss) works through
 * its xtables compatibility layer. We never mix it with iptables-legacy in one namespace.
 */
import type { MemberSlot } from './topology.js';
import { run } from './shell.js';

/** What one member drops: traffic to and from these peer addresses, all of it or a random share. */
export interface MemberRules {
  dropPeers: string[];
  /** 0..1: probability with which each packet from a peer is dropped (random loss), 0 = none. */
  lossFromPeers?: { peers: string[]; probability: number };
}

function restoreText(r: MemberRules): string {
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (const peer of r.dropPeers) {
    // Both directions: a cut that let SYNs out but dropped answers would behave differently
    // from a real split (and from the other member's point of view).
    lines.push(`-A INPUT -s ${peer}/32 -j DROP`, `-A OUTPUT -d ${peer}/32 -j DROP`);
  }
  if (r.lossFromPeers && r.lossFromPeers.probability > 0) {
    // Only on INPUT: every member filters what it receives, so each packet between two members
    // crosses exactly one lossy rule and is lost with the stated probability.
    for (const peer of r.lossFromPeers.peers) {
      lines.push(`-A INPUT -s ${peer}/32 -m statistic --mode random --probability ${r.lossFromPeers.probability.toFixed(3)} -j DROP`);
    }
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

export async function applyRules(slot: MemberSlot, rules: MemberRules): Promise<void> {
  await run('ip', ['netns', 'exec', slot.netns, 'iptables-restore'], { input: restoreText(rules), timeoutMs: 10_000 });
}

/** Splits the members into groups that cannot reach each other (every member reaches its own group). */
export async function partition(slots: readonly MemberSlot[], groups: readonly (readonly string[])[]): Promise<void> {
  const groupOf = new Map<string, number>();
  groups.forEach((g, i) => g.forEach((name) => groupOf.set(name, i)));
  await Promise.all(
    slots.map((s) =>
      applyRules(s, { dropPeers: slots.filter((o) => o !== s && groupOf.get(o.name) !== groupOf.get(s.name)).map((o) => o.address) }),
    ),
  );
}

/**
 * A bridge: `bridge` reaches everyone; the others are split into `left` and `right`, which
 * reach the bridge but not each other (a non-transitive network, as seen through a flaky switch).
 */
export async function bridgePartition(slots: readonly MemberSlot[], left: readonly string[], right: readonly string[]): Promise<void> {
  const addr = (names: readonly string[]) => slots.filter((s) => names.includes(s.name)).map((s) => s.address);
  await Promise.all(
    slots.map((s) => applyRules(s, { dropPeers: left.includes(s.name) ? addr(right) : right.includes(s.name) ? addr(left) : [] })),
  );
}

/** Random loss of member↔member packets; client traffic is untouched. */
export async function randomLoss(slots: readonly MemberSlot[], probability: number): Promise<void> {
  await Promise.all(slots.map((s) => applyRules(s, { dropPeers: [], lossFromPeers: { peers: slots.filter((o) => o !== s).map((o) => o.address), probability } })));
}

export async function healAll(slots: readonly MemberSlot[]): Promise<void> {
  await Promise.all(slots.map((s) => applyRules(s, { dropPeers: [] })));
}
