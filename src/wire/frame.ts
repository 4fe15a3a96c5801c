/**
 * Frame layout (big endian):
 *
 *   [u32 length of everything after these 4 bytes]
 *   [u8 protocol version][u8 kind][u16 message type][u32 correlation id]
 *   [msgpack body]
 *
 * `kind` says how the frame relates to others; the correlation id pairs a response with its request.
 */
import { SessionMeshError } from '../errors.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  FRAME_FIXED_BYTES,
  FRAME_HEADER_BYTES,
  FRAME_LENGTH_PREFIX_BYTES,
  MAX_CORRELATION_ID,
  MAX_MESSAGE_TYPE,
} from './limits.js';
import { PROTOCOL_VERSION } from './version.js';

export const FrameKind = {
  /** Fire and forget; correlation id 0. */
  OneWay: 0,
  /** Expects exactly one Response or ErrorResponse with the same correlation id. */
  Request: 1,
  Response: 2,
  /** Body is `{ code, message }`. */
  ErrorResponse: 3,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export function isFrameKind(n: number): n is FrameKind {
  return n === 0 || n === 1 || n === 2 || n === 3;
}

export interface Frame {
  kind: FrameKind;
  type: number;
  correlationId: number;
  /** The msgpack body, not yet decoded (see codec.ts). May be a view into a larger buffer. */
  body: Uint8Array;
}

/**
 * Builds one frame. Throws ERR_FRAME_TOO_LARGE when the frame would exceed `maxFrameBytes`
 * (the receiver would drop the connection for it), and ERR_INVALID_VALUE for out-of-range header
 * fields: both are caller bugs or oversized values, never network input.
 */
export function encodeFrame(
  kind: FrameKind,
  type: number,
  correlationId: number,
  body: Uint8Array,
  maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
): Buffer {
  if (!isFrameKind(kind)) throw new SessionMeshError('ERR_INVALID_VALUE', `invalid frame kind ${String(kind)}`);
  if (!Number.isInteger(type) || type < 0 || type > MAX_MESSAGE_TYPE) {
    throw new SessionMeshError('ERR_INVALID_VALUE', `message type must be an integer in 0..${MAX_MESSAGE_TYPE}, got ${String(type)}`);
  }
  if (!Number.isInteger(correlationId) || correlationId < 0 || correlationId > MAX_CORRELATION_ID) {
    throw new SessionMeshError('ERR_INVALID_VALUE', `correlation id must be a u32, got ${String(correlationId)}`);
  }
  const length = FRAME_FIXED_BYTES + body.length;
  if (length > maxFrameBytes) {
    throw new SessionMeshError('ERR_FRAME_TOO_LARGE', `frame of ${length} bytes exceeds maxFrameBytes ${maxFrameBytes}`, {
      frameBytes: length,
      maxFrameBytes,
    });
  }
  const out = Buffer.allocUnsafe(FRAME_LENGTH_PREFIX_BYTES + length);
  out.writeUInt32BE(length, 0);
  out[4] = PROTOCOL_VERSION;
  out[5] = kind;
  out.writeUInt16BE(type, 6);
  out.writeUInt32BE(correlationId, 8);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}
