/**
 * The connection handshake (DESIGN.md §5), as pure state machines: messages in, messages out, no
 * sockets, no timers. The TCP transport drives them; tests drive them directly.
 *
 *   dialer                                   listener
 *   Hello {version, cluster, id, name, address, secure, nonce}  ─▶
 *        ◀─  HelloAck {version, cluster, id, name, address, secure, nonce, proof(listener)}
 *   Auth {proof(dialer)}  ─▶
 *        ◀─  AuthOk {}
 *
 *   proof(role) = HMAC-SHA256(key, "sessionmesh/v1/<role>" | cluster | dialerNonce | listenerNonce
 *                                   | listenerId | dialerId)       (each field u32-length-prefixed)
 *
 * Mutual: each side proves it knows the key over a nonce the other side just drew, so a recorded
 * proof is useless later (replay) and a proof for one pair of members or one direction is useless
 * for another (the ids and the role label are inside the MAC). The secret never crosses the wire.
 *
 * Insecure mode (`secret: null`) is a distinct key, not "no check": it runs the same exchange with
 * a fixed, well-known key. Keys are derived with separate prefixes, so no secret can equal the
 * insecure key, and an insecure member and a secured one always fail to connect with ERR_AUTH
 * (reported early and clearly thanks to the `secure` flag; the MAC would refuse it anyway).
 *
 * A failure result may carry a message for the peer (an ErrorReply `{code, message}`) so that both
 * logs tell the same story; messages never reveal our cluster name or anything secret.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Random } from '../clock/clock.js';
import type { ErrorCode } from '../errors.js';
import { MessageType } from '../wire/message-types.js';
import { PROTOCOL_VERSION } from '../wire/version.js';
import type { PeerIdentity } from './transport.js';

export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;
/** Bounds on handshake strings (characters). Generous, and small enough to fit a 4 KiB frame. */
export const MAX_CLUSTER_LENGTH = 128;
export const MAX_MEMBER_ID_LENGTH = 128;
export const MAX_MEMBER_NAME_LENGTH = 256;
export const MAX_HOST_LENGTH = 255;

export type HandshakeErrorCode = Extract<
  ErrorCode,
  'ERR_PROTOCOL_VERSION' | 'ERR_WRONG_CLUSTER' | 'ERR_AUTH' | 'ERR_BAD_FRAME' | 'ERR_CONNECTION'
>;

export interface HandshakeConfig {
  self: PeerIdentity;
  cluster: string;
  /** The shared cluster secret; null = insecure mode (see above). */
  secret: string | null;
  /** Source of nonces: must be cryptographically strong outside tests (SystemRandom). */
  random: Random;
}

/** A message to send: a handshake type (or ErrorReply, to be sent as an error response frame). */
export interface HandshakeMessage {
  type: number;
  body: Record<string, unknown>;
}

export type HandshakeResult =
  | {
      ok: true;
      send?: HandshakeMessage;
      /** Set once the peer has proved it knows the key (dialer: at HelloAck; listener: at Auth). */
      peer?: PeerIdentity;
      /** True when this side's handshake is complete: the connection may carry anything now. */
      authenticated: boolean;
    }
  | { ok: false; code: HandshakeErrorCode; reason: string; send?: HandshakeMessage };

const INSECURE_KEY = createHash('sha256').update('sessionmesh/v1/insecure-well-known-key').digest();

/** The HMAC key for a secret; `null` gives the insecure mode's well-known key. */
export function handshakeKey(secret: string | null): Buffer {
  if (secret === null) return INSECURE_KEY;
  return createHash('sha256').update('sessionmesh/v1/secret\0').update(secret, 'utf8').digest();
}

export function computeProof(
  key: Uint8Array,
  role: 'listener' | 'dialer',
  cluster: string,
  dialerNonce: Uint8Array,
  listenerNonce: Uint8Array,
  listenerId: string,
  dialerId: string,
): Buffer {
  const mac = createHmac('sha256', key);
  const field = (b: Uint8Array) => {
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(b.length, 0);
    mac.update(len);
    mac.update(b);
  };
  field(Buffer.from(`sessionmesh/v${PROTOCOL_VERSION}/${role}`, 'utf8'));
  field(Buffer.from(cluster, 'utf8'));
  field(dialerNonce);
  field(listenerNonce);
  field(Buffer.from(listenerId, 'utf8'));
  field(Buffer.from(dialerId, 'utf8'));
  return mac.digest();
}

function proofMatches(expected: Buffer, got: Uint8Array): boolean {
  return got.length === expected.length && timingSafeEqual(expected, got);
}

// ---------------------------------------------------------------------------------------------
// Validation of what the peer sent. Bodies are already plain data (codec.ts); shapes are not.

interface Greeting {
  identity: PeerIdentity;
  cluster: string;
  secure: boolean;
  nonce: Uint8Array;
  proof?: Uint8Array;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; code: HandshakeErrorCode; reason: string };

const PRINTABLE = /^[\x21-\x7e]+$/; // ids and hosts: printable ASCII, no spaces (they end up in logs)

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
}

function bad(reason: string): { ok: false; code: 'ERR_BAD_FRAME'; reason: string } {
  return { ok: false, code: 'ERR_BAD_FRAME', reason };
}

function boundedString(v: unknown, min: number, max: number, pattern?: RegExp): v is string {
  return typeof v === 'string' && v.length >= min && v.length <= max && (pattern === undefined || pattern.test(v));
}

function bytesOf(v: unknown, length: number): v is Uint8Array {
  return v instanceof Uint8Array && v.length === length;
}

/** Parses Hello (withProof false) or HelloAck (withProof true). Checks version, then cluster, then the rest. */
function parseGreeting(body: unknown, what: string, cluster: string, withProof: boolean): Parsed<Greeting> {
  if (!isObject(body)) return bad(`${what} body is not an object`);
  const { version } = body;
  if (!Number.isInteger(version)) return bad(`${what}.version is not an integer`);
  if (version !== PROTOCOL_VERSION) {
    return { ok: false, code: 'ERR_PROTOCOL_VERSION', reason: `peer speaks protocol version ${String(version)}, this member ${PROTOCOL_VERSION}` };
  }
  if (!boundedString(body.cluster, 1, MAX_CLUSTER_LENGTH)) return bad(`${what}.cluster is not a string of 1..${MAX_CLUSTER_LENGTH} characters`);
  if (body.cluster !== cluster) {
    return { ok: false, code: 'ERR_WRONG_CLUSTER', reason: `peer belongs to cluster ${JSON.stringify(body.cluster)}, this member to ${JSON.stringify(cluster)}` };
  }
  if (!boundedString(body.id, 1, MAX_MEMBER_ID_LENGTH, PRINTABLE)) return bad(`${what}.id is not a printable string of 1..${MAX_MEMBER_ID_LENGTH} characters`);
  if (!boundedString(body.name, 0, MAX_MEMBER_NAME_LENGTH)) return bad(`${what}.name is not a string of at most ${MAX_MEMBER_NAME_LENGTH} characters`);
  const address = body.address;
  if (!isObject(address)) return bad(`${what}.address is not an object`);
  if (!boundedString(address.host, 1, MAX_HOST_LENGTH, PRINTABLE)) return bad(`${what}.address.host is not a printable string of 1..${MAX_HOST_LENGTH} characters`);
  const port = address.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return bad(`${what}.address.port is not an integer in 1..65535`);
  if (typeof body.secure !== 'boolean') return bad(`${what}.secure is not a boolean`);
  if (!bytesOf(body.nonce, NONCE_BYTES)) return bad(`${what}.nonce is not ${NONCE_BYTES} bytes`);
  if (withProof && !bytesOf(body.proof, PROOF_BYTES)) return bad(`${what}.proof is not ${PROOF_BYTES} bytes`);
  return {
    ok: true,
    value: {
      identity: { id: body.id, name: body.name, address: { host: address.host, port } },
      cluster: body.cluster,
      secure: body.secure,
      nonce: body.nonce,
      ...(withProof ? { proof: body.proof as Uint8Array } : {}),
    },
  };
}

/** An ErrorReply from the peer during the handshake: its code if it is one we know, its message bounded. */
function parsePeerRefusal(body: unknown): { code: HandshakeErrorCode; reason: string } {
  const known: ReadonlySet<string> = new Set(['ERR_PROTOCOL_VERSION', 'ERR_WRONG_CLUSTER', 'ERR_AUTH', 'ERR_BAD_FRAME']);
  const code = isObject(body) && typeof body.code === 'string' && known.has(body.code) ? (body.code as HandshakeErrorCode) : 'ERR_CONNECTION';
  const message = isObject(body) && typeof body.message === 'string' ? body.message.slice(0, 200) : 'no reason given';
  return { code, reason: `peer refused the handshake: ${message}` };
}

const PEER_MESSAGES: Record<HandshakeErrorCode, string> = {
  ERR_PROTOCOL_VERSION: `protocol version mismatch (this member speaks version ${PROTOCOL_VERSION})`,
  ERR_WRONG_CLUSTER: 'cluster name differs',
  ERR_AUTH: 'authentication failed (cluster secret differs, or secure/insecure mode differs)',
  ERR_BAD_FRAME: 'malformed handshake message',
  ERR_CONNECTION: 'connection refused',
};

function failure(code: HandshakeErrorCode, reason: string, notifyPeer = true): HandshakeResult {
  return {
    ok: false,
    code,
    reason,
    ...(notifyPeer ? { send: { type: MessageType.ErrorReply, body: { code, message: PEER_MESSAGES[code] } } } : {}),
  };
}

function greetingBody(config: HandshakeConfig, nonce: Uint8Array): Record<string, unknown> {
  const { id, name, address } = config.self;
  return {
    version: PROTOCOL_VERSION,
    cluster: config.cluster,
    id,
    name,
    address: { host: address.host, port: address.port },
    secure: config.secret !== null,
    nonce,
  };
}

function modeMismatch(peerSecure: boolean): string {
  return peerSecure
    ? 'peer requires a cluster secret but this member runs in insecure mode'
    : 'peer runs in insecure mode (no secret) but this member requires a cluster secret';
}

// ---------------------------------------------------------------------------------------------

/** The side that opened the connection. */
export class DialerHandshake {
  private state: 'new' | 'awaitHelloAck' | 'awaitAuthOk' | 'done' | 'failed' = 'new';
  private readonly key: Buffer;
  private readonly nonce: Uint8Array;
  private peer: PeerIdentity | undefined;

  constructor(private readonly config: HandshakeConfig) {
    this.key = handshakeKey(config.secret);
    this.nonce = config.random.bytes(NONCE_BYTES);
  }

  /** The Hello to send once connected. */
  start(): HandshakeMessage {
    if (this.state !== 'new') throw new Error('DialerHandshake.start() called twice');
    this.state = 'awaitHelloAck';
    return { type: MessageType.Hello, body: greetingBody(this.config, this.nonce) };
  }

  receive(type: number, body: unknown): HandshakeResult {
    const result = this.step(type, body);
    if (!result.ok) this.state = 'failed';
    return result;
  }

  private step(type: number, body: unknown): HandshakeResult {
    if (this.state === 'failed' || this.state === 'done' || this.state === 'new') {
      return failure('ERR_BAD_FRAME', `unexpected ${type} in handshake state ${this.state}`);
    }
    if (type === MessageType.ErrorReply) {
      const r = parsePeerRefusal(body);
      return failure(r.code, r.reason, false);
    }
    if (this.state === 'awaitHelloAck') {
      if (type !== MessageType.HelloAck) return failure('ERR_BAD_FRAME', `expected HelloAck, got message type ${type}`);
      const parsed = parseGreeting(body, 'HelloAck', this.config.cluster, true);
      if (!parsed.ok) return failure(parsed.code, parsed.reason);
      const g = parsed.value;
      if (g.identity.id === this.config.self.id) return failure('ERR_CONNECTION', 'the listener has this member\'s id (dialed itself?)');
      if (g.secure !== (this.config.secret !== null)) return failure('ERR_AUTH', modeMismatch(g.secure));
      const expected = computeProof(this.key, 'listener', this.config.cluster, this.nonce, g.nonce, g.identity.id, this.config.self.id);
      if (!proofMatches(expected, g.proof!)) return failure('ERR_AUTH', 'listener proof does not verify: the cluster secret differs');
      this.peer = g.identity;
      this.state = 'awaitAuthOk';
      const proof = computeProof(this.key, 'dialer', this.config.cluster, this.nonce, g.nonce, g.identity.id, this.config.self.id);
      return { ok: true, send: { type: MessageType.Auth, body: { proof } }, peer: g.identity, authenticated: false };
    }
    // awaitAuthOk
    if (type !== MessageType.AuthOk) return failure('ERR_BAD_FRAME', `expected AuthOk, got message type ${type}`);
    if (!isObject(body)) return failure('ERR_BAD_FRAME', 'AuthOk body is not an object');
    this.state = 'done';
    return { ok: true, peer: this.peer!, authenticated: true };
  }
}

/** The side that accepted the connection. */
export class ListenerHandshake {
  private state: 'awaitHello' | 'awaitAuth' | 'done' | 'failed' = 'awaitHello';
  private readonly key: Buffer;
  private readonly nonce: Uint8Array;
  private dialerNonce: Uint8Array | undefined;
  private peer: PeerIdentity | undefined;

  constructor(private readonly config: HandshakeConfig) {
    this.key = handshakeKey(config.secret);
    this.nonce = config.random.bytes(NONCE_BYTES);
  }

  receive(type: number, body: unknown): HandshakeResult {
    const result = this.step(type, body);
    if (!result.ok) this.state = 'failed';
    return result;
  }

  private step(type: number, body: unknown): HandshakeResult {
    if (this.state === 'failed' || this.state === 'done') {
      return failure('ERR_BAD_FRAME', `unexpected ${type} in handshake state ${this.state}`);
    }
    if (type === MessageType.ErrorReply) {
      const r = parsePeerRefusal(body);
      return failure(r.code, r.reason, false);
    }
    if (this.state === 'awaitHello') {
      if (type !== MessageType.Hello) return failure('ERR_BAD_FRAME', `expected Hello, got message type ${type}`);
      const parsed = parseGreeting(body, 'Hello', this.config.cluster, false);
      if (!parsed.ok) return failure(parsed.code, parsed.reason);
      const g = parsed.value;
      if (g.identity.id === this.config.self.id) return failure('ERR_CONNECTION', 'the dialer has this member\'s id (dialed itself?)');
      if (g.secure !== (this.config.secret !== null)) return failure('ERR_AUTH', modeMismatch(g.secure));
      this.dialerNonce = g.nonce;
      this.peer = g.identity;
      this.state = 'awaitAuth';
      const proof = computeProof(this.key, 'listener', this.config.cluster, g.nonce, this.nonce, this.config.self.id, g.identity.id);
      return { ok: true, send: { type: MessageType.HelloAck, body: { ...greetingBody(this.config, this.nonce), proof } }, authenticated: false };
    }
    // awaitAuth
    if (type !== MessageType.Auth) return failure('ERR_BAD_FRAME', `expected Auth, got message type ${type}`);
    if (!isObject(body) || !bytesOf(body.proof, PROOF_BYTES)) return failure('ERR_BAD_FRAME', `Auth.proof is not ${PROOF_BYTES} bytes`);
    const expected = computeProof(this.key, 'dialer', this.config.cluster, this.dialerNonce!, this.nonce, this.config.self.id, this.peer!.id);
    if (!proofMatches(expected, body.proof)) return failure('ERR_AUTH', 'dialer proof does not verify: the cluster secret differs');
    this.state = 'done';
    return { ok: true, send: { type: MessageType.AuthOk, body: {} }, peer: this.peer!, authenticated: true };
  }
}
