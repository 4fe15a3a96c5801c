/**
 * The Transport over node:net (see transport.ts for the contract).
 *
 * - One authenticated connection per peer pair, dialed on demand by send/request and reused for
 *   everything. Messages for an address being dialed wait (bounded) on the dial.
 * - When both members dial each other at once, both connections authenticate; the one dialed by
 *   the member with the smaller id is kept. Only that smaller-id member closes the other, and
 *   gracefully (end, keep reading), while the larger-id member merely stops writing to it. Every
 *   frame written before the switch is still read and handled, requests are matched per peer (not
 *   per connection), and replies go out on the kept connection: nothing is lost. Order across the
 *   two connections during that switch is not guaranteed.
 * - A failed dial puts the address into jittered exponential backoff: meanwhile sends to it are
 *   reported `unreachable` and requests reject ERR_CONNECTION at once, without dialing.
 * - Garbage, an oversized frame or a failed handshake closes that connection only, with a logged
 *   reason and a `rejected` (inbound) or `unreachable` (outbound) event.
 */
import * as net from 'node:net';
import { systemClock } from '../../clock/clock.js';
import { SessionMeshError, type ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { decodeBody, encodeBody } from '../../wire/codec.js';
import { encodeFrame, FrameKind, type Frame } from '../../wire/frame.js';
import { FRAME_FIXED_BYTES, FRAME_HEADER_BYTES } from '../../wire/limits.js';
import { MessageType, messageTypeName } from '../../wire/message-types.js';
import { formatAddress, sameAddress, type PeerAddress } from '../address.js';
import { assertApplicationType, assertTimeoutMs, targetProblem } from '../checks.js';
import { DialerHandshake, ListenerHandshake, type HandshakeConfig } from '../handshake.js';
import { HandlerSet } from '../handlers.js';
import { TrafficCounter, type TrafficSnapshot } from '../traffic.js';
import { PendingRequests } from '../pending-requests.js';
import { errorFromReply, errorReplyBody } from '../reply-error.js';
import type { InboundMessage, PeerEvent, PeerIdentity, PeerTarget, Response, Transport } from '../transport.js';
import { backoffDelayMs } from './backoff.js';
import { Connection, type CloseInfo, type ConnectionEvents } from './connection.js';
import { resolveTcpOptions, type ResolvedTcpOptions, type TcpTransportOptions } from './options.js';

export type { TcpTransportOptions } from './options.js';

/** Remembered failed addresses beyond this are forgotten oldest first (they only cost a re-dial). */
const MAX_BACKOFF_ENTRIES = 4096;
/** Refusals for maxPendingHandshakes are logged at most this often (with a count). */
const REFUSAL_LOG_INTERVAL_MS = 1000;

interface PeerEntry {
  identity: PeerIdentity;
  /** Authenticated connections still open or draining; more than one only around a simultaneous dial. */
  conns: Connection[];
  /** Address keys that lead to this peer: the one it advertises, and any we dialed it at. */
  addressKeys: Set<string>;
}

/** A message waiting for a dial to finish. `correlationId` 0 = a one-way send. */
interface Waiting {
  target: PeerTarget;
  frame: Buffer;
  correlationId: number;
}

interface Dial {
  key: string;
  conn: Connection;
  waiting: Waiting[];
  waitingBytes: number;
}

interface Backoff {
  failures: number;
  retryAtMs: number;
  reason: string;
}

type Route = { kind: 'conn'; conn: Connection } | { kind: 'dial'; dial: Dial } | { kind: 'fail'; code: ErrorCode; reason: string };

export interface TcpTransportStats {
  peers: number;
  /** Every socket, in any state. */
  connections: number;
  pendingHandshakes: number;
  dials: number;
  pendingRequests: number;
  addressesInBackoff: number;
}

export class TcpTransport implements Transport {
  private readonly o: ResolvedTcpOptions;
  private readonly log: Logger;
  private readonly identity: PeerIdentity;
  private server: net.Server | null = null;
  private listening = false;
  private closing = false;
  private closePromise: Promise<void> | null = null;
  private readonly messageHandlers: HandlerSet<InboundMessage>;
  private readonly peerHandlers: HandlerSet<PeerEvent>;
  private readonly peers = new Map<string, PeerEntry>();
  private readonly peerByAddress = new Map<string, string>();
  private readonly dials = new Map<string, Dial>();
  private readonly dialByConn = new Map<Connection, Dial>();
  private readonly backoffs = new Map<string, Backoff>();
  private readonly handshaking = new Set<Connection>();
  private readonly conns = new Set<Connection>();
  private readonly pending = new PendingRequests<Connection>();
  private refusedSinceLog = 0;
  private refusalLoggedAtMs = -Infinity;
  private readonly connEvents: ConnectionEvents = {
    onVerified: (c, p) => this.onVerified(c, p),
    onAuthenticated: (c, p) => this.onAuthenticated(c, p),
    onFrame: (c, f) => this.onFrame(c, f),
    onClosed: (c, i) => this.onClosed(c, i),
    onSent: (f) => this.traffic.countSentFrame(f),
  };
  /** Frames and bytes per message type, both directions (see trafficStats()). */
  private readonly traffic = new TrafficCounter();

  constructor(options: TcpTransportOptions) {
    this.o = resolveTcpOptions(options);
    this.log = this.o.logger;
    this.identity = { id: this.o.id, name: this.o.name, address: { host: this.o.advertiseHost, port: this.o.port } };
    this.messageHandlers = new HandlerSet(this.log, 'onMessage');
    this.peerHandlers = new HandlerSet(this.log, 'onPeerEvent');
  }

  get self(): PeerIdentity {
    return this.identity;
  }

  async listen(): Promise<PeerAddress> {
    if (this.closing) throw new SessionMeshError('ERR_CLOSED', 'transport is closed');
    if (this.server) throw new SessionMeshError('ERR_CONFIG', 'listen() called twice');
    const server = net.createServer({ noDelay: true, allowHalfOpen: false }, (socket) => this.onInbound(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(new SessionMeshError('ERR_CONFIG', `cannot listen on ${formatAddress({ host: this.o.host, port: this.o.port })}: ${err.message}`, undefined, { cause: err }));
      server.once('error', onError);
      server.listen({ host: this.o.host, port: this.o.port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'peer listener error'));
    const bound = server.address() as net.AddressInfo;
    this.identity.address.port = bound.port;
    this.listening = true;
    this.log.info({ address: formatAddress(this.identity.address), secure: this.o.secret !== null }, 'peer transport listening');
    if (this.identity.address.host === '0.0.0.0' || this.identity.address.host === '::') {
      this.log.warn({ advertiseHost: this.identity.address.host }, 'advertising a wildcard address: peers on other hosts cannot dial it; set advertiseHost');
    }
    return { ...this.identity.address };
  }

  onMessage(handler: (msg: InboundMessage) => void): void {
    this.messageHandlers.add(handler);
  }

  onPeerEvent(handler: (event: PeerEvent) => void): void {
    this.peerHandlers.add(handler);
  }

  connectedPeers(): PeerIdentity[] {
    return [...this.peers.values()].map((e) => e.identity);
  }

  /** Counters for status pages and tests. */
  stats(): TcpTransportStats {
    return {
      peers: this.peers.size,
      connections: this.conns.size,
      pendingHandshakes: this.handshaking.size,
      dials: this.dials.size,
      pendingRequests: this.pending.size,
      addressesInBackoff: this.backoffs.size,
    };
  }

  /** Frames and bytes sent and received per message type since the transport started. */
  trafficStats(): TrafficSnapshot {
    return this.traffic.snapshot();
  }

  /**
   * Never throws for network reasons: an unreachable peer (including backoff) and a full send
   * queue are reported as `unreachable` events. Throws ERR_INVALID_VALUE / ERR_FRAME_TOO_LARGE for
   * a bad type or body: those are bugs at the caller.
   */
  send(to: PeerTarget, type: number, body: unknown): void {
    assertApplicationType(type);
    const bytes = encodeBody(body);
    const frame = encodeFrame(FrameKind.OneWay, type, 0, bytes, this.o.maxFrameBytes);
    if (this.closing) return;
    const problem = targetProblem(to);
    if (problem) throw new SessionMeshError('ERR_INVALID_VALUE', `send: ${problem}`);
    const route = this.route(to);
    if (route.kind === 'fail') return this.reportUnreachable(to, route.code, route.reason);
    if (route.kind === 'dial') {
      if (!this.addWaiting(route.dial, { target: to, frame, correlationId: 0 })) {
        this.reportUnreachable(to, 'ERR_BACKPRESSURE', `send queue for ${route.dial.key} is full (maxSendQueueBytes ${this.o.maxSendQueueBytes})`);
      }
      return;
    }
    if (!route.conn.write(frame)) {
      this.reportUnreachable(to, 'ERR_BACKPRESSURE', `send queue to ${this.describeConn(route.conn)} is full (maxSendQueueBytes ${this.o.maxSendQueueBytes})`);
    }
  }

  request(to: PeerTarget, type: number, body: unknown, timeoutMs: number): Promise<Response> {
    try {
      if (this.closing) throw new SessionMeshError('ERR_CLOSED', 'transport is closed');
      assertApplicationType(type);
      assertTimeoutMs(timeoutMs);
      const problem = targetProblem(to);
      if (problem) throw new SessionMeshError('ERR_INVALID_VALUE', `request: ${problem}`);
      const bytes = encodeBody(body);
      if (FRAME_FIXED_BYTES + bytes.length > this.o.maxFrameBytes) {
        throw new SessionMeshError('ERR_FRAME_TOO_LARGE', `request of ${FRAME_FIXED_BYTES + bytes.length} bytes exceeds maxFrameBytes ${this.o.maxFrameBytes}`);
      }
      const route = this.route(to);
      if (route.kind === 'fail') throw new SessionMeshError('ERR_CONNECTION', route.reason, { code: route.code, address: formatAddress(to.address) });
      const conn = route.kind === 'conn' ? route.conn : route.dial.conn;
      if (this.pending.countFor(conn) >= this.o.maxInFlightRequests) {
        throw new SessionMeshError('ERR_BACKPRESSURE', `${this.o.maxInFlightRequests} requests already in flight to ${formatAddress(to.address)} (maxInFlightRequests)`);
      }
      const { id, promise } = this.pending.add(conn, timeoutMs, () => `request ${messageTypeName(type)} to ${to.id ?? formatAddress(to.address)}`);
      const frame = encodeFrame(FrameKind.Request, type, id, bytes, this.o.maxFrameBytes);
      const queued = route.kind === 'dial' ? this.addWaiting(route.dial, { target: to, frame, correlationId: id }) : conn.write(frame);
      if (!queued) {
        this.pending.reject(id, new SessionMeshError('ERR_BACKPRESSURE', `send queue to ${formatAddress(to.address)} is full (maxSendQueueBytes ${this.o.maxSendQueueBytes})`));
      }
      return promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  close(): Promise<void> {
    this.closePromise ??= this.shutdown();
    return this.closePromise;
  }

  // ------------------------------------------------------------------------------------------
  // Routing and dialing

  private route(target: PeerTarget): Route {
    if (!this.listening) return { kind: 'fail', code: 'ERR_CLOSED', reason: 'transport is not listening yet' };
    if (target.id === this.identity.id || sameAddress(target.address, this.identity.address)) {
      return { kind: 'fail', code: 'ERR_CONNECTION', reason: 'target is this member' };
    }
    if (target.id !== undefined) {
      const entry = this.peers.get(target.id);
      if (entry) return this.routeToPeer(entry);
    }
    const key = formatAddress(target.address);
    const idAtAddress = this.peerByAddress.get(key);
    if (idAtAddress !== undefined) {
      if (target.id !== undefined && target.id !== idAtAddress) {
        return { kind: 'fail', code: 'ERR_CONNECTION', reason: `member ${target.id} is gone: ${idAtAddress} now answers at ${key}` };
      }
      return this.routeToPeer(this.peers.get(idAtAddress)!);
    }
    const dial = this.dials.get(key);
    if (dial) return { kind: 'dial', dial };
    const backoff = this.backoffs.get(key);
    const now = systemClock.nowMs();
    if (backoff && now < backoff.retryAtMs) {
      return {
        kind: 'fail',
        code: 'ERR_CONNECTION',
        reason: `backing off from ${key} after ${backoff.failures} failed dial(s) (${backoff.reason}); next dial in ${Math.ceil(backoff.retryAtMs - now)} ms`,
      };
    }
    return { kind: 'dial', dial: this.startDial(target.address, key) };
  }

  private routeToPeer(entry: PeerEntry): Route {
    const conn = this.preferred(entry);
    return conn ? { kind: 'conn', conn } : { kind: 'fail', code: 'ERR_CONNECTION', reason: `connection to ${entry.identity.id} is closing` };
  }

  /** The open connection dialed by the smaller id if there is one, else any open one. */
  private preferred(entry: PeerEntry): Connection | undefined {
    const keeperDialer = this.identity.id < entry.identity.id ? 'outbound' : 'inbound';
    let fallback: Connection | undefined;
    for (const c of entry.conns) {
      if (!c.writable) continue;
      if (c.direction === keeperDialer) return c;
      fallback ??= c;
    }
    return fallback;
  }

  private startDial(address: PeerAddress, key: string): Dial {
    const socket = net.connect({ host: address.host, port: address.port, noDelay: true });
    const conn = new Connection(socket, 'outbound', new DialerHandshake(this.handshakeConfig()), this.o, this.connEvents, this.log);
    const dial: Dial = { key, conn, waiting: [], waitingBytes: 0 };
    this.dials.set(key, dial);
    this.dialByConn.set(conn, dial);
    this.conns.add(conn);
    this.log.debug({ address: key }, 'dialing peer');
    return dial;
  }

  private addWaiting(dial: Dial, item: Waiting): boolean {
    if (dial.waitingBytes + item.frame.length > this.o.maxSendQueueBytes) return false;
    dial.waiting.push(item);
    dial.waitingBytes += item.frame.length;
    return true;
  }

  private handshakeConfig(): HandshakeConfig {
    return { self: this.identity, cluster: this.o.cluster, secret: this.o.secret, random: this.o.random };
  }

  private onInbound(socket: net.Socket): void {
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.handshaking.size >= this.o.maxPendingHandshakes) {
      // Refuse before allocating anything: a flood of silent connections must not starve real peers.
      socket.on('error', () => {});
      socket.destroy();
      const reason = `too many pending handshakes (maxPendingHandshakes ${this.o.maxPendingHandshakes})`;
      this.refusedSinceLog++;
      const now = systemClock.nowMs();
      // At most one line per REFUSAL_LOG_INTERVAL_MS: a flood must not become a log flood.
      if (now - this.refusalLoggedAtMs >= REFUSAL_LOG_INTERVAL_MS) {
        this.log.warn({ remote, reason, refused: this.refusedSinceLog }, 'inbound connections refused');
        this.refusalLoggedAtMs = now;
        this.refusedSinceLog = 0;
      }
      this.emit({ kind: 'rejected', remoteAddress: remote, code: 'ERR_BACKPRESSURE', reason });
      return;
    }
    const conn = new Connection(socket, 'inbound', new ListenerHandshake(this.handshakeConfig()), this.o, this.connEvents, this.log);
    this.handshaking.add(conn);
    this.conns.add(conn);
  }

  // ------------------------------------------------------------------------------------------
  // Connection events

  private onVerified(conn: Connection, peer: PeerIdentity): void {
    const dial = this.dialByConn.get(conn);
    if (!dial) return;
    // Another member answers where a particular one was expected: that one is gone.
    const keep: Waiting[] = [];
    const gone: Waiting[] = [];
    for (const w of dial.waiting) (w.target.id !== undefined && w.target.id !== peer.id ? gone : keep).push(w);
    if (gone.length === 0) return;
    dial.waiting = keep;
    dial.waitingBytes = keep.reduce((n, w) => n + w.frame.length, 0);
    this.failWaiting(gone, 'ERR_CONNECTION', `member ${gone[0]!.target.id} is gone: ${peer.id} now answers at ${dial.key}`);
  }

  private onAuthenticated(conn: Connection, peer: PeerIdentity): void {
    if (this.closing) return conn.destroy('ERR_CLOSED', 'transport is closed');
    this.handshaking.delete(conn);
    const dial = this.dialByConn.get(conn);
    if (dial) {
      this.dialByConn.delete(conn);
      if (this.dials.get(dial.key) === dial) this.dials.delete(dial.key);
      this.backoffs.delete(dial.key);
    }
    let entry = this.peers.get(peer.id);
    const isNew = entry === undefined;
    if (!entry) {
      entry = { identity: peer, conns: [], addressKeys: new Set() };
      this.peers.set(peer.id, entry);
    }
    entry.conns.push(conn);
    for (const key of dial ? [formatAddress(peer.address), dial.key] : [formatAddress(peer.address)]) {
      entry.addressKeys.add(key);
      this.peerByAddress.set(key, peer.id);
      this.backoffs.delete(key);
    }
    this.log.debug({ peer: peer.id, name: peer.name, direction: conn.direction, remote: conn.remoteAddress }, 'peer connection authenticated');
    this.resolveDuplicates(entry);
    if (dial) {
      const target = this.preferred(entry) ?? conn;
      this.pending.moveChannel(conn, target);
      this.flushWaiting(dial, target);
    }
    if (isNew) {
      this.log.info({ peer: peer.id, name: peer.name, address: formatAddress(peer.address) }, 'peer connected');
      this.emit({ kind: 'connected', peer });
    }
  }

  /** Simultaneous dial: the smaller id keeps the connection it dialed and gracefully ends the other. */
  private resolveDuplicates(entry: PeerEntry): void {
    if (entry.conns.length < 2 || this.identity.id > entry.identity.id) return;
    const keeper = entry.conns.find((c) => c.direction === 'outbound' && c.writable);
    if (!keeper) return;
    for (const c of entry.conns) {
      if (c !== keeper && c.writable) {
        this.pending.moveChannel(c, keeper);
        c.drain('ERR_CONNECTION', 'duplicate connection after a simultaneous dial (keeping the one dialed by the smaller id)');
      }
    }
  }

  private flushWaiting(dial: Dial, conn: Connection): void {
    const items = dial.waiting;
    dial.waiting = [];
    dial.waitingBytes = 0;
    const refused: Waiting[] = [];
    for (const w of items) if (!conn.write(w.frame)) refused.push(w);
    if (refused.length > 0) this.failWaiting(refused, 'ERR_BACKPRESSURE', `send queue to ${this.describeConn(conn)} is full`);
  }

  private onFrame(conn: Connection, frame: Frame): void {
    if (this.closing) return;
    this.traffic.countReceived(frame.type, FRAME_HEADER_BYTES + frame.body.length);
    const peer = conn.peer!;
    if (frame.kind === FrameKind.Response || frame.kind === FrameKind.ErrorResponse) return this.onResponse(conn, peer, frame);
    let body: unknown;
    try {
      body = decodeBody(frame.body);
    } catch (err) {
      return conn.destroy('ERR_BAD_FRAME', (err as Error).message);
    }
    if (frame.kind === FrameKind.OneWay) {
      this.messageHandlers.emit({ from: peer, type: frame.type, body });
      return;
    }
    const { reply, replyError } = this.replier(peer, frame.type, frame.correlationId);
    this.messageHandlers.emit({ from: peer, type: frame.type, body, reply, replyError });
  }

  private onResponse(conn: Connection, peer: PeerIdentity, frame: Frame): void {
    const channel = this.pending.channelOf(frame.correlationId);
    if (channel === undefined) {
      this.log.debug({ peer: peer.id, correlationId: frame.correlationId }, 'response for no pending request (late after a timeout?)');
      return;
    }
    // Only the peer the request went to may answer it.
    if (channel.peer?.id !== peer.id) {
      this.log.warn({ peer: peer.id, correlationId: frame.correlationId }, 'response from a peer the request was not sent to; ignored');
      return;
    }
    let body: unknown;
    try {
      body = decodeBody(frame.body);
    } catch (err) {
      this.pending.reject(frame.correlationId, err as Error);
      return conn.destroy('ERR_BAD_FRAME', (err as Error).message);
    }
    if (frame.kind === FrameKind.ErrorResponse) this.pending.reject(frame.correlationId, errorFromReply(body, peer.id));
    else this.pending.resolve(frame.correlationId, { type: frame.type, body });
  }

  private replier(peer: PeerIdentity, requestType: number, correlationId: number): Pick<InboundMessage, 'reply' | 'replyError'> {
    let replied = false;
    const once = () => {
      if (replied) throw new SessionMeshError('ERR_INVALID_VALUE', `reply to ${messageTypeName(requestType)} from ${peer.id} was already sent`);
      replied = true;
    };
    const deliver = (frame: Buffer) => {
      if (this.closing) return;
      const entry = this.peers.get(peer.id);
      const conn = entry && this.preferred(entry);
      if (!conn) return this.log.debug({ peer: peer.id, type: requestType }, 'reply dropped: peer disconnected');
      if (!conn.write(frame)) this.log.warn({ peer: peer.id, type: requestType }, 'reply dropped: send queue full');
    };
    return {
      reply: (type: number, body: unknown) => {
        assertApplicationType(type);
        const bytes = encodeBody(body);
        once();
        if (FRAME_FIXED_BYTES + bytes.length > this.o.maxFrameBytes) {
          // Data-dependent, not a bug: tell the requester at once instead of letting it time out.
          this.log.warn({ peer: peer.id, type, bytes: bytes.length }, 'reply exceeds maxFrameBytes; sending an error instead');
          const err = errorReplyBody('ERR_FRAME_TOO_LARGE', `response of ${bytes.length} bytes exceeds maxFrameBytes ${this.o.maxFrameBytes}`);
          return deliver(encodeFrame(FrameKind.ErrorResponse, MessageType.ErrorReply, correlationId, encodeBody(err), this.o.maxFrameBytes));
        }
        deliver(encodeFrame(FrameKind.Response, type, correlationId, bytes, this.o.maxFrameBytes));
      },
      replyError: (code: string, message: string) => {
        const body = errorReplyBody(code, message);
        once();
        deliver(encodeFrame(FrameKind.ErrorResponse, MessageType.ErrorReply, correlationId, encodeBody(body), this.o.maxFrameBytes));
      },
    };
  }

  private onClosed(conn: Connection, info: CloseInfo): void {
    this.conns.delete(conn);
    if (this.handshaking.delete(conn)) {
      if (this.closing) return;
      // A TCP health check or port scan (closed, timed out) is not worth a warning; a peer with the
      // wrong secret, cluster or version, or sending garbage, is.
      const level = info.code === 'ERR_CONNECTION' ? 'debug' : info.code === 'ERR_TIMEOUT' ? 'info' : 'warn';
      this.log[level]({ remote: conn.remoteAddress, code: info.code, reason: info.reason }, 'inbound connection rejected');
      this.emit({ kind: 'rejected', remoteAddress: conn.remoteAddress, code: info.code, reason: info.reason });
      return;
    }
    const dial = this.dialByConn.get(conn);
    if (dial) return this.onDialFailed(dial, info);
    const peer = conn.peer;
    const entry = peer && this.peers.get(peer.id);
    if (!peer || !entry || !entry.conns.includes(conn)) return;
    entry.conns = entry.conns.filter((c) => c !== conn);
    const replacement = this.preferred(entry) ?? entry.conns[0];
    if (replacement) {
      this.pending.moveChannel(conn, replacement);
      this.log.debug({ peer: peer.id, reason: info.reason }, 'duplicate peer connection closed');
      return;
    }
    this.peers.delete(peer.id);
    for (const key of entry.addressKeys) if (this.peerByAddress.get(key) === peer.id) this.peerByAddress.delete(key);
    this.pending.rejectChannel(conn, () => new SessionMeshError('ERR_CONNECTION', `connection to ${peer.id} closed: ${info.reason}`, { peer: peer.id }));
    if (this.closing) return;
    this.log.info({ peer: peer.id, name: peer.name, code: info.code, reason: info.reason }, 'peer disconnected');
    this.emit({ kind: 'disconnected', peer, reason: info.reason });
  }

  private onDialFailed(dial: Dial, info: CloseInfo): void {
    this.dialByConn.delete(dial.conn);
    if (this.dials.get(dial.key) === dial) this.dials.delete(dial.key);
    const waiting = dial.waiting;
    dial.waiting = [];
    if (this.closing) return;
    this.recordFailure(dial.key, info);
    this.log.info({ address: dial.key, code: info.code, reason: info.reason }, 'dial failed');
    // The peer may have reached us meanwhile (it dialed too): then nothing is lost.
    const idAtAddress = this.peerByAddress.get(dial.key);
    const entry = idAtAddress === undefined ? undefined : this.peers.get(idAtAddress);
    const conn = entry && this.preferred(entry);
    if (conn) {
      this.pending.moveChannel(dial.conn, conn);
      const refused = waiting.filter((w) => (w.target.id !== undefined && w.target.id !== entry.identity.id) || !conn.write(w.frame));
      this.failWaiting(refused, 'ERR_CONNECTION', `could not deliver to ${dial.key}`);
      return;
    }
    this.failWaiting(waiting, info.code, `could not reach ${dial.key}: ${info.reason}`);
    this.pending.rejectChannel(dial.conn, () => new SessionMeshError('ERR_CONNECTION', `could not reach ${dial.key}: ${info.reason}`, { code: info.code }));
  }

  private recordFailure(key: string, info: CloseInfo): void {
    const failures = (this.backoffs.get(key)?.failures ?? 0) + 1;
    const delayMs = backoffDelayMs(failures, this.o.reconnectMinMs, this.o.reconnectMaxMs, this.o.random);
    this.backoffs.delete(key); // re-insert: the map's order is then oldest failure first
    this.backoffs.set(key, { failures, retryAtMs: systemClock.nowMs() + delayMs, reason: info.reason });
    if (this.backoffs.size > MAX_BACKOFF_ENTRIES) this.backoffs.delete(this.backoffs.keys().next().value!);
  }

  /** Requests reject ERR_CONNECTION (or ERR_BACKPRESSURE); sends become one `unreachable` per target. */
  private failWaiting(items: Waiting[], code: ErrorCode, reason: string): void {
    const reported = new Set<string>();
    for (const w of items) {
      if (w.correlationId !== 0) {
        const errCode = code === 'ERR_BACKPRESSURE' ? 'ERR_BACKPRESSURE' : 'ERR_CONNECTION';
        this.pending.reject(w.correlationId, new SessionMeshError(errCode, reason, { code }));
        continue;
      }
      const key = `${w.target.id ?? ''}@${formatAddress(w.target.address)}`;
      if (reported.has(key)) continue;
      reported.add(key);
      this.reportUnreachable(w.target, code, reason);
    }
  }

  private reportUnreachable(target: PeerTarget, code: ErrorCode, reason: string): void {
    this.log.debug({ target: target.id ?? formatAddress(target.address), code, reason }, 'peer unreachable');
    // Deferred: never call handlers from inside send().
    queueMicrotask(() => this.emit({ kind: 'unreachable', target, code, reason }));
  }

  private emit(event: PeerEvent): void {
    if (this.closing) return;
    this.peerHandlers.emit(event);
  }

  private describeConn(conn: Connection): string {
    return conn.peer ? `${conn.peer.name} (${conn.peer.id})` : conn.remoteAddress;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    this.pending.rejectAll(() => new SessionMeshError('ERR_CLOSED', 'transport closed'));
    const serverClosed = new Promise<void>((resolve) => {
      if (!this.server || !this.listening) return resolve();
      this.server.close(() => resolve());
    });
    const all = [...this.conns];
    for (const conn of all) {
      // Authenticated connections end gracefully (replies already written still arrive);
      // half-done handshakes just go.
      if (conn.writable) conn.drain('ERR_CLOSED', 'transport closed');
      else conn.destroy('ERR_CLOSED', 'transport closed');
    }
    await Promise.all([serverClosed, ...all.map((c) => c.closed)]);
    this.peers.clear();
    this.peerByAddress.clear();
    this.dials.clear();
    this.dialByConn.clear();
    this.log.info({}, 'peer transport closed');
  }
}
