/** Options of the TCP transport, their defaults (with units in the names) and their validation. */
import { SystemRandom, type Random } from '../../clock/clock.js';
import { SessionMeshError } from '../../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_LENGTH_PREFIX_BYTES, MAX_MAX_FRAME_BYTES, MIN_MAX_FRAME_BYTES } from '../../wire/limits.js';
import { MAX_CLUSTER_LENGTH, MAX_HOST_LENGTH, MAX_MEMBER_ID_LENGTH, MAX_MEMBER_NAME_LENGTH } from '../handshake.js';

export interface TcpTransportOptions {
  /** This member's id (random per process start). Printable ASCII, 1..128 characters. */
  id: string;
  name: string;
  /** Interface to listen on, e.g. "127.0.0.1", "0.0.0.0", "::". */
  host: string;
  /** Port to listen on; 0 = an ephemeral port (read it from `listen()`'s result). */
  port: number;
  /** Host peers should dial (sent in the handshake). Default: `host`. Needed when `host` is a wildcard. */
  advertiseHost?: string;
  cluster: string;
  /** Shared cluster secret; null = insecure mode (cannot talk to secured members, see handshake.ts). */
  secret: string | null;
  /** Largest frame accepted or sent after authentication. Default 8 MiB. Must be equal cluster-wide. */
  maxFrameBytes?: number;
  /** A connection must complete the handshake within this time after TCP connect. Default 3000. */
  handshakeTimeoutMs?: number;
  /** Inbound connections still in their handshake; beyond it new ones are closed at once. Default 64. */
  maxPendingHandshakes?: number;
  /** An outbound TCP connect must succeed within this time. Default 2000. */
  connectTimeoutMs?: number;
  /** Bytes waiting to be written per connection (ours plus the socket's). Default 32 MiB. */
  maxSendQueueBytes?: number;
  /** Requests awaiting a response per connection. Default 4096. */
  maxInFlightRequests?: number;
  /** First delay before re-dialing an address after a failed dial. Default 100. */
  reconnectMinMs?: number;
  /** Ceiling of the doubling (jittered) re-dial delay. Default 3000. */
  reconnectMaxMs?: number;
  /** Default: silent. */
  logger?: Logger;
  /** Nonces and backoff jitter. Default: SystemRandom (keep it cryptographically strong outside tests). */
  random?: Random;
}

export type ResolvedTcpOptions = Required<Omit<TcpTransportOptions, 'advertiseHost'>> & { advertiseHost: string };

export const TCP_DEFAULTS = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  handshakeTimeoutMs: 3000,
  maxPendingHandshakes: 64,
  connectTimeoutMs: 2000,
  maxSendQueueBytes: 32 * 1024 * 1024,
  maxInFlightRequests: 4096,
  reconnectMinMs: 100,
  reconnectMaxMs: 3000,
} as const;

const PRINTABLE = /^[\x21-\x7e]+$/;

function fail(message: string): never {
  throw new SessionMeshError('ERR_CONFIG', `tcp transport: ${message}`);
}

function str(name: string, v: unknown, min: number, max: number, pattern?: RegExp): string {
  if (typeof v !== 'string' || v.length < min || v.length > max || (pattern && !pattern.test(v))) {
    fail(`${name} must be a ${pattern ? 'printable ' : ''}string of ${min}..${max} characters`);
  }
  return v;
}

function int(name: string, v: unknown, fallback: number, min: number, max: number): number {
  const n = v === undefined ? fallback : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) fail(`${name} must be an integer in ${min}..${max}, got ${String(v)}`);
  return n;
}

export function resolveTcpOptions(o: TcpTransportOptions): ResolvedTcpOptions {
  if (typeof o !== 'object' || o === null) fail('options must be an object');
  const maxFrameBytes = int('maxFrameBytes', o.maxFrameBytes, TCP_DEFAULTS.maxFrameBytes, MIN_MAX_FRAME_BYTES, MAX_MAX_FRAME_BYTES);
  const reconnectMinMs = int('reconnectMinMs', o.reconnectMinMs, TCP_DEFAULTS.reconnectMinMs, 1, 3_600_000);
  const reconnectMaxMs = int('reconnectMaxMs', o.reconnectMaxMs, Math.max(TCP_DEFAULTS.reconnectMaxMs, reconnectMinMs), reconnectMinMs, 3_600_000);
  const host = str('host', o.host, 1, MAX_HOST_LENGTH, PRINTABLE);
  if (o.secret !== null && (typeof o.secret !== 'string' || o.secret.length === 0)) fail('secret must be a non-empty string, or null for insecure mode');
  return {
    id: str('id', o.id, 1, MAX_MEMBER_ID_LENGTH, PRINTABLE),
    name: str('name', o.name, 0, MAX_MEMBER_NAME_LENGTH),
    host,
    port: int('port', o.port, 0, 0, 65535),
    advertiseHost: o.advertiseHost === undefined ? host : str('advertiseHost', o.advertiseHost, 1, MAX_HOST_LENGTH, PRINTABLE),
    cluster: str('cluster', o.cluster, 1, MAX_CLUSTER_LENGTH),
    secret: o.secret,
    maxFrameBytes,
    handshakeTimeoutMs: int('handshakeTimeoutMs', o.handshakeTimeoutMs, TCP_DEFAULTS.handshakeTimeoutMs, 1, 600_000),
    maxPendingHandshakes: int('maxPendingHandshakes', o.maxPendingHandshakes, TCP_DEFAULTS.maxPendingHandshakes, 1, 100_000),
    connectTimeoutMs: int('connectTimeoutMs', o.connectTimeoutMs, TCP_DEFAULTS.connectTimeoutMs, 1, 600_000),
    // One frame of the largest size must always fit.
    maxSendQueueBytes: int('maxSendQueueBytes', o.maxSendQueueBytes, Math.max(TCP_DEFAULTS.maxSendQueueBytes, maxFrameBytes + FRAME_LENGTH_PREFIX_BYTES), maxFrameBytes + FRAME_LENGTH_PREFIX_BYTES, 2 ** 40),
    maxInFlightRequests: int('maxInFlightRequests', o.maxInFlightRequests, TCP_DEFAULTS.maxInFlightRequests, 1, 1_000_000),
    reconnectMinMs,
    reconnectMaxMs,
    logger: o.logger ?? silentLogger,
    random: o.random ?? new SystemRandom(),
  };
}
