/**
 * One TCP connection to a peer: socket, frame decoder, handshake driving, timers, and a bounded
 * write queue that respects `socket.write()`'s return value and 'drain'. Routing, peers and
 * requests live in tcp-transport.ts; this class only reports what happened through `events`.
 *
 * Lifecycle: connecting (outbound) → handshaking → open → draining (graceful end) → closed.
 * `onClosed` fires exactly once, with the first reason recorded.
 */
import type { Socket } from 'node:net';
import { SessionMeshError, type ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { decodeBody, encodeBody } from '../../wire/codec.js';
import { encodeFrame, FrameKind, type Frame } from '../../wire/frame.js';
import { FrameDecoder } from '../../wire/frame-decoder.js';
import { HANDSHAKE_MAX_FRAME_BYTES } from '../../wire/limits.js';
import { isHandshakeType, MessageType, messageTypeName } from '../../wire/message-types.js';
import type { DialerHandshake, HandshakeMessage, ListenerHandshake } from '../handshake.js';
import type { PeerIdentity } from '../transport.js';

/**
 * After we end our side, how long we wait for the peer to end its side before destroying the
 * socket. Ending instead of destroying lets bytes already written (a last reply, an error notice)
 * arrive: closing a socket with unread input makes the kernel send RST, which can discard them.
 */
export const CLOSE_GRACE_MS = 1000;

export interface CloseInfo {
  code: ErrorCode;
  reason: string;
}

export interface ConnectionEvents {
  /** The peer proved it knows the key (dialer: on HelloAck; listener: on Auth). */
  onVerified(conn: Connection, peer: PeerIdentity): void;
  /** Handshake complete on this side: the connection may carry anything. */
  onAuthenticated(conn: Connection, peer: PeerIdentity): void;
  /** A non-handshake frame (or an error response) on an authenticated connection. */
  onFrame(conn: Connection, frame: Frame): void;
  onClosed(conn: Connection, info: CloseInfo): void;
  /** A frame was accepted for sending (queued or written): traffic accounting. */
  onSent?(frame: Buffer): void;
}

export interface ConnectionLimits {
  maxFrameBytes: number;
  handshakeTimeoutMs: number;
  connectTimeoutMs: number;
  maxSendQueueBytes: number;
}

export type ConnectionState = 'connecting' | 'handshaking' | 'open' | 'draining' | 'failing' | 'closed';

export class Connection {
  state: ConnectionState;
  /** Set once the peer proved its identity. */
  peer: PeerIdentity | undefined;
  /** True once this side completed the handshake (stays true after close). */
  authenticated = false;
  readonly remoteAddress: string;
  readonly closed: Promise<void>;

  private readonly decoder = new FrameDecoder({ maxFrameBytes: HANDSHAKE_MAX_FRAME_BYTES });
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private waitingForDrain = false;
  private corked = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closeInfo: CloseInfo | undefined;
  private resolveClosed!: () => void;

  constructor(
    private readonly socket: Socket,
    readonly direction: 'inbound' | 'outbound',
    private readonly handshake: DialerHandshake | ListenerHandshake,
    private readonly limits: ConnectionLimits,
    private readonly events: ConnectionEvents,
    private readonly logger: Logger,
  ) {
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true); // latency matters more than packet count: this replaces a Redis round trip
    // Nothing may escape a socket callback (it would end the process): see guard().
    socket.on('data', (chunk: Buffer) => this.guard('data', () => this.onData(chunk)));
    socket.on('drain', () => this.guard('drain', () => this.onDrain()));
    socket.on('end', () => this.record('ERR_CONNECTION', 'connection closed by peer'));
    socket.on('error', (err: NodeJS.ErrnoException) => this.record('ERR_CONNECTION', err.code ? `${err.code}: ${err.message}` : err.message));
    socket.on('close', () => this.guard('close', () => this.onClose()));
    if (direction === 'outbound') {
      this.state = 'connecting';
      this.arm(limits.connectTimeoutMs, 'ERR_CONNECTION', `connect timed out after ${limits.connectTimeoutMs} ms`);
      socket.once('connect', () => this.guard('connect', () => this.onConnect()));
    } else {
      this.state = 'handshaking';
      this.arm(limits.handshakeTimeoutMs, 'ERR_TIMEOUT', `handshake not completed within ${limits.handshakeTimeoutMs} ms`);
    }
  }

  /** Whether write() may accept a frame right now. */
  get writable(): boolean {
    return this.state === 'open';
  }

  /**
   * Queues an application frame. Returns false (frame not taken) when the connection is not open
   * or when the bytes waiting to be written would exceed maxSendQueueBytes.
   */
  write(frame: Buffer): boolean {
    if (this.state !== 'open') return false;
    if (this.queuedBytes + this.socket.writableLength + frame.length > this.limits.maxSendQueueBytes) return false;
    if (this.waitingForDrain) {
      this.queue.push(frame);
      this.queuedBytes += frame.length;
    } else {
      this.rawWrite(frame);
    }
    this.events.onSent?.(frame);
    return true;
  }

  /**
   * Graceful close: stop accepting writes, flush what is queued, end our side, keep reading (and
   * reporting frames) until the peer ends its side or CLOSE_GRACE_MS passes.
   */
  drain(code: ErrorCode, reason: string): void {
    if (this.state === 'closed' || this.state === 'draining' || this.state === 'failing') return;
    if (this.state !== 'open') return this.destroy(code, reason);
    this.record(code, reason);
    this.state = 'draining';
    this.flushQueueIgnoringDrain();
    this.socket.end();
    this.arm(CLOSE_GRACE_MS, code, reason);
  }

  /** Closes because something went wrong, optionally telling the peer why first. Input is discarded. */
  fail(code: ErrorCode, reason: string, notice?: HandshakeMessage): void {
    if (this.state === 'closed' || this.state === 'failing') return;
    this.record(code, reason);
    this.state = 'failing';
    if (notice) {
      try {
        this.socket.write(this.encodeHandshake(notice));
      } catch (err) {
        this.logger.debug({ err }, 'could not encode handshake notice');
      }
    }
    this.socket.end();
    this.arm(CLOSE_GRACE_MS, code, reason);
  }

  /** Immediate close (garbage, timeouts, shutdown of unauthenticated connections). */
  destroy(code: ErrorCode, reason: string): void {
    if (this.state === 'closed') return;
    this.record(code, reason);
    this.socket.destroy();
  }

  // -------------------------------------------------------------------------------------------

  private onConnect(): void {
    if (this.state !== 'connecting') return;
    this.state = 'handshaking';
    this.arm(this.limits.handshakeTimeoutMs, 'ERR_TIMEOUT', `handshake not completed within ${this.limits.handshakeTimeoutMs} ms`);
    this.writeHandshake((this.handshake as DialerHandshake).start());
  }

  private onData(chunk: Buffer): void {
    if (this.leaving()) return; // discard: we are leaving
    const { frames, error } = this.decoder.push(chunk);
    for (const frame of frames) {
      if (this.leaving()) return;
      if (this.state === 'handshaking') this.onHandshakeFrame(frame);
      else this.onApplicationFrame(frame);
    }
    if (error && !this.leaving()) this.destroy(error.code, error.reason);
  }

  /** Failing or closed: input is no longer looked at. (A method, so TS does not narrow `state` across calls.) */
  private leaving(): boolean {
    return this.state === 'failing' || this.state === 'closed';
  }

  private onHandshakeFrame(frame: Frame): void {
    // Only handshake messages count before authentication; anything else is ignored (the timer
    // still runs, and the 4 KiB frame ceiling bounds what a stranger can make us hold).
    if (!isHandshakeType(frame.type)) {
      this.logger.debug({ remote: this.remoteAddress, type: frame.type }, 'ignoring non-handshake message before authentication');
      return;
    }
    let body: unknown;
    try {
      body = decodeBody(frame.body);
    } catch (err) {
      const reason = err instanceof SessionMeshError ? err.message : String(err);
      return this.fail('ERR_BAD_FRAME', reason, { type: MessageType.ErrorReply, body: { code: 'ERR_BAD_FRAME', message: 'malformed handshake message' } });
    }
    const r = this.handshake.receive(frame.type, body);
    if (!r.ok) return this.fail(r.code, r.reason, r.send);
    if (r.peer && !this.peer) {
      this.peer = r.peer;
      // The peer proved itself: from now on it may send full-size frames (a listener may follow
      // AuthOk with a large message in the same TCP segment).
      this.decoder.setMaxFrameBytes(this.limits.maxFrameBytes);
      this.events.onVerified(this, r.peer);
      if (this.state !== 'handshaking') return;
    }
    if (r.send) this.writeHandshake(r.send);
    if (r.authenticated) {
      this.disarm();
      this.state = 'open';
      this.authenticated = true;
      this.events.onAuthenticated(this, this.peer!);
    }
  }

  private onApplicationFrame(frame: Frame): void {
    if (isHandshakeType(frame.type) && !(frame.kind === FrameKind.ErrorResponse && frame.type === MessageType.ErrorReply)) {
      return this.destroy('ERR_BAD_FRAME', `handshake message ${messageTypeName(frame.type)} after authentication`);
    }
    this.events.onFrame(this, frame);
  }

  private writeHandshake(msg: HandshakeMessage): void {
    this.rawWrite(this.encodeHandshake(msg));
  }

  private encodeHandshake(msg: HandshakeMessage): Buffer {
    const kind = msg.type === MessageType.ErrorReply ? FrameKind.ErrorResponse : FrameKind.OneWay;
    return encodeFrame(kind, msg.type, 0, encodeBody(msg.body), HANDSHAKE_MAX_FRAME_BYTES);
  }

  private rawWrite(frame: Buffer): void {
    // Frames written in one turn of the event loop leave in one writev. With Nagle off, a
    // loopback write costs a syscall that also does the receiver's delivery (tens of µs), the
    // biggest single cost of a replicated write under load. Uncorking on setImmediate rather
    // than nextTick batches the frames of every I/O callback of the poll phase (50 HTTP requests
    // each replicating one write become one writev, not 50); it adds no wait, as the check
    // phase runs right after the poll phase, before the loop could block again.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    if (!this.socket.write(frame)) this.waitingForDrain = true;
  }

  private onDrain(): void {
    this.waitingForDrain = false;
    while (this.queue.length > 0 && !this.waitingForDrain) {
      const frame = this.queue.shift()!;
      this.queuedBytes -= frame.length;
      this.rawWrite(frame);
    }
  }

  private flushQueueIgnoringDrain(): void {
    for (const frame of this.queue) this.socket.write(frame);
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private onClose(): void {
    if (this.state === 'closed') return;
    this.disarm();
    this.state = 'closed';
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.record('ERR_CONNECTION', 'connection closed');
    this.events.onClosed(this, this.closeInfo!);
    this.resolveClosed();
  }

  /** Keeps the first reason: later ones (the 'close' after a 'error') are consequences. */
  private record(code: ErrorCode, reason: string): void {
    this.closeInfo ??= { code, reason };
  }

  private arm(ms: number, code: ErrorCode, reason: string): void {
    this.disarm();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.guard('timer', () => this.destroy(code, reason));
    }, ms);
  }

  /**
   * Runs a socket or timer callback. An exception there is a bug in the transport or in what it
   * calls (handlers catch their own errors, handlers.ts): it is logged at error level with code
   * ERR_INTERNAL and this connection is closed (its state may be half-updated); the process
   * and every other connection keep running.
   */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ code: 'ERR_INTERNAL', where: `connection ${what}`, remote: this.remoteAddress, peer: this.peer?.id, err }, `connection ${what} callback failed (ERR_INTERNAL); closing the connection`);
      if (what === 'close') return;
      try {
        this.destroy('ERR_INTERNAL', `internal error: ${err instanceof Error ? err.message : String(err)}`);
      } catch (e) {
        this.logger.error({ code: 'ERR_INTERNAL', err: e }, 'closing a connection after an internal error failed');
      }
    }
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
