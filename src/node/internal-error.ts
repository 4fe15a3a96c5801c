/**
 * The last line of defence of a member's drivers (issue #11): an exception raised where a timer,
 * socket or transport callback runs a step of a state machine, or carries out one of its outputs
 * (a send, an event listener), must never escape into Node — an uncaught exception ends the app
 * process that embeds the member — nor pass silently: it is a bug or a broken invariant. The
 * driver catches it, logs it here once at error level with a stable code (the error's own
 * SessionMeshError code, else ERR_INTERNAL) and what was involved (op, peer, message type), fails
 * the op that caused it, if any, with the returned SessionMeshError, and keeps the member running.
 */
import { SessionMeshError } from '../errors.js';
import type { Logger } from '../log.js';

export function internalError(logger: Logger, err: unknown, where: string, details: Record<string, unknown> = {}): SessionMeshError {
  const failure =
    err instanceof SessionMeshError
      ? err
      : new SessionMeshError('ERR_INTERNAL', `internal error in ${where}: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
  logger.error({ code: failure.code, where, ...details, err }, `${where} failed (${failure.code}): ${failure.message}`);
  return failure;
}
