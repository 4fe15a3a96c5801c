/**
 * Wire limits (DESIGN.md §4.4). Every one is a named constant so that the code enforcing it and
 * the docs quote the same number.
 */

/** The u32 length prefix that starts every frame. */
export const FRAME_LENGTH_PREFIX_BYTES = 4;
/** Counted in the length prefix: u8 version, u8 kind, u16 message type, u32 correlation id. */
export const FRAME_FIXED_BYTES = 8;
/** Bytes of a frame before its body. */
export const FRAME_HEADER_BYTES = FRAME_LENGTH_PREFIX_BYTES + FRAME_FIXED_BYTES;

/** Default ceiling for the length prefix of one frame (everything after the prefix). */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;
/**
 * Ceiling while a connection is not authenticated: handshake messages are a few hundred bytes, so
 * an unauthenticated peer can never make us hold more than this.
 */
export const HANDSHAKE_MAX_FRAME_BYTES = 4 * 1024;
/** A configured maxFrameBytes below this could not carry the handshake. */
export const MIN_MAX_FRAME_BYTES = HANDSHAKE_MAX_FRAME_BYTES;
/** A configured maxFrameBytes above this is refused (1 GiB: far beyond any sane session). */
export const MAX_MAX_FRAME_BYTES = 1024 * 1024 * 1024;

/** Deepest nesting of arrays/objects accepted in a message body (guards the recursive decoder's stack). */
export const MAX_BODY_DEPTH = 64;

/** Error codes carried by an error response: `ERR_...`, bounded so a peer cannot send megabytes of "code". */
export const MAX_ERROR_CODE_LENGTH = 64;
/** Error messages carried by an error response are truncated to this many characters. */
export const MAX_ERROR_MESSAGE_LENGTH = 1024;

/** Correlation ids are u32; 0 means "none" (one-way frames). */
export const MAX_CORRELATION_ID = 0xffff_ffff;
/** Message type ids are u16. */
export const MAX_MESSAGE_TYPE = 0xffff;
