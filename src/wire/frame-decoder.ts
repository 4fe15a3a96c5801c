/**
 * Incremental frame decoder: bytes in as they arrive from a socket (any split, down to one byte at
 * a time), complete frames out. It never throws on input and never holds more than the current
 * `maxFrameBytes` plus the header: a declared length is checked before a single body byte is kept.
 *
 * A bad length, version or kind is terminal: the stream has lost its framing, so every later push
 * returns the same error and the caller closes the connection.
 */
import { SessionMeshError, type ErrorCode } from '../errors.js';
import { isFrameKind, type Frame, type FrameKind } from './frame.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  FRAME_FIXED_BYTES,
  FRAME_HEADER_BYTES,
  MAX_MAX_FRAME_BYTES,
  FRAME_LENGTH_PREFIX_BYTES,
} from './limits.js';
import { PROTOCOL_VERSION } from './version.js';

export interface FrameDecodeError {
  code: Extract<ErrorCode, 'ERR_FRAME_TOO_LARGE' | 'ERR_BAD_FRAME' | 'ERR_PROTOCOL_VERSION'>;
  reason: string;
}

export interface FrameDecodeResult {
  /** Frames completed by this push, in order (also those before an error in the same chunk). */
  frames: Frame[];
  /** Set once the stream is unusable; the same error is returned by every later push. */
  error?: FrameDecodeError;
}

export class FrameDecoder {
  private max: number;
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  private frameLength = 0;
  /** Body of the current frame when it spans chunks; allocated once its (checked) length is known. */
  private body: Buffer | null = null;
  private bodyFilled = 0;
  private failure: FrameDecodeError | undefined;

  constructor(options: { maxFrameBytes?: number } = {}) {
    this.max = checkMax(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  }

  get maxFrameBytes(): number {
    return this.max;
  }

  /**
   * Changes the ceiling for frames whose length prefix has not been read yet: low while a
   * connection is unauthenticated, raised once the peer proved it knows the secret.
   */
  setMaxFrameBytes(maxFrameBytes: number): void {
    this.max = checkMax(maxFrameBytes);
  }

  /** Bytes held for the frame in progress (header and body). */
  get bufferedBytes(): number {
    return this.headerFilled + this.bodyFilled;
  }

  get error(): FrameDecodeError | undefined {
    return this.failure;
  }

  push(chunk: Uint8Array): FrameDecodeResult {
    const frames: Frame[] = [];
    if (this.failure) return { frames, error: this.failure };
    let off = 0;
    while (off < chunk.length) {
      if (this.headerFilled < FRAME_HEADER_BYTES) {
        const before = this.headerFilled;
        const n = Math.min(FRAME_HEADER_BYTES - before, chunk.length - off);
        this.header.set(chunk.subarray(off, off + n), before);
        this.headerFilled += n;
        off += n;
        // Check each field as soon as it is complete, so garbage is refused at the earliest byte.
        const err = this.checkHeader(before, this.headerFilled);
        if (err) return this.fail(frames, err);
        if (this.headerFilled < FRAME_HEADER_BYTES) break;
        if (this.frameLength === FRAME_FIXED_BYTES) frames.push(this.finish(new Uint8Array(0)));
        continue;
      }
      const bodyLength = this.frameLength - FRAME_FIXED_BYTES;
      const available = chunk.length - off;
      if (this.body === null && available >= bodyLength) {
        // Whole body in this chunk: hand out a view, no copy.
        frames.push(this.finish(chunk.subarray(off, off + bodyLength)));
        off += bodyLength;
        continue;
      }
      if (this.body === null) this.body = Buffer.allocUnsafe(bodyLength);
      const n = Math.min(bodyLength - this.bodyFilled, available);
      this.body.set(chunk.subarray(off, off + n), this.bodyFilled);
      this.bodyFilled += n;
      off += n;
      if (this.bodyFilled === bodyLength) frames.push(this.finish(this.body));
    }
    return { frames };
  }

  /** Validates the header fields whose last byte arrived between `before` and `after`. */
  private checkHeader(before: number, after: number): FrameDecodeError | undefined {
    if (before < FRAME_LENGTH_PREFIX_BYTES && after >= FRAME_LENGTH_PREFIX_BYTES) {
      const length = this.header.readUInt32BE(0);
      if (length > this.max) {
        return { code: 'ERR_FRAME_TOO_LARGE', reason: `frame of ${length} bytes exceeds maxFrameBytes ${this.max}` };
      }
      if (length < FRAME_FIXED_BYTES) {
        return { code: 'ERR_BAD_FRAME', reason: `frame length ${length} is shorter than the ${FRAME_FIXED_BYTES}-byte header` };
      }
      this.frameLength = length;
    }
    if (before < 5 && after >= 5) {
      const version = this.header[4]!;
      // A different version byte means the peer speaks another protocol, not that it sent garbage:
      // say so, so that a rolling upgrade gone wrong is diagnosed as such.
      if (version !== PROTOCOL_VERSION) {
        return { code: 'ERR_PROTOCOL_VERSION', reason: `frame has protocol version ${version}, expected ${PROTOCOL_VERSION}` };
      }
    }
    if (before < 6 && after >= 6) {
      const kind = this.header[5]!;
      if (!isFrameKind(kind)) return { code: 'ERR_BAD_FRAME', reason: `unknown frame kind ${kind}` };
    }
    return undefined;
  }

  private finish(body: Uint8Array): Frame {
    const frame: Frame = {
      kind: this.header[5] as FrameKind,
      type: this.header.readUInt16BE(6),
      correlationId: this.header.readUInt32BE(8),
      body,
    };
    this.headerFilled = 0;
    this.frameLength = 0;
    this.body = null;
    this.bodyFilled = 0;
    return frame;
  }

  private fail(frames: Frame[], error: FrameDecodeError): FrameDecodeResult {
    this.failure = error;
    // Drop what was held: the stream is dead.
    this.body = null;
    this.bodyFilled = 0;
    this.headerFilled = 0;
    return { frames, error };
  }
}

function checkMax(n: number): number {
  if (!Number.isInteger(n) || n < FRAME_FIXED_BYTES || n > MAX_MAX_FRAME_BYTES) {
    throw new SessionMeshError('ERR_CONFIG', `maxFrameBytes must be an integer in ${FRAME_FIXED_BYTES}..${MAX_MAX_FRAME_BYTES}, got ${String(n)}`);
  }
  return n;
}
