/**
 * HTTP statuses for store errors. express (finalhandler), Fastify and Koa all answer an error
 * with its `status`/`statusCode` when it has one, so a session over maxSessionBytes becomes a 413
 * without any app code, and a cluster that cannot answer a 503, while `err.code` keeps the
 * stable SessionMeshError code for apps that map errors themselves.
 */
import { isSessionMeshError, type ErrorCode } from '../../errors.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  ERR_SESSION_TOO_LARGE: 413,
  ERR_TIMEOUT: 503,
  ERR_NO_QUORUM: 503,
  ERR_UNAVAILABLE: 503,
  ERR_CLOSED: 503,
  ERR_CONNECTION: 503,
  ERR_BACKPRESSURE: 503,
};

/** Adds `status`/`statusCode` (and Koa's `expose`) to a SessionMeshError that has no status yet. */
export function withHttpStatus<E extends Error>(err: E): E {
  if (!isSessionMeshError(err)) return err;
  const e = err as E & { status?: number; statusCode?: number; expose?: boolean };
  if (e.status !== undefined || e.statusCode !== undefined) return err;
  const status = STATUS[err.code] ?? 500;
  e.status = status;
  e.statusCode = status;
  // Koa sends err.message to the client when expose is true; only the size error is meant for it.
  e.expose = status === 413;
  return err;
}
