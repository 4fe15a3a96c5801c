/**
 * SWIM failure detection and dissemination with Lifeguard's refinements, as a pure state machine
 * (DESIGN.md §4.1, §5). It never reads a clock or a socket: the driver passes `nowMs` (monotonic
 * milliseconds) into every call, delivers decoded messages with `receive`, calls `tick` when
 * `nextDeadlineMs()` comes due, and carries out the returned outputs (sends, events, warnings).
 *
 * Protocol period (SWIM §3): every probeIntervalMs one member, taken round-robin from a shuffled
 * list, gets a Ping. No Ack within probeTimeoutMs → PingReq to `indirectProbes` others, who ping it
 * and relay its Ack, or answer Nack when they got none (Lifeguard). No Ack within another
 * indirectProbeTimeoutMs → the member is suspected (unlike SWIM's single period, the verdict may
 * come after the next probe started: four hops need more time than what a short period leaves); the suspicion is gossiped; the member refutes by raising its
 * incarnation; unrefuted, it is declared dead when the (Lifeguard, confirmation-shrunk) suspicion
 * timeout runs out. Updates ride on every protocol message a bounded number of times, a Gossip
 * round pushes pending ones to a few random members, and a periodic push-pull Sync with a random
 * member — dead ones included — repairs anything lost and re-merges a healed partition.
 */
import type { Random } from '../clock/clock.js';
import { formatAddress, sameAddress, type PeerAddress } from '../transport/address.js';
import { MessageType, messageTypeName } from '../wire/message-types.js';
import {
  expectedConfirmations,
  MAX_UPDATES_PER_MESSAGE,
  resolveMembershipConfig,
  retransmitLimit,
  suspicionRangeMs,
  type MembershipConfig,
} from './config.js';
import { GossipQueue } from './gossip-queue.js';
import { LocalHealth } from './health.js';
import type { MemberInfo, MemberRecord, MemberState } from './member.js';
import { copyRecord, MemberList, precedence, type Claim, type Entry } from './member-list.js';
import {
  validateAck,
  validateGossip,
  validateJoin,
  validateMemberList,
  validatePing,
  validatePingReq,
  type ListLimits,
  type Validated,
  type WireMember,
} from './messages.js';
import { ProbeOrder, sample } from './probe-order.js';
import { RateLimit } from './rate-limit.js';
import { Suspicion } from './suspicion.js';

/** The sender of a message, as authenticated by the transport handshake. */
export interface PeerRef {
  id: string;
  address: PeerAddress;
}

/** Where to send; `id` (when known) lets the transport refuse a different member at that address. */
export interface SendTarget {
  id?: string;
  address: PeerAddress;
}

export type MembershipOutput =
  /** One-way message for the transport. */
  | { kind: 'send'; to: SendTarget; type: number; body: unknown }
  /** A member changed state in this member's view (previous null: first seen). */
  | { kind: 'change'; member: MemberRecord; previous: MemberState | null; reason: string }
  /** Emitted once, when the member first becomes part of a cluster. */
  | { kind: 'joined'; via: string }
  /** Something was ignored (invalid message, impossible claim); the driver logs it. */
  | { kind: 'warn'; reason: string };

export interface MembershipOptions {
  self: MemberInfo;
  config?: Partial<MembershipConfig>;
  random: Random;
  nowMs: number;
}

/** One of our own probes (direct Ping, then maybe PingReqs). Keyed by seq. */
interface Probe {
  seq: number;
  targetId: string;
  address: PeerAddress;
  timeoutMs: number;
  directDeadlineMs: number;
  verdictMs: number;
  /** The transport could not reach the target (refused dial, another member at its address). */
  directFailed: boolean;
  indirectSent: boolean;
  /** Helpers sent a PingReq. */
  asked: Set<string>;
  /** Helpers that answered Nack or turned out unreachable. */
  answered: Set<string>;
  nacks: number;
  unreachableHelpers: number;
}

/** An indirect probe we run for another member (we got its PingReq). Keyed by our Ping's seq. */
interface Relay {
  requester: PeerRef;
  requesterSeq: number;
  targetId: string;
  address: PeerAddress;
  deadlineMs: number;
}

/** A member we hold dead, or do not know, that contacts us gets a repair at most this often (in periods). */
const CONTACT_REPAIR_PERIODS = 5;

/** Share of the indirect round a helper may wait, so its Nack arrives before our verdict. */
const INDIRECT_TIMEOUT_SHARE = 0.8;

type Phase = 'created' | 'running' | 'left';

function isLive(state: MemberState): boolean {
  return state === 'alive' || state === 'suspect';
}

export class Membership {
  private readonly config: MembershipConfig;
  private readonly random: Random;
  private readonly selfId: string;
  private readonly limits: ListLimits;
  private readonly list = new MemberList();
  private readonly health: LocalHealth;
  private readonly queue = new GossipQueue();
  private readonly order: ProbeOrder;
  private readonly suspicions = new Map<string, Suspicion>();
  private readonly probes = new Map<number, Probe>();
  private readonly relays = new Map<number, Relay>();
  /** Unsolicited messages to one member are rate limited (see the users). */
  private readonly outOfTurnProbes: RateLimit;
  private readonly contactRepairs: RateLimit;
  private readonly corrections: RateLimit;
  /** Ids of members the sender of the message being handled holds stale news about. */
  private readonly stale = new Set<string>();
  private phase: Phase = 'created';
  private joined = false;
  private seqCounter = 0;
  private now: number;
  private lastStallMs = -Infinity;
  private nextProbeMs = Infinity;
  private nextGossipMs: number;
  private nextSyncMs = Infinity;
  private nextSeedContactMs = Infinity;
  /** Seed addresses not yet known to host a live member (Join until joined, then Sync). */
  private pendingSeeds: PeerAddress[] = [];
  /** The member we are about to answer (Ack/JoinReply/SyncReply carry our refutation to it). */
  private replyingTo: string | null = null;
  private out: MembershipOutput[] = [];

  constructor(options: MembershipOptions) {
    this.config = resolveMembershipConfig(options.config);
    this.random = options.random;
    this.selfId = options.self.id;
    this.now = options.nowMs;
    this.nextGossipMs = options.nowMs;
    this.limits = { maxUpdates: MAX_UPDATES_PER_MESSAGE, maxMembers: this.config.maxMembers };
    this.health = new LocalHealth(this.config.maxHealthMultiplier);
    this.order = new ProbeOrder(options.random);
    const { probeIntervalMs, maxMembers } = this.config;
    this.outOfTurnProbes = new RateLimit(probeIntervalMs, maxMembers);
    this.contactRepairs = new RateLimit(CONTACT_REPAIR_PERIODS * probeIntervalMs, maxMembers);
    this.corrections = new RateLimit(probeIntervalMs, maxMembers);
    this.list.add(options.self, { state: 'alive', incarnation: 0 }, options.nowMs);
  }

  // ------------------------------------------------------------------ public API

  /** Starts the protocol. Joins through `seeds`; with none (or only itself) it is a cluster of one. */
  start(nowMs: number, seeds: PeerAddress[]): MembershipOutput[] {
    return this.step(nowMs, () => {
      if (this.phase !== 'created') {
        this.warn('start() called on a started member; ignored');
        return;
      }
      this.phase = 'running';
      this.emitChange(this.self(), null, 'local member started');
      this.queue.enqueue(this.selfId);
      // Stagger the first probe so members started together do not probe in lockstep.
      this.nextProbeMs = this.now + this.random.int(this.config.probeIntervalMs);
      const self = this.self().record.address;
      const selfIsSeed = seeds.some((s) => sameAddress(s, self));
      this.addPendingSeeds(seeds);
      // A seed list naming this member means "this is a seed": it forms a cluster on its own at
      // once and keeps contacting the other seeds, so seeds started together merge.
      if (this.pendingSeeds.length === 0 || selfIsSeed) this.becomeJoined(this.pendingSeeds.length === 0 ? 'no seeds (first member)' : 'itself (seed)');
      this.contactSeeds(this.pendingSeeds);
    });
  }

  /** Discovery found addresses: join (or, once joined, merge with) whatever listens there. */
  addSeeds(nowMs: number, seeds: PeerAddress[]): MembershipOutput[] {
    return this.step(nowMs, () => {
      if (this.phase !== 'running') return;
      const before = this.pendingSeeds.length;
      this.addPendingSeeds(seeds);
      this.contactSeeds(this.pendingSeeds.slice(before));
    });
  }

  /** A decoded message from an authenticated peer. `body` is untrusted. */
  receive(nowMs: number, from: PeerRef, type: number, body: unknown): MembershipOutput[] {
    return this.step(nowMs, () => {
      if (this.phase === 'created') {
        this.warn(`ignored ${messageTypeName(type)} from ${from.id}: membership not started`);
        return;
      }
      if (this.phase === 'left') return;
      if (from.id === this.selfId) {
        this.warn(`ignored ${messageTypeName(type)} claiming to come from this member's own id ${from.id}`);
        return;
      }
      const valid = this.dispatch(from, type, body);
      if (valid) this.repairViewOnContact(from, type);
    });
  }

  tick(nowMs: number): MembershipOutput[] {
    return this.step(nowMs, () => {
      if (this.phase === 'running') this.runTimers();
    });
  }

  /** When `tick` must be called next (may be ≤ now: call it at once). Infinity when idle. */
  nextDeadlineMs(): number {
    if (this.phase !== 'running') return Infinity;
    return this.queue.size > 0 ? Math.min(this.nextGossipMs, this.timersDueMs()) : this.timersDueMs();
  }

  /** Earliest deadline other than the gossip round (which may lie in the past while there is no news). */
  private timersDueMs(): number {
    let t = this.nextProbeMs;
    if (this.joined) t = Math.min(t, this.nextSyncMs);
    if (this.pendingSeeds.length > 0) t = Math.min(t, this.nextSeedContactMs);
    for (const s of this.suspicions.values()) t = Math.min(t, s.deadlineMs());
    for (const p of this.probes.values()) t = Math.min(t, p.indirectSent || p.directFailed ? p.verdictMs : p.directDeadlineMs);
    for (const r of this.relays.values()) t = Math.min(t, r.deadlineMs);
    for (const e of this.list.values()) {
      if (!isLive(e.record.state)) t = Math.min(t, e.stateSinceMs + this.config.deadRetentionMs);
    }
    return t;
  }

  /**
   * The transport lost its connection to `id`. A kill -9 closes sockets at once, so this is a
   * strong hint — but only a hint (a connection also drops for benign reasons): probe the member
   * now, out of turn, and let the probe decide.
   */
  peerDisconnected(nowMs: number, id: string): MembershipOutput[] {
    return this.step(nowMs, () => {
      if (this.phase !== 'running' || id === this.selfId) return;
      const e = this.list.get(id);
      if (!e || !isLive(e.record.state) || this.probing(id)) return;
      if (this.outOfTurnProbes.tryAcquire(id, this.now)) this.startProbe(id);
    });
  }

  /**
   * The transport could not deliver to `target` (dial refused, or the handshake showed another
   * member at that address). An outstanding probe of it fails now instead of at its timeout (the
   * indirect round still runs: our own link may be the broken one); an indirect probe we run for
   * someone else is answered with Nack at once.
   */
  peerUnreachable(nowMs: number, target: SendTarget): MembershipOutput[] {
    return this.step(nowMs, () => {
      if (this.phase !== 'running') return;
      const matches = (id: string, address: PeerAddress) =>
        target.id !== undefined ? target.id === id : sameAddress(target.address, address);
      for (const p of [...this.probes.values()]) {
        if (!p.directFailed && matches(p.targetId, p.address)) {
          p.directFailed = true;
          this.advanceProbe(p);
        } else {
          for (const helper of p.asked) {
            const h = this.list.get(helper);
            if (!p.answered.has(helper) && h && matches(helper, h.record.address)) {
              p.answered.add(helper);
              p.unreachableHelpers++;
              this.advanceProbe(p);
              break;
            }
          }
        }
      }
      for (const [seq, r] of this.relays) {
        if (matches(r.targetId, r.address)) {
          this.relays.delete(seq);
          this.sendNack(r);
        }
      }
    });
  }

  /**
   * Graceful leave: the `left` record goes directly to every live member (not only gossiped), so
   * peers skip failure detection. Afterwards the machine is inert.
   */
  leave(nowMs: number): MembershipOutput[] {
    return this.step(nowMs, () => {
      if (this.phase === 'left') return;
      const wasRunning = this.phase === 'running';
      this.phase = 'left';
      const self = this.self();
      const previous = this.list.set(this.selfId, { state: 'left', incarnation: self.record.incarnation }, this.now);
      this.emitChange(self, previous, 'announced leave');
      if (wasRunning) {
        const body = { updates: [this.toWire(self)] };
        for (const e of this.list.values()) {
          if (e.record.id !== this.selfId && isLive(e.record.state)) this.send(this.target(e), MessageType.Gossip, body);
        }
      }
      this.probes.clear();
      this.relays.clear();
      this.suspicions.clear();
    });
  }

  /** This member's view, itself included (copies). */
  members(): MemberRecord[] {
    return [...this.list.values()].map((e) => copyRecord(e.record));
  }

  /** Visits this member's view without copying (status pages, invariant checks): read, don't keep. */
  forEachMember(visit: (member: Readonly<MemberRecord>) => void): void {
    for (const e of this.list.values()) visit(e.record);
  }

  member(id: string): MemberRecord | undefined {
    const e = this.list.get(id);
    return e ? copyRecord(e.record) : undefined;
  }

  /**
   * Where to send to `id`, without a copy of its record (this is on the path of every replicated
   * write). The address object is never mutated in place: a new address means a new record.
   */
  peerAddress(id: string): { readonly id: string; readonly address: MemberRecord['address'] } | undefined {
    return this.list.get(id)?.record;
  }

  isJoined(): boolean {
    return this.joined;
  }

  /** Lifeguard health: 0 healthy; timeouts are multiplied by (value + 1). */
  localHealth(): number {
    return this.health.value;
  }

  // ------------------------------------------------------------------ messages

  private dispatch(from: PeerRef, type: number, body: unknown): boolean {
    switch (type) {
      case MessageType.Ping:
        return this.handle(from, type, validatePing(body, this.limits), (b) => {
          this.replyingTo = from.id;
          this.applyUpdates(b.updates, from);
          if (b.target !== this.selfId) {
            // Sent to the member that used to listen here (we restarted at its address): no Ack,
            // so the sender's probe of that old member fails as it should.
            this.warn(`ignored Ping from ${from.id} meant for member ${b.target}`);
            return;
          }
          this.send(from, MessageType.Ack, { seq: b.seq, updates: this.piggyback(undefined, this.stale) });
        });
      case MessageType.Ack:
        return this.handle(from, type, validateAck(body, this.limits), (b) => {
          this.applyUpdates(b.updates, from);
          this.onAck(from, b.seq);
        });
      case MessageType.Nack:
        return this.handle(from, type, validateAck(body, this.limits), (b) => {
          this.applyUpdates(b.updates, from);
          const p = this.probes.get(b.seq);
          if (p && p.asked.has(from.id) && !p.answered.has(from.id)) {
            p.answered.add(from.id);
            p.nacks++;
            this.advanceProbe(p);
          }
        });
      case MessageType.PingReq:
        return this.handle(from, type, validatePingReq(body, this.limits), (b) => {
          this.applyUpdates(b.updates, from);
          this.onPingReq(from, b.seq, b.target, b.timeoutMs);
        });
      case MessageType.Join:
        return this.handle(from, type, validateJoin(body), (b) => {
          if (b.member.id !== from.id) {
            this.warn(`ignored Join from ${from.id}: it carries the record of ${b.member.id}`);
            return;
          }
          this.replyingTo = from.id;
          this.applyClaim(b.member, from, { source: `Join from ${from.id}`, fullState: false, joinVia: formatAddress(this.self().record.address) });
          this.send(from, MessageType.JoinReply, { members: this.fullList() });
        });
      case MessageType.JoinReply:
        return this.handle(from, type, validateMemberList(body, this.limits), (b) => {
          const via = formatAddress(from.address);
          for (const m of b.members) this.applyClaim(m, from, { source: `join reply from ${via}`, fullState: true });
          this.becomeJoined(via);
        });
      case MessageType.Sync:
        return this.handle(from, type, validateMemberList(body, this.limits), (b) => {
          this.replyingTo = from.id;
          for (const m of b.members) this.applyClaim(m, from, { source: `sync from ${from.id}`, fullState: true });
          this.send(from, MessageType.SyncReply, { members: this.fullList() });
        });
      case MessageType.SyncReply:
        return this.handle(from, type, validateMemberList(body, this.limits), (b) => {
          for (const m of b.members) this.applyClaim(m, from, { source: `sync reply from ${from.id}`, fullState: true });
        });
      case MessageType.Gossip:
        return this.handle(from, type, validateGossip(body, this.limits), (b) => this.applyUpdates(b.updates, from));
      default:
        this.warn(`ignored message type ${messageTypeName(type)} from ${from.id}: not a membership message`);
        return false;
    }
  }

  private handle<T>(from: PeerRef, type: number, v: Validated<T>, fn: (body: T) => void): boolean {
    if (!v.ok) {
      this.warn(`ignored ${messageTypeName(type)} from ${from.id}: ${v.reason}`);
      return false;
    }
    this.stale.clear();
    try {
      fn(v.value);
      this.sendCorrections(from, type);
    } finally {
      this.replyingTo = null;
      this.stale.clear();
    }
    return true;
  }

  /**
   * The sender spread a claim we know to be outdated: a suspicion (or death) that was already
   * refuted. Gossip that reached everyone else may have missed it — retransmissions are limited —
   * and its suspicion timer still runs on the old news, so it would declare a live member dead.
   * Tell it directly (Ping: the Ack carries it; Join/Sync: the full list does).
   */
  private sendCorrections(from: PeerRef, type: number): void {
    if (this.stale.size === 0 || type === MessageType.Ping || type === MessageType.Join || type === MessageType.Sync) return;
    if (!this.corrections.tryAcquire(from.id, this.now)) return;
    const updates: WireMember[] = [];
    for (const id of this.stale) {
      const e = this.list.get(id);
      if (e && updates.length < this.config.maxUpdatesPerMessage) updates.push(this.toWire(e));
    }
    this.send(from, MessageType.Gossip, { updates });
  }

  private onAck(from: PeerRef, seq: number): void {
    const p = this.probes.get(seq);
    if (p) {
      // From the target itself, or relayed by a helper we asked.
      if (from.id === p.targetId || p.asked.has(from.id)) {
        this.probes.delete(seq);
        this.health.apply(-1);
      }
      return;
    }
    const r = this.relays.get(seq);
    if (r && from.id === r.targetId) {
      this.relays.delete(seq);
      this.send(r.requester, MessageType.Ack, { seq: r.requesterSeq, updates: this.piggyback() });
    }
    // Anything else is an Ack after the period ended: SWIM ignores it (only a refutation revives).
  }

  private onPingReq(from: PeerRef, requesterSeq: number, target: { id: string; address: PeerAddress }, timeoutMs: number): void {
    if (target.id === this.selfId) {
      this.warn(`ignored PingReq from ${from.id} asking this member to probe itself`);
      return;
    }
    const relay: Relay = {
      requester: { id: from.id, address: from.address },
      requesterSeq,
      targetId: target.id,
      address: target.address,
      deadlineMs: this.now + Math.max(1, timeoutMs),
    };
    if (this.relays.size >= this.config.maxPendingIndirectProbes) {
      this.sendNack(relay);
      return;
    }
    const seq = ++this.seqCounter;
    this.relays.set(seq, relay);
    this.send({ id: target.id, address: target.address }, MessageType.Ping, { seq, target: target.id, updates: this.piggyback(target.id) });
  }

  private sendNack(r: Relay): void {
    this.send(r.requester, MessageType.Nack, { seq: r.requesterSeq, updates: this.piggyback() });
  }

  // ------------------------------------------------------------------ claims (the SWIM rules)

  private applyUpdates(updates: WireMember[], from: PeerRef): void {
    for (const u of updates) this.applyClaim(u, from, { source: `gossip from ${from.id}`, fullState: false });
  }

  /**
   * Applies one claim about a member. `fullState`: it comes from a Join/Sync member list rather than
   * fresh gossip; there a `dead` claim about a member we think live only makes us suspect it
   * (memberlist's push-pull rule): a stale list must not kill a live member outright, it gets a
   * suspicion period to refute.
   */
  private applyClaim(
    u: WireMember,
    from: PeerRef,
    how: { source: string; fullState: boolean; joinVia?: string; reason?: string },
  ): void {
    if (u.id === this.selfId) {
      this.claimAboutSelf(u, from);
      return;
    }
    const entry = this.list.get(u.id);
    let state = u.state;
    if (how.fullState && state === 'dead' && entry && isLive(entry.record.state)) state = 'suspect';
    const claim: Claim = { state, incarnation: u.incarnation };
    const by = state === 'alive' ? undefined : state === 'left' ? u.id : (u.by ?? from.id);

    if (!entry) {
      if (this.list.size >= this.config.maxMembers) {
        this.warn(`ignored member ${u.id} from ${from.id}: membership.maxMembers (${this.config.maxMembers}) reached`);
        return;
      }
      // A tombstone learned from others expires when theirs does (ageMs), not a full period later.
      const ageMs = isLive(state) ? 0 : Math.min(u.ageMs ?? 0, this.config.deadRetentionMs);
      const added = this.list.add(u, claim, this.now - ageMs);
      const reason =
        how.reason ?? (state === 'alive' && how.joinVia ? `joined via ${how.joinVia}` : `${state} at incarnation ${u.incarnation} (${how.source})`);
      this.afterChange(added, null, by, reason);
      return;
    }

    const verdict = precedence(entry.record, claim);
    if (verdict === 'ignore') {
      // The sender is behind on a refutation (we hold the member live at a newer incarnation).
      // Only that kind of news is corrected: telling a member "X died" would make it declare X
      // dead outright, which the push-pull rule (dead → suspect) exists to avoid after a heal.
      if (!how.fullState && isLive(entry.record.state) && precedence(claim, entry.record) === 'apply') this.stale.add(u.id);
      return;
    }
    if (verdict === 'confirm') {
      const s = this.suspicions.get(u.id);
      // A new independent accuser: shortens our timeout, and is passed on so others count it too.
      if (s && by !== undefined && s.confirm(by)) this.queue.enqueue(u.id, by);
      return;
    }
    const previous = this.list.set(u.id, claim, this.now);
    if (!isLive(state) && previous !== state && u.ageMs !== undefined) {
      entry.stateSinceMs = this.now - Math.min(u.ageMs, this.config.deadRetentionMs);
    }
    this.afterChange(entry, previous, by, how.reason ?? this.describe(previous, claim, by, how.source));
  }

  private describe(previous: MemberState, claim: Claim, by: string | undefined, source: string): string {
    switch (claim.state) {
      case 'alive':
        return previous === 'alive'
          ? `alive at incarnation ${claim.incarnation} (${source})`
          : `refuted ${previous === 'dead' ? 'death' : 'suspicion'} with incarnation ${claim.incarnation} (${source})`;
      case 'suspect':
        return `suspected by ${by} at incarnation ${claim.incarnation} (${source})`;
      case 'dead':
        return `declared dead by ${by ?? 'a member'} (${source})`;
      case 'left':
        return `announced leave (${source})`;
    }
  }

  /** Bookkeeping after a member's record changed (or first appeared). Re-gossips the news. */
  private afterChange(entry: Entry, previous: MemberState | null, by: string | undefined, reason: string): void {
    const r = entry.record;
    if (previous !== r.state) this.emitChange(entry, previous, reason);
    switch (r.state) {
      case 'alive':
        this.suspicions.delete(r.id);
        this.order.add(r.id);
        break;
      case 'suspect': {
        const n = this.list.countLive();
        const { minMs, maxMs } = suspicionRangeMs(this.config, n);
        this.suspicions.set(r.id, new Suspicion(this.now, r.incarnation, by ?? this.selfId, expectedConfirmations(this.config, n), minMs, maxMs));
        this.order.add(r.id);
        break;
      }
      case 'dead':
      case 'left':
        this.suspicions.delete(r.id);
        this.order.remove(r.id);
        for (const [seq, p] of this.probes) if (p.targetId === r.id) this.probes.delete(seq);
        break;
    }
    this.queue.enqueue(r.id, by);
  }

  /** Someone says something about us. Suspect/dead → refute with a higher incarnation (SWIM §4.2). */
  private claimAboutSelf(u: WireMember, from: PeerRef): void {
    if (this.phase !== 'running') return;
    const self = this.self().record;
    switch (u.state) {
      case 'alive':
        // Only we mint our incarnations; a higher one is a stale echo of something impossible or a
        // forgery. Jump above it so our own record wins everywhere again.
        if (u.incarnation > self.incarnation) this.refute(u.incarnation, undefined, from);
        return;
      case 'left':
        this.warn(`${from.id} claims this member left; ignored (left is announced only by the member itself)`);
        return;
      case 'suspect':
      case 'dead':
        if (u.incarnation >= self.incarnation) {
          this.refute(u.incarnation, u.by, from);
        } else {
          // Already refuted by our current incarnation; make sure that news is still travelling.
          this.queue.enqueue(this.selfId);
          this.stale.add(this.selfId);
        }
        return;
    }
  }

  private refute(claimedIncarnation: number, accuser: string | undefined, from: PeerRef): void {
    const self = this.self();
    this.list.set(this.selfId, { state: 'alive', incarnation: claimedIncarnation + 1 }, this.now);
    // Lifeguard: having to refute means others find us slow; assume it is us and slow down.
    this.health.apply(1);
    this.queue.enqueue(this.selfId);
    // Tell the accuser and the messenger directly (unless we are replying to it anyway): they
    // hold the shortest suspicion timers.
    const body = { updates: [this.toWire(self)] };
    for (const id of new Set([accuser, from.id])) {
      if (id === undefined || id === this.selfId || id === this.replyingTo) continue;
      const e = id === from.id ? from : this.list.get(id)?.record;
      if (e) this.send({ id, address: e.address }, MessageType.Gossip, body);
    }
  }

  /**
   * Contact from a member our view is wrong about (at most once per CONTACT_REPAIR_PERIODS periods):
   * - one we hold dead: it runs after all (healed partition, long stall); tell it, so it refutes;
   * - one we do not know: it knows us, so gossip about it missed us (infection-style spread is
   *   only probable) or we forgot it; a push-pull Sync with it repairs both views at once.
   */
  private repairViewOnContact(from: PeerRef, type: number): void {
    const e = this.list.get(from.id);
    const fullState = type === MessageType.Join || type === MessageType.JoinReply || type === MessageType.Sync || type === MessageType.SyncReply;
    if (e ? e.record.state !== 'dead' : fullState) return;
    if (!this.contactRepairs.tryAcquire(from.id, this.now)) return;
    if (e) this.send(from, MessageType.Gossip, { updates: [this.toWire(e)] });
    else this.send(from, MessageType.Sync, { members: this.fullList() });
  }

  // ------------------------------------------------------------------ timers

  private runTimers(): void {
    const now = this.now;
    // Called much later than it was due: our process stalled (blocked event loop, CPU starvation).
    if (now - this.timersDueMs() > this.config.stallThresholdMs) this.noteStall();
    for (const [id, s] of [...this.suspicions]) {
      const due = s.deadlineMs();
      if (now < due) continue;
      if (now - due > this.config.stallThresholdMs && s.graceUntilMs === null) {
        // We were not running when it expired: a refutation may be sitting unread in our socket.
        // One more period of grace, and the stall counts against our own health.
        s.graceUntilMs = now + this.health.scale(this.config.probeIntervalMs);
        this.noteStall();
        continue;
      }
      this.suspicionExpired(id, s);
    }
    for (const p of [...this.probes.values()]) this.advanceProbe(p);
    for (const [seq, r] of [...this.relays]) {
      if (now >= r.deadlineMs) {
        this.relays.delete(seq);
        this.sendNack(r);
      }
    }
    for (const e of [...this.list.values()]) {
      if (!isLive(e.record.state) && e.record.id !== this.selfId && now >= e.stateSinceMs + this.config.deadRetentionMs) this.forget(e.record.id);
    }
    this.outOfTurnProbes.prune(now);
    this.contactRepairs.prune(now);
    this.corrections.prune(now);
    if (now >= this.nextProbeMs) {
      this.nextProbeMs = now + this.health.scale(this.config.probeIntervalMs);
      const target = this.order.next((id) => {
        const e = this.list.get(id);
        return e !== undefined && isLive(e.record.state) && !this.probing(id);
      });
      if (target !== undefined) this.startProbe(target);
    }
    if (this.queue.size > 0 && now >= this.nextGossipMs) {
      this.nextGossipMs = now + this.config.gossipIntervalMs;
      for (const e of sample(this.liveOthers(), this.config.gossipFanout, this.random)) {
        const updates = this.piggyback();
        if (updates.length === 0) break;
        this.send(this.target(e), MessageType.Gossip, { updates });
      }
    }
    if (this.joined && now >= this.nextSyncMs) {
      this.nextSyncMs = now + this.jitter(this.config.syncIntervalMs);
      // Dead members are candidates too (gossip to the dead): if one is in fact alive behind a
      // healed partition, it sees the claim and refutes, and the two sides merge.
      const candidates = [...this.list.values()].filter((e) => e.record.id !== this.selfId && e.record.state !== 'left');
      const e = candidates[this.random.int(candidates.length)];
      if (e) this.send(this.target(e), MessageType.Sync, { members: this.fullList() });
    }
    if (this.pendingSeeds.length > 0 && now >= this.nextSeedContactMs) this.contactSeeds(this.pendingSeeds);
  }

  private suspicionExpired(id: string, s: Suspicion): void {
    this.suspicions.delete(id);
    const e = this.list.get(id);
    if (!e || e.record.state !== 'suspect') return;
    const elapsed = this.now - s.startedMs;
    const previous = this.list.set(id, { state: 'dead', incarnation: e.record.incarnation }, this.now);
    this.afterChange(e, previous, this.selfId, `suspicion timed out after ${elapsed} ms (${s.confirmations} confirmations)`);
    // If it is alive after all (a one-way partition, a long pause), this lets it refute.
    this.send(this.target(e), MessageType.Gossip, { updates: [this.toWire(e, this.selfId)] });
  }

  private forget(id: string): void {
    this.list.delete(id);
    this.queue.remove(id);
    this.order.remove(id);
    this.suspicions.delete(id);
  }

  // ------------------------------------------------------------------ probes

  private probing(id: string): boolean {
    for (const p of this.probes.values()) if (p.targetId === id) return true;
    return false;
  }

  private startProbe(targetId: string): void {
    const e = this.list.get(targetId);
    if (!e) return;
    const seq = ++this.seqCounter;
    const timeoutMs = this.health.scale(this.config.probeTimeoutMs);
    this.probes.set(seq, {
      seq,
      targetId,
      address: e.record.address,
      timeoutMs,
      directDeadlineMs: this.now + timeoutMs,
      verdictMs: this.now + timeoutMs + this.health.scale(this.config.indirectProbeTimeoutMs),
      directFailed: false,
      indirectSent: false,
      asked: new Set(),
      answered: new Set(),
      nacks: 0,
      unreachableHelpers: 0,
    });
    this.send(this.target(e), MessageType.Ping, { seq, target: targetId, updates: this.piggyback(targetId) });
  }

  /** Moves a probe on: indirect round after the direct timeout (or unreachable), verdict at verdictMs or once every helper answered. */
  private advanceProbe(p: Probe): void {
    const now = this.now;
    if (!p.indirectSent && (p.directFailed || now >= p.directDeadlineMs)) {
      if (!p.directFailed && now - p.directDeadlineMs > this.config.stallThresholdMs) {
        this.inconclusive(p);
        return;
      }
      this.sendIndirect(p);
    }
    if (!p.indirectSent) return;
    const allAnswered = p.asked.size > 0 ? p.answered.size === p.asked.size : p.directFailed;
    if (now < p.verdictMs && !allAnswered) return;
    if (now - p.verdictMs > this.config.stallThresholdMs) {
      this.inconclusive(p);
      return;
    }
    this.probeFailed(p);
  }

  private sendIndirect(p: Probe): void {
    p.indirectSent = true;
    const helpers = sample(
      this.liveOthers().filter((e) => e.record.state === 'alive' && e.record.id !== p.targetId),
      this.config.indirectProbes,
      this.random,
    );
    const timeoutMs = Math.max(1, Math.floor((p.verdictMs - this.now) * INDIRECT_TIMEOUT_SHARE));
    for (const h of helpers) {
      p.asked.add(h.record.id);
      this.send(this.target(h), MessageType.PingReq, {
        seq: p.seq,
        target: { id: p.targetId, address: { host: p.address.host, port: p.address.port } },
        timeoutMs,
        updates: this.piggyback(p.targetId),
      });
    }
  }

  /** Our own stall made the probe meaningless: no verdict on the peer, a strike on our health. */
  private inconclusive(p: Probe): void {
    this.probes.delete(p.seq);
    this.noteStall();
  }

  private noteStall(): void {
    if (this.lastStallMs === this.now) return;
    this.lastStallMs = this.now;
    this.health.apply(1);
  }

  private probeFailed(p: Probe): void {
    this.probes.delete(p.seq);
    // Lifeguard: every helper that did not even send a Nack hints that our own links are the
    // problem; with nobody to ask, the failure itself counts against us.
    const expectedNacks = p.asked.size - p.unreachableHelpers;
    this.health.apply(expectedNacks > 0 ? expectedNacks - p.nacks : 1);
    const e = this.list.get(p.targetId);
    if (!e || !isLive(e.record.state)) return;
    const direct = p.directFailed ? 'probe failed (unreachable)' : `probe got no ack in ${p.timeoutMs} ms`;
    const indirect = p.asked.size > 0 ? `${p.asked.size} indirect probes failed (${p.nacks} nacks)` : 'no other member to ask';
    const reason = `${direct} and ${indirect}`;
    if (e.record.state === 'suspect') {
      const s = this.suspicions.get(p.targetId);
      if (s && s.confirm(this.selfId)) this.queue.enqueue(p.targetId, this.selfId);
      return;
    }
    const previous = this.list.set(p.targetId, { state: 'suspect', incarnation: e.record.incarnation }, this.now);
    this.afterChange(e, previous, this.selfId, reason);
    // Lifeguard's buddy system, eagerly: the suspect hears it from us at once and can refute.
    this.send(this.target(e), MessageType.Gossip, { updates: [this.toWire(e, this.selfId)] });
  }

  // ------------------------------------------------------------------ join and seeds

  private addPendingSeeds(seeds: PeerAddress[]): void {
    const self = this.self().record.address;
    for (const s of seeds) {
      if (sameAddress(s, self) || this.pendingSeeds.some((p) => sameAddress(p, s))) continue;
      if (this.list.findLiveByAddress(s.host, s.port)) continue;
      if (this.pendingSeeds.length >= this.config.maxMembers) {
        this.warn(`ignored seed ${formatAddress(s)}: membership.maxMembers (${this.config.maxMembers}) seeds pending`);
        continue;
      }
      this.pendingSeeds.push({ host: s.host, port: s.port });
    }
  }

  /** Join through `seeds` until the first reply; once joined, Sync with them (merges clusters). */
  private contactSeeds(seeds: PeerAddress[]): void {
    // Before the join even a seed we already see alive (it probed or gossiped to us first) is
    // asked again: only a JoinReply marks this member joined, so a lost reply must be retried.
    if (this.joined) this.pendingSeeds = this.pendingSeeds.filter((s) => !this.list.findLiveByAddress(s.host, s.port));
    const stillPending = seeds.filter((s) => this.pendingSeeds.includes(s));
    for (const s of stillPending) {
      const to = { address: { host: s.host, port: s.port } };
      if (this.joined) this.send(to, MessageType.Sync, { members: this.fullList() });
      else this.send(to, MessageType.Join, { member: this.toWire(this.self()) });
    }
    this.nextSeedContactMs = this.now + this.jitter(this.joined ? this.config.syncIntervalMs : this.config.joinRetryMs);
  }

  private becomeJoined(via: string): void {
    if (this.joined) return;
    this.joined = true;
    this.out.push({ kind: 'joined', via });
    this.nextSyncMs = this.now + this.jitter(this.config.syncIntervalMs);
    if (this.pendingSeeds.length > 0) this.nextSeedContactMs = this.now + this.jitter(this.config.syncIntervalMs);
  }

  // ------------------------------------------------------------------ helpers

  private step(nowMs: number, fn: () => void): MembershipOutput[] {
    // Time never runs backwards inside the machine, whatever the driver's clock does.
    this.now = Math.max(this.now, nowMs);
    this.out = [];
    fn();
    const out = this.out;
    this.out = [];
    return out;
  }

  private self(): Entry {
    return this.list.get(this.selfId)!;
  }

  private liveOthers(): Entry[] {
    const out: Entry[] = [];
    for (const e of this.list.values()) if (e.record.id !== this.selfId && isLive(e.record.state)) out.push(e);
    return out;
  }

  private target(e: Entry): SendTarget {
    return { id: e.record.id, address: { host: e.record.address.host, port: e.record.address.port } };
  }

  private send(to: SendTarget, type: number, body: unknown): void {
    const target: SendTarget = to.id === undefined ? { address: to.address } : { id: to.id, address: to.address };
    this.out.push({ kind: 'send', to: target, type, body });
  }

  private emitChange(e: Entry, previous: MemberState | null, reason: string): void {
    this.out.push({ kind: 'change', member: copyRecord(e.record), previous, reason });
  }

  private warn(reason: string): void {
    this.out.push({ kind: 'warn', reason });
  }

  /** ±25%, so members started together do not stay in step. */
  private jitter(ms: number): number {
    return Math.round(ms * (0.75 + 0.5 * this.random.float()));
  }

  private toWire(e: Entry, by?: string): WireMember {
    const r = e.record;
    let claimBy: string | undefined;
    if (r.state === 'left') claimBy = r.id;
    else if (r.state === 'suspect') claimBy = by ?? this.suspicions.get(r.id)?.accuser ?? this.selfId;
    else if (r.state === 'dead') claimBy = by;
    const w: WireMember = {
      id: r.id,
      name: r.name,
      address: { host: r.address.host, port: r.address.port },
      httpAddress: r.httpAddress ? { host: r.httpAddress.host, port: r.httpAddress.port } : null,
      role: r.role,
      zone: r.zone,
      startedAtMs: r.startedAtMs,
      state: r.state,
      incarnation: r.incarnation,
    };
    if (claimBy !== undefined) w.by = claimBy;
    if (!isLive(r.state)) w.ageMs = Math.max(0, Math.floor(this.now - e.stateSinceMs));
    return w;
  }

  /**
   * Updates for one outgoing message. `about`: the member the message concerns; if we suspect it,
   * its suspicion goes first (Lifeguard buddy system: a suspect learns of it from its prober).
   */
  private piggyback(about?: string, first: ReadonlySet<string> = new Set()): WireMember[] {
    const out: WireMember[] = [];
    const included = new Set<string>();
    const include = (e: Entry | undefined, by?: string) => {
      if (!e || included.has(e.record.id) || out.length >= this.config.maxUpdatesPerMessage) return;
      included.add(e.record.id);
      out.push(this.toWire(e, by));
    };
    const aboutEntry = about === undefined ? undefined : this.list.get(about);
    if (aboutEntry && aboutEntry.record.state === 'suspect') include(aboutEntry);
    for (const id of first) include(this.list.get(id));
    const limit = retransmitLimit(this.config, this.list.countLive());
    for (const { id, by } of this.queue.take(this.config.maxUpdatesPerMessage - out.length, limit)) include(this.list.get(id), by);
    return out;
  }

  private fullList(): WireMember[] {
    const out: WireMember[] = [];
    for (const e of this.list.values()) out.push(this.toWire(e));
    return out;
  }
}
