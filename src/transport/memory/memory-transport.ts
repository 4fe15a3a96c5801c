/** The Transport of one member on a MemoryNetwork (see memory-network.ts). */
import { SessionMeshError, type ErrorCode } from '../../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import { decodeBody, encodeBody } from '../../wire/codec.js';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_FIXED_BYTES } from '../../wire/limits.js';
import { messageTypeName } from '../../wire/message-types.js';
import { formatAddress, type PeerAddress } from '../address.js';
import { assertApplicationType, assertTimeoutMs, targetProblem } from '../checks.js';
import { HandlerSet } from '../handlers.js';
import { PendingRequests } from '../pending-requests.js';
import { errorFromReply, errorReplyBody } from '../reply-error.js';
import type { InboundMessage, PeerEvent, PeerIdentity, PeerTarget, Response, Transport } from '../transport.js';
import type { Link, MemoryNetwork } from './memory-network.js';

export interface MemoryTransportOptions {
  id: string;
  name: string;
  /** Port 0 = the network picks a free one at listen(). */
  address: PeerAddress;
  /** Same meaning and default (8 MiB) as for TCP: larger bodies are refused at the sender. */
  maxFrameBytes?: number;
  /** Requests awaiting a response per peer. Default 4096, as for TCP. */
  maxInFlightRequests?: number;
  logger?: Logger;
}

export class MemoryTransport implements Transport {
  private readonly identity: PeerIdentity;
  private readonly maxFrameBytes: number;
  private readonly maxInFlightRequests: number;
  private readonly log: Logger;
  private listening = false;
  private dead = false;
  private readonly messageHandlers: HandlerSet<InboundMessage>;
  private readonly peerHandlers: HandlerSet<PeerEvent>;
  /** Open links by peer id. */
  private readonly links = new Map<string, { link: Link; peer: MemoryTransport }>();
  private readonly pending = new PendingRequests<string>();

  /** @internal Use `network.createTransport()`. */
  constructor(
    private readonly network: MemoryNetwork,
    options: MemoryTransportOptions,
  ) {
    this.identity = { id: options.id, name: options.name, address: { ...options.address } };
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.maxInFlightRequests = options.maxInFlightRequests ?? 4096;
    this.log = options.logger ?? silentLogger;
    this.messageHandlers = new HandlerSet(this.log, 'onMessage');
    this.peerHandlers = new HandlerSet(this.log, 'onPeerEvent');
  }

  get self(): PeerIdentity {
    return this.identity;
  }

  /** @internal Closed or crashed. */
  get isDead(): boolean {
    return this.dead;
  }

  async listen(): Promise<PeerAddress> {
    if (this.dead) throw new SessionMeshError('ERR_CLOSED', 'transport is closed');
    if (this.listening) throw new SessionMeshError('ERR_CONFIG', 'listen() called twice');
    this.identity.address = this.network.register(this, this.identity.address);
    this.listening = true;
    return { ...this.identity.address };
  }

  onMessage(handler: (msg: InboundMessage) => void): void {
    this.messageHandlers.add(handler);
  }

  onPeerEvent(handler: (event: PeerEvent) => void): void {
    this.peerHandlers.add(handler);
  }

  connectedPeers(): PeerIdentity[] {
    return [...this.links.values()].map((l) => l.peer.self);
  }

  send(to: PeerTarget, type: number, body: unknown): void {
    assertApplicationType(type);
    const bytes = this.encode(body);
    if (this.dead) return;
    const problem = targetProblem(to);
    if (problem) throw new SessionMeshError('ERR_INVALID_VALUE', `send: ${problem}`);
    const r = this.route(to);
    if ('code' in r) return this.reportUnreachable(to, r.code, r.reason);
    const link = this.network.link(this, r.peer);
    const from = this.identity;
    this.network.send(link, this, () => r.peer.receive(link, from, type, bytes, 0));
  }

  request(to: PeerTarget, type: number, body: unknown, timeoutMs: number): Promise<Response> {
    try {
      if (this.dead) throw new SessionMeshError('ERR_CLOSED', 'transport is closed');
      assertApplicationType(type);
      assertTimeoutMs(timeoutMs);
      const problem = targetProblem(to);
      if (problem) throw new SessionMeshError('ERR_INVALID_VALUE', `request: ${problem}`);
      const bytes = this.encode(body);
      const r = this.route(to);
      if ('code' in r) throw new SessionMeshError('ERR_CONNECTION', r.reason, { code: r.code, address: formatAddress(to.address) });
      const peer = r.peer;
      if (this.pending.countFor(peer.self.id) >= this.maxInFlightRequests) {
        throw new SessionMeshError('ERR_BACKPRESSURE', `${this.maxInFlightRequests} requests already in flight to ${peer.self.id} (maxInFlightRequests)`);
      }
      const link = this.network.link(this, peer);
      const { id, promise } = this.pending.add(peer.self.id, timeoutMs, () => `request ${messageTypeName(type)} to ${to.id ?? formatAddress(to.address)}`);
      const from = this.identity;
      this.network.send(link, this, () => peer.receive(link, from, type, bytes, id));
      return promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  close(): Promise<void> {
    this.die('peer closed');
    // Resolve after the network turn, so that events queued before close are not mistaken for later ones.
    return new Promise((resolve) => setImmediate(resolve));
  }

  // --- called by the network ------------------------------------------------------------------

  /** @internal Stops everything: no events, no deliveries; peers see `disconnected` with `reason`. */
  die(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    this.pending.rejectAll(() => new SessionMeshError('ERR_CLOSED', 'transport closed'));
    this.network.unregister(this, reason);
  }

  /** @internal */
  linkUp(link: Link, peer: MemoryTransport): void {
    this.links.set(peer.self.id, { link, peer });
    const identity = peer.self;
    this.network.enqueue(() => {
      if (link.open) this.emit({ kind: 'connected', peer: identity });
    });
  }

  /** @internal */
  linkDown(link: Link, peer: MemoryTransport, reason: string): void {
    if (this.links.get(peer.self.id)?.link !== link) return;
    this.links.delete(peer.self.id);
    const identity = peer.self;
    this.pending.rejectChannel(identity.id, () => new SessionMeshError('ERR_CONNECTION', `connection to ${identity.id} closed: ${reason}`, { peer: identity.id }));
    this.network.enqueue(() => this.emit({ kind: 'disconnected', peer: identity, reason }));
  }

  /** @internal A message or request (correlationId > 0) arriving over `link`. */
  receive(link: Link, from: PeerIdentity, type: number, bytes: Uint8Array, correlationId: number): void {
    if (this.dead) return;
    const body = decodeBody(bytes);
    if (correlationId === 0) return this.messageHandlers.emit({ from, type, body });
    const requester = link.a.self.id === from.id ? link.a : link.b;
    let replied = false;
    const once = () => {
      if (replied) throw new SessionMeshError('ERR_INVALID_VALUE', `reply to ${messageTypeName(type)} from ${from.id} was already sent`);
      replied = true;
    };
    const self = this.identity;
    const respond = (outcome: { type: number; bytes: Uint8Array } | { error: { code: string; message: string } }) => {
      if (this.dead) return;
      this.network.send(link, this, () => requester.receiveResponse(self, correlationId, outcome));
    };
    this.messageHandlers.emit({
      from,
      type,
      body,
      reply: (replyType: number, replyBody: unknown) => {
        assertApplicationType(replyType);
        const encoded = encodeBody(replyBody);
        once();
        if (FRAME_FIXED_BYTES + encoded.length > this.maxFrameBytes) {
          return respond({ error: errorReplyBody('ERR_FRAME_TOO_LARGE', `response of ${encoded.length} bytes exceeds maxFrameBytes ${this.maxFrameBytes}`) });
        }
        respond({ type: replyType, bytes: encoded });
      },
      replyError: (code: string, message: string) => {
        const error = errorReplyBody(code, message);
        once();
        respond({ error });
      },
    });
  }

  /** @internal */
  receiveResponse(from: PeerIdentity, correlationId: number, outcome: { type: number; bytes: Uint8Array } | { error: { code: string; message: string } }): void {
    if (this.dead || this.pending.channelOf(correlationId) !== from.id) return;
    if ('error' in outcome) this.pending.reject(correlationId, errorFromReply(outcome.error, from.id));
    else this.pending.resolve(correlationId, { type: outcome.type, body: decodeBody(outcome.bytes) });
  }

  // ---------------------------------------------------------------------------------------------

  private route(to: PeerTarget): { peer: MemoryTransport } | { code: ErrorCode; reason: string } {
    if (!this.listening) return { code: 'ERR_CLOSED', reason: 'transport is not listening yet' };
    return this.network.resolve(this, to);
  }

  private encode(body: unknown): Uint8Array {
    const bytes = encodeBody(body);
    if (FRAME_FIXED_BYTES + bytes.length > this.maxFrameBytes) {
      throw new SessionMeshError('ERR_FRAME_TOO_LARGE', `message of ${FRAME_FIXED_BYTES + bytes.length} bytes exceeds maxFrameBytes ${this.maxFrameBytes}`);
    }
    return bytes;
  }

  private reportUnreachable(target: PeerTarget, code: ErrorCode, reason: string): void {
    this.network.enqueue(() => this.emit({ kind: 'unreachable', target, code, reason }));
  }

  private emit(event: PeerEvent): void {
    if (this.dead) return;
    this.peerHandlers.emit(event);
  }
}
