/**
 * Argument checks shared by both transports. A failure is a bug at the caller (not a network
 * condition), so these throw SessionMeshError ERR_INVALID_VALUE / ERR_CONFIG.
 */
import { SessionMeshError } from '../errors.js';
import { MAX_MESSAGE_TYPE } from '../wire/limits.js';
import { isHandshakeType } from '../wire/message-types.js';
import type { PeerTarget } from './transport.js';

/** Application messages use ids 10..65535: 0 is unused and 1..9 belong to the handshake. */
export function assertApplicationType(type: number): void {
  if (!Number.isInteger(type) || type <= 0 || type > MAX_MESSAGE_TYPE || isHandshakeType(type)) {
    throw new SessionMeshError('ERR_INVALID_VALUE', `message type must be an integer in 10..${MAX_MESSAGE_TYPE}, got ${String(type)}`);
  }
}

export function assertTimeoutMs(timeoutMs: number): void {
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > 2 ** 31 - 1) {
    throw new SessionMeshError('ERR_CONFIG', `request timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
  }
}

/** Returns a reason when `target` is not a usable PeerTarget. */
export function targetProblem(target: PeerTarget): string | null {
  if (typeof target !== 'object' || target === null) return 'target is not an object';
  if (target.id !== undefined && (typeof target.id !== 'string' || target.id.length === 0)) return 'target.id is not a non-empty string';
  const a = target.address;
  if (typeof a !== 'object' || a === null || typeof a.host !== 'string' || a.host.length === 0) return 'target.address.host is missing';
  if (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535) return `target.address.port ${String(a.port)} is not in 1..65535`;
  return null;
}
