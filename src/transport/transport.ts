/**
 * The Transport interface: how members exchange messages. Two implementations share it:
 * `tcp/` (node:net, real deployments and integration tests) and `memory/` (in-process, unit tests).
 *
 * Contract:
 * - At most one connection per peer pair is used for everything (membership, replication, ...).
 * - Nothing but handshake frames is processed on a connection before the peer proved it knows the
 *   cluster secret; a failed or silent handshake closes the connection with a logged reason.
 * - `body` values are plain decoded data (null, boolean, number, string, Uint8Array, Date, arrays,
 *   plain objects). They come from the network: the consumer validates their shape before use.
 * - `send` never throws for network reasons: a failure to reach the peer is reported as an
 *   `unreachable` peer event. It throws (synchronously, SessionMeshError ERR_INVALID_VALUE /
 *   ERR_FRAME_TOO_LARGE) only for a body it cannot encode or send, so that the caller can fail
 *   that one message and the op it carried; a member's drivers catch it (node/internal-error.ts).
 * - `request` rejects with a SessionMeshError: ERR_TIMEOUT, ERR_CONNECTION, ERR_BACKPRESSURE,
 *   ERR_CLOSED, or the code the responder sent with `replyError`.
 */
import type { PeerAddress } from './address.js';
import type { TrafficSnapshot } from './traffic.js';

/** Who is at the other end, as proven by the handshake. */
export interface PeerIdentity {
  /** The remote member's id (random per process start). */
  id: string;
  name: string;
  /** The address the remote member advertises for peer connections (not the socket's source port). */
  address: PeerAddress;
}

/** Where to send: an address, and the member id expected there if known. */
export interface PeerTarget {
  id?: string;
  address: PeerAddress;
}

export interface InboundMessage {
  from: PeerIdentity;
  type: number;
  body: unknown;
  /** Present when the sender used `request()`: call exactly one of reply/replyError, once. */
  reply?: (type: number, body: unknown) => void;
  replyError?: (code: string, message: string) => void;
}

export interface Response {
  type: number;
  body: unknown;
}

export type PeerEvent =
  | { kind: 'connected'; peer: PeerIdentity }
  | { kind: 'disconnected'; peer: PeerIdentity; reason: string }
  /** Could not reach a target: dial refused or timed out, handshake failed, or another member answered at that address. */
  | { kind: 'unreachable'; target: PeerTarget; code: string; reason: string }
  /** An inbound connection was refused (bad handshake, wrong secret/cluster/version, garbage, too many pending). */
  | { kind: 'rejected'; remoteAddress: string; code: string; reason: string };

export interface Transport {
  /** This member's identity. `address.port` is final once `listen()` resolved. */
  readonly self: PeerIdentity;
  listen(): Promise<PeerAddress>;
  send(to: PeerTarget, type: number, body: unknown): void;
  request(to: PeerTarget, type: number, body: unknown, timeoutMs: number): Promise<Response>;
  onMessage(handler: (msg: InboundMessage) => void): void;
  onPeerEvent(handler: (event: PeerEvent) => void): void;
  /** Peers with an authenticated, open connection right now. */
  connectedPeers(): PeerIdentity[];
  /** Frames and bytes per message type since start (transports that count them). */
  trafficStats?(): TrafficSnapshot;
  /** Closes the listener and every connection; pending requests reject with ERR_CLOSED. */
  close(): Promise<void>;
}
