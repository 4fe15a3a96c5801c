/**
 * Error responses: `replyError(code, message)` on one side, a rejected promise carrying that code
 * on the other. The body `{code, message}` comes from the network, so it is validated and bounded.
 */
import { SessionMeshError, type ErrorCode } from '../errors.js';
import { MAX_ERROR_CODE_LENGTH, MAX_ERROR_MESSAGE_LENGTH } from '../wire/limits.js';

/** Codes look like ours: `ERR_SOMETHING`, at most MAX_ERROR_CODE_LENGTH characters. */
const CODE_PATTERN = new RegExp(`^[A-Z][A-Z0-9_]{0,${MAX_ERROR_CODE_LENGTH - 1}}$`);

export function isValidErrorCode(code: unknown): code is string {
  return typeof code === 'string' && CODE_PATTERN.test(code);
}

/** The body to send; throws ERR_INVALID_VALUE for a code that the receiver would refuse. */
export function errorReplyBody(code: string, message: string): { code: string; message: string } {
  if (!isValidErrorCode(code)) {
    throw new SessionMeshError('ERR_INVALID_VALUE', `replyError code must match ${CODE_PATTERN.source}, got ${JSON.stringify(String(code)).slice(0, 100)}`);
  }
  return { code, message: String(message).slice(0, MAX_ERROR_MESSAGE_LENGTH) };
}

/**
 * The error a requester's promise rejects with. A malformed body becomes ERR_BAD_FRAME. Unknown
 * codes pass through as they are: the responder may be newer, and callers compare strings.
 */
export function errorFromReply(body: unknown, peerId: string): SessionMeshError {
  const b = body as { code?: unknown; message?: unknown } | null;
  if (typeof b !== 'object' || b === null || !isValidErrorCode(b.code) || typeof b.message !== 'string') {
    return new SessionMeshError('ERR_BAD_FRAME', `malformed error response from ${peerId}`, { peer: peerId });
  }
  return new SessionMeshError(b.code as ErrorCode, b.message.slice(0, MAX_ERROR_MESSAGE_LENGTH), { peer: peerId, remote: true });
}
