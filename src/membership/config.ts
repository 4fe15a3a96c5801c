/**
 * Membership (SWIM + Lifeguard) settings. Every value has a unit in its name and a default tuned
 * for a LAN (sub-millisecond RTT, event loops that may stall for tens of milliseconds under load).
 * The defaults were checked with the seeded simulator in test/sim/ (membership-*.test.ts):
 *
 * - kill -9 of a member (the transport reports the closed connections at once and refuses later
 *   dials): survivors probe it out of turn, fail fast, confirm each other's suspicion, and all
 *   declare it dead after ~suspicionMinMs: ~0.8 s on 3..10 members (asserted < 2 s), ~1.4 s on 50.
 * - a silently vanished host (no hint, its packets just vanish): every survivor declares it dead
 *   within `silentFailureDetectionBoundMs` — 7.6 s for 5 members, 9.6 s for 10 (worst case: no
 *   confirmations); typically ~1.1–1.8 s, because several members probe it and confirm.
 * - no false death with 5% message loss and 0..100 ms jitter (10 members, 10 simulated minutes;
 *   25 members, 2 minutes), nor with half the members handling every input up to 500 ms late.
 * - membership traffic: ~10 messages per second per member (Ping + Ack both ways each 200 ms
 *   period), independent of the cluster size; a Sync of the full list every ~10 s.
 */
import { SessionMeshError } from '../errors.js';

export interface MembershipConfig {
  /**
   * SWIM protocol period: one member is probed every period. 200 ms keeps a 10-member round under
   * 2 s while costing ~10 small messages per second per member (Ping + Ack, both directions).
   * Lifeguard scales it up by the local health multiplier when this member is struggling.
   */
  probeIntervalMs: number;
  /**
   * How long to wait for the direct Ack before asking `indirectProbes` others. A LAN RTT is far below
   * 1 ms; 150 ms leaves room for event-loop delays on both sides and for jittery networks. (The
   * direct Ack still counts if it arrives later, until the verdict.)
   */
  probeTimeoutMs: number;
  /**
   * After the direct timeout, how long the indirect round (PingReq → helper's Ping → Ack → relayed
   * Ack: four hops) may take before the verdict. Separate from the period, so a short period does not
   * leave the indirect probes too little time to rescue a lost or delayed direct Ping/Ack — on TCP a
   * lost packet costs a retransmission (≥ 200 ms on Linux), which the indirect path routes around.
   * Helpers wait 80% of it before answering Nack.
   */
  indirectProbeTimeoutMs: number;
  /** SWIM k: members asked to probe the target on our behalf (PingReq) when the direct probe fails. */
  indirectProbes: number;
  /**
   * Lifeguard suspicion timeout, lower end: suspicionMult × max(1, log10(n)) × probeIntervalMs
   * (memberlist's formula; the log keeps the refutation window growing with gossip spread time).
   * 4 → 800 ms for n ≤ 10: four protocol periods for the suspect to hear it and refute.
   */
  suspicionMult: number;
  /** Upper end of the suspicion timeout, as a multiple of the lower end (used with no confirmations). */
  suspicionMaxMult: number;
  /**
   * Each update is piggybacked retransmitMult × ceil(log10(n + 1)) times by every member that learns
   * it (SWIM infection-style). memberlist uses 4; with 4 the sim showed a 50-member join storm where
   * an occasional member missed a newcomer for several seconds (until a contact or the periodic Sync
   * repaired it). 5 made every run of 60 converge by gossip alone within 2.5 s, for 25% more update
   * bytes (the message count is unchanged: updates ride on messages sent anyway).
   */
  retransmitMult: number;
  /** At most this many updates ride on one message (bounds message size; 64 is the wire limit). */
  maxUpdatesPerMessage: number;
  /**
   * While updates are pending, send a Gossip message to `gossipFanout` random members this often
   * (memberlist's gossip round). Piggybacking alone spreads a refutation in ~log2(n) periods; the
   * extra round makes that ~log4(n) and is silent when there is nothing new.
   */
  gossipIntervalMs: number;
  gossipFanout: number;
  /**
   * Push-pull full-state exchange with one random member, dead ones included (gossip to the dead),
   * so lost updates are repaired and a healed partition re-merges. Jittered ±25%.
   */
  syncIntervalMs: number;
  /** Until the first JoinReply, Join is re-sent to every seed this often (jittered ±25%). */
  joinRetryMs: number;
  /** Dead and left records are remembered (and gossiped to) this long, then forgotten. */
  deadRetentionMs: number;
  /** Lifeguard awareness: timeouts are scaled by (health + 1), health in 0..maxHealthMultiplier-1. */
  maxHealthMultiplier: number;
  /**
   * A deadline handled more than this late means this process itself stalled (blocked event loop,
   * CPU starvation, GC): a probe that expired meanwhile is inconclusive, not evidence against the
   * peer (its Ack may be waiting unread in our socket), and a suspicion gets one grace period.
   */
  stallThresholdMs: number;
  /** Records kept (all states). Also bounds every member list accepted from the network. */
  maxMembers: number;
  /** Indirect probes run on behalf of others at once; beyond it a PingReq is answered with Nack. */
  maxPendingIndirectProbes: number;
}

export const defaultMembershipConfig: Readonly<MembershipConfig> = Object.freeze({
  probeIntervalMs: 200,
  probeTimeoutMs: 150,
  indirectProbeTimeoutMs: 250,
  indirectProbes: 3,
  suspicionMult: 4,
  suspicionMaxMult: 6,
  retransmitMult: 5,
  maxUpdatesPerMessage: 8,
  gossipIntervalMs: 200,
  gossipFanout: 3,
  syncIntervalMs: 10_000,
  joinRetryMs: 500,
  deadRetentionMs: 300_000,
  maxHealthMultiplier: 8,
  stallThresholdMs: 100,
  maxMembers: 1024,
  maxPendingIndirectProbes: 64,
});

/** Largest list of updates any membership message may carry (wire contract). */
export const MAX_UPDATES_PER_MESSAGE = 64;

/** Merges `partial` over the defaults and checks every value; throws ERR_CONFIG naming the field. */
export function resolveMembershipConfig(partial: Partial<MembershipConfig> = {}): MembershipConfig {
  const c: MembershipConfig = { ...defaultMembershipConfig };
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    if (!(key in defaultMembershipConfig)) {
      throw new SessionMeshError('ERR_CONFIG', `unknown membership setting "${key}"`);
    }
    (c as unknown as Record<string, unknown>)[key] = value;
  }
  const int = (key: keyof MembershipConfig, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new SessionMeshError('ERR_CONFIG', `membership.${key} must be an integer in ${min}..${max}, got ${String(v)}`);
    }
  };
  int('probeIntervalMs', 1);
  int('probeTimeoutMs', 1);
  int('indirectProbeTimeoutMs', 1);
  int('indirectProbes', 0, 16);
  int('suspicionMult', 1, 100);
  int('suspicionMaxMult', 1, 100);
  int('retransmitMult', 1, 100);
  int('maxUpdatesPerMessage', 1, MAX_UPDATES_PER_MESSAGE);
  int('gossipIntervalMs', 1);
  int('gossipFanout', 0, 16);
  int('syncIntervalMs', 1);
  int('joinRetryMs', 1);
  int('deadRetentionMs', 0);
  int('maxHealthMultiplier', 1, 64);
  int('stallThresholdMs', 1);
  int('maxMembers', 2, 100_000);
  int('maxPendingIndirectProbes', 0, 100_000);
  return c;
}

/**
 * Suspicion timeout range for a cluster of n members (Lifeguard LHS, memberlist's constants):
 * min = suspicionMult × max(1, log10(n)) × probeIntervalMs, max = suspicionMaxMult × min.
 * The floor of 1 on the log keeps small clusters from getting a timeout shorter than a few periods.
 */
export function suspicionRangeMs(config: MembershipConfig, n: number): { minMs: number; maxMs: number } {
  const scale = Math.max(1, Math.log10(Math.max(1, n)));
  const minMs = Math.floor(config.suspicionMult * scale * config.probeIntervalMs);
  return { minMs, maxMs: config.suspicionMaxMult * minMs };
}

/** Confirmations Lifeguard waits for before the timeout reaches its minimum (memberlist: mult − 2). */
export function expectedConfirmations(config: MembershipConfig, n: number): number {
  const k = config.suspicionMult - 2;
  // Fewer possible independent suspecters (everyone but the suspect and the first accuser) than k:
  // expect none, i.e. use the minimum timeout from the start.
  return n - 2 < k ? 0 : Math.max(0, k);
}

/** How many times one update is piggybacked before it is dropped from the queue. */
export function retransmitLimit(config: MembershipConfig, n: number): number {
  return config.retransmitMult * Math.max(1, Math.ceil(Math.log10(n + 1)));
}

/**
 * Worst case for every one of n − 1 survivors to declare a silently vanished member dead
 * (no disconnect hint, its packets just dropped), with all members healthy (health 0):
 *
 *   1. some survivor probes it within 2(n − 1) − 1 periods (shuffled round-robin: worst case first
 *      in one round, last in the next), and suspects it probeTimeoutMs + indirectProbeTimeoutMs later;
 *   2. the suspicion reaches every survivor by gossip (each then runs its own timer) within
 *      log4(n) + 3 gossip intervals (fanout 3, plus margin for loss);
 *   3. each survivor's timer runs at most suspicionMaxMs (no confirmations at all).
 */
export function silentFailureDetectionBoundMs(config: MembershipConfig, n: number): number {
  const { maxMs } = suspicionRangeMs(config, n);
  const firstSuspicionMs =
    (2 * Math.max(1, n - 1) - 1) * config.probeIntervalMs + config.probeTimeoutMs + config.indirectProbeTimeoutMs;
  const gossipSpreadPeriods = Math.ceil(Math.log(Math.max(2, n)) / Math.log(Math.max(2, config.gossipFanout + 1))) + 3;
  return firstSuspicionMs + gossipSpreadPeriods * config.gossipIntervalMs + maxMs;
}
