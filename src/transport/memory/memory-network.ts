/**
 * An in-process network for tests: transports created from one MemoryNetwork reach each other by
 * address, with the same Transport contract as TCP (bodies go through the same codec, so they are
 * validated and copied; requests time out; replyError carries its code; close rejects ERR_CLOSED).
 *
 * Delivery is asynchronous (setImmediate) through one FIFO queue, so it is in order per pair, and
 * events are queued on it too (`connected` before the first message). A "link" stands for the one
 * connection of a pair: created by the first send between them, closed by close(), crash() or
 * partition(); what was in flight on a closed link is lost, as on a broken TCP connection.
 */
import { SeededRandom, type Random } from '../../clock/clock.js';
import { SessionMeshError, type ErrorCode } from '../../errors.js';
import { formatAddress, sameAddress, type PeerAddress } from '../address.js';
import type { PeerTarget } from '../transport.js';
import { MemoryTransport, type MemoryTransportOptions } from './memory-transport.js';

/** @internal One open connection between two members. */
export interface Link {
  a: MemoryTransport;
  b: MemoryTransport;
  open: boolean;
}

export interface MemoryNetworkOptions {
  /** Decides per-link drops. Default: SeededRandom(1), so a test run is repeatable. */
  random?: Random;
}

/** First port handed out to transports created with port 0. */
const FIRST_EPHEMERAL_PORT = 40000;

export class MemoryNetwork {
  private readonly random: Random;
  private readonly members = new Map<string, MemoryTransport>();
  private readonly listeners = new Map<string, MemoryTransport>();
  private readonly links = new Map<string, Link>();
  private readonly blocked = new Set<string>();
  private readonly drops = new Map<string, number>();
  private queue: Array<() => void> = [];
  private scheduled = false;
  private nextPort = FIRST_EPHEMERAL_PORT;

  constructor(options: MemoryNetworkOptions = {}) {
    this.random = options.random ?? new SeededRandom(1);
  }

  createTransport(options: MemoryTransportOptions): MemoryTransport {
    const existing = this.members.get(options.id);
    if (existing && !existing.isDead) throw new SessionMeshError('ERR_CONFIG', `a live member with id ${options.id} already exists on this network`);
    const t = new MemoryTransport(this, options);
    this.members.set(options.id, t);
    return t;
  }

  /** Cuts every pair (a, b) with a in `aIds` and b in `bIds`: open links close, new sends fail. */
  partition(aIds: readonly string[], bIds: readonly string[]): void {
    for (const a of aIds) {
      for (const b of bIds) {
        if (a === b) continue;
        const key = pairKey(a, b);
        this.blocked.add(key);
        const link = this.links.get(key);
        if (link) this.closeLink(link, 'network partition');
      }
    }
  }

  /** Removes every partition. Links come back on the next send. */
  heal(): void {
    this.blocked.clear();
  }

  /**
   * Simulates `kill -9` of a member: its peers get `disconnected`, later sends to it are
   * `unreachable`, the crashed transport emits nothing more (its own pending requests reject
   * ERR_CLOSED so that tests leak no timers). Its address becomes free for a restart.
   */
  crash(id: string): void {
    const t = this.members.get(id);
    if (!t || t.isDead) return;
    t.die('connection reset: peer crashed');
  }

  /** Drops each message from `fromId` to `toId` with this probability (0 = none, 1 = all). */
  setLinkDrop(fromId: string, toId: string, probability: number): void {
    if (!(probability >= 0 && probability <= 1)) throw new SessionMeshError('ERR_CONFIG', `drop probability must be in 0..1, got ${probability}`);
    if (probability === 0) this.drops.delete(`${fromId}>${toId}`);
    else this.drops.set(`${fromId}>${toId}`, probability);
  }

  // --- used by MemoryTransport ----------------------------------------------------------------

  /** @internal */
  register(t: MemoryTransport, address: PeerAddress): PeerAddress {
    const bound = address.port === 0 ? { host: address.host, port: this.freePort(address.host) } : { ...address };
    const key = formatAddress(bound);
    const holder = this.listeners.get(key);
    if (holder && !holder.isDead) throw new SessionMeshError('ERR_CONFIG', `cannot listen on ${key}: address in use`);
    this.listeners.set(key, t);
    return bound;
  }

  /** @internal */
  unregister(t: MemoryTransport, reason: string): void {
    const key = formatAddress(t.self.address);
    if (this.listeners.get(key) === t) this.listeners.delete(key);
    for (const link of [...this.links.values()]) if (link.a === t || link.b === t) this.closeLink(link, reason);
  }

  /** @internal Who answers `target` for `from`, or why nobody does. */
  resolve(from: MemoryTransport, target: PeerTarget): { peer: MemoryTransport } | { code: ErrorCode; reason: string } {
    if (target.id === from.self.id || sameAddress(target.address, from.self.address)) return { code: 'ERR_CONNECTION', reason: 'target is this member' };
    const key = formatAddress(target.address);
    let peer = this.listeners.get(key);
    if (target.id !== undefined && peer?.self.id !== target.id) {
      const byId = this.members.get(target.id);
      // An open link reaches a member by id wherever it listens (as with TCP).
      if (byId && this.links.get(pairKey(from.self.id, byId.self.id))?.open) peer = byId;
      else if (peer) return { code: 'ERR_CONNECTION', reason: `member ${target.id} is gone: ${peer.self.id} now answers at ${key}` };
      else return { code: 'ERR_CONNECTION', reason: `nothing listens at ${key}` };
    }
    if (!peer || peer.isDead) return { code: 'ERR_CONNECTION', reason: `nothing listens at ${key}` };
    if (this.blocked.has(pairKey(from.self.id, peer.self.id))) return { code: 'ERR_CONNECTION', reason: `network partition between ${from.self.id} and ${peer.self.id}` };
    return { peer };
  }

  /** @internal The open link between two members, created (with `connected` events) if needed. */
  link(a: MemoryTransport, b: MemoryTransport): Link {
    const key = pairKey(a.self.id, b.self.id);
    const existing = this.links.get(key);
    if (existing?.open) return existing;
    const link: Link = { a, b, open: true };
    this.links.set(key, link);
    a.linkUp(link, b);
    b.linkUp(link, a);
    return link;
  }

  /** @internal Runs `deliver` later, in order, unless the link closed or the message is dropped. */
  send(link: Link, from: MemoryTransport, deliver: () => void): void {
    const dropProbability = this.drops.get(`${from.self.id}>${(link.a === from ? link.b : link.a).self.id}`) ?? 0;
    this.enqueue(() => {
      if (!link.open) return;
      if (dropProbability > 0 && this.random.float() < dropProbability) return;
      deliver();
    });
  }

  /** @internal Queues an event or delivery behind everything already queued. */
  enqueue(fn: () => void): void {
    this.queue.push(fn);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    // Run what was queued before this turn; what these enqueue waits for the next turn, so a
    // ping-pong between members never starves timers and I/O.
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    for (const fn of batch) fn();
  }

  private closeLink(link: Link, reason: string): void {
    if (!link.open) return;
    link.open = false;
    const key = pairKey(link.a.self.id, link.b.self.id);
    if (this.links.get(key) === link) this.links.delete(key);
    link.a.linkDown(link, link.b, reason);
    link.b.linkDown(link, link.a, reason);
  }

  private freePort(host: string): number {
    for (;;) {
      const port = this.nextPort++;
      if (this.nextPort > 65535) this.nextPort = FIRST_EPHEMERAL_PORT;
      if (!this.listeners.has(formatAddress({ host, port }))) return port;
    }
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}
