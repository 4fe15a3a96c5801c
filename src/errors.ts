/**
 * Every error sessionmesh returns or rejects with is a SessionMeshError with a stable `code`.
 * The codes are documented in docs/errors.md; never rename one, only add.
 */
export const ErrorCodes = {
  /** A configuration value or CLI flag is missing or invalid. */
  ERR_CONFIG: 'ERR_CONFIG',
  /** Peer failed the handshake: wrong secret (HMAC proof did not verify). */
  ERR_AUTH: 'ERR_AUTH',
  /** Peer speaks another protocol version. */
  ERR_PROTOCOL_VERSION: 'ERR_PROTOCOL_VERSION',
  /** Peer belongs to another cluster (cluster name differs). */
  ERR_WRONG_CLUSTER: 'ERR_WRONG_CLUSTER',
  /** Bytes on a connection are not a valid frame or message. */
  ERR_BAD_FRAME: 'ERR_BAD_FRAME',
  /** A frame is larger than maxFrameBytes. */
  ERR_FRAME_TOO_LARGE: 'ERR_FRAME_TOO_LARGE',
  /** A request got no response in time. */
  ERR_TIMEOUT: 'ERR_TIMEOUT',
  /** The connection to a peer closed or could not be opened. */
  ERR_CONNECTION: 'ERR_CONNECTION',
  /** A bounded queue (send queue, in-flight requests) is full. */
  ERR_BACKPRESSURE: 'ERR_BACKPRESSURE',
  /** The node or transport is closed. */
  ERR_CLOSED: 'ERR_CLOSED',
  /** Joining the cluster failed (no seed answered in time). */
  ERR_JOIN: 'ERR_JOIN',
  /** A session value cannot be stored (function, class instance, cycle, ...). */
  ERR_INVALID_VALUE: 'ERR_INVALID_VALUE',
  /** A session is larger than maxSessionBytes or has more than maxAttributes. */
  ERR_SESSION_TOO_LARGE: 'ERR_SESSION_TOO_LARGE',
  /** The receiving member is not the primary for that partition at its epoch. */
  ERR_NOT_PRIMARY: 'ERR_NOT_PRIMARY',
  /** ifVersion did not match the session's current version. */
  ERR_VERSION_CONFLICT: 'ERR_VERSION_CONFLICT',
  /** quorum: 'majority' and this side of a split is the minority. */
  ERR_NO_QUORUM: 'ERR_NO_QUORUM',
  /** The session does not exist (or expired). */
  ERR_NOT_FOUND: 'ERR_NOT_FOUND',
  /**
   * This side of the cluster cannot know whether the session exists: every copy of its
   * partition is out of reach (a network split, or all holders down). Nothing was applied;
   * retry later. Never "not found".
   */
  ERR_UNAVAILABLE: 'ERR_UNAVAILABLE',
  /** A listing would exceed its bound (e.g. more sessions than a store's `all()`/`ids()` may list). */
  ERR_LIMIT: 'ERR_LIMIT',
  /**
   * A bug inside sessionmesh (a broken invariant) made this operation fail; the member logged it
   * at error level with this code and keeps running. Please report it.
   */
  ERR_INTERNAL: 'ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class SessionMeshError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SessionMeshError';
    this.code = code;
    this.details = details;
  }
}

export function isSessionMeshError(err: unknown, code?: ErrorCode): err is SessionMeshError {
  return err instanceof SessionMeshError && (code === undefined || err.code === code);
}
