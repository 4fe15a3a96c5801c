/**
 * The HTTP session API (`/v1/sessions`), for non-Node clients and dedicated session-server pools.
 * Enabled only with an API token; every call carries `Authorization: Bearer <token>`.
 * A 2xx answer means the write was acknowledged under the node's ack policy.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { Logger } from '../log.js';
import { isValidSessionId } from '../session/id.js';
import type { SessionsApi } from '../node/sessions-api.js';
import { HttpError, readJsonBody, statusForError } from './body.js';
import { sendError, sendJson, type HttpContext, type HttpServer } from './server.js';

export interface SessionRoutesOptions {
  token: string;
  /** Largest accepted request body (a session plus JSON overhead). */
  maxBodyBytes: number;
  logger: Logger;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function authorized(req: http.IncomingMessage, tokenDigest: Buffer): boolean {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header);
  // Compare digests, not strings: constant time whatever the length of what was sent.
  return m !== null && timingSafeEqual(digest(m[1]!.trim()), tokenDigest);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkFields(body: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(body)) if (!allowed.includes(k)) throw new HttpError(400, 'ERR_BAD_REQUEST', `unknown field "${k}" (allowed: ${allowed.join(', ')})`);
}

function sessionId(ctx: HttpContext): string {
  const id = ctx.params.id ?? '';
  if (!isValidSessionId(id)) throw new HttpError(400, 'ERR_BAD_REQUEST', 'invalid session id (22..128 base64url characters)');
  return id;
}

function optionalInt(body: Record<string, unknown>, key: string, min: number): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new HttpError(400, 'ERR_BAD_REQUEST', `"${key}" must be an integer ≥ ${min}`);
  return v;
}

export function installSessionRoutes(server: HttpServer, api: SessionsApi, o: SessionRoutesOptions): void {
  const tokenDigest = digest(o.token);
  const guarded = (handler: (ctx: HttpContext) => Promise<void>) => async (ctx: HttpContext) => {
    if (!authorized(ctx.req, tokenDigest)) {
      ctx.req.resume();
      ctx.res.setHeader('www-authenticate', 'Bearer');
      sendError(ctx.res, 401, 'ERR_AUTH', 'missing or wrong API token (Authorization: Bearer <token>)');
      return;
    }
    try {
      await handler(ctx);
    } catch (err) {
      const { status, code, message } = statusForError(err);
      if (status >= 500) o.logger.warn({ code, message, path: ctx.url.pathname }, 'session API request failed');
      sendError(ctx.res, status, code, message);
    }
  };

  server.route(
    'POST',
    '/v1/sessions',
    guarded(async (ctx) => {
      const body = await readJsonBody(ctx.req, o.maxBodyBytes);
      if (!isPlainObject(body)) throw new HttpError(400, 'ERR_BAD_REQUEST', 'the body must be a JSON object');
      checkFields(body, ['data', 'maxIdleMs']);
      if (body.data !== undefined && !isPlainObject(body.data)) throw new HttpError(400, 'ERR_BAD_REQUEST', '"data" must be an object');
      const maxIdleMs = optionalInt(body, 'maxIdleMs', 1);
      const created = await api.create({ data: (body.data as Record<string, unknown> | undefined) ?? {}, ...(maxIdleMs === undefined ? {} : { maxIdleMs }) });
      sendJson(ctx.res, 201, created);
    }),
  );

  server.route(
    'GET',
    '/v1/sessions/:id',
    guarded(async (ctx) => {
      const s = await api.get(sessionId(ctx));
      if (!s) sendError(ctx.res, 404, 'ERR_NOT_FOUND', 'no such session');
      else sendJson(ctx.res, 200, s);
    }),
  );

  server.route(
    'PATCH',
    '/v1/sessions/:id',
    guarded(async (ctx) => {
      const id = sessionId(ctx);
      const body = await readJsonBody(ctx.req, o.maxBodyBytes);
      if (!isPlainObject(body)) throw new HttpError(400, 'ERR_BAD_REQUEST', 'the body must be a JSON object');
      checkFields(body, ['set', 'delete', 'ifVersion']);
      if (body.set !== undefined && !isPlainObject(body.set)) throw new HttpError(400, 'ERR_BAD_REQUEST', '"set" must be an object');
      if (body.delete !== undefined && !(Array.isArray(body.delete) && body.delete.every((k) => typeof k === 'string'))) {
        throw new HttpError(400, 'ERR_BAD_REQUEST', '"delete" must be an array of attribute names');
      }
      if (body.set === undefined && body.delete === undefined) throw new HttpError(400, 'ERR_BAD_REQUEST', 'nothing to change: give "set" and/or "delete"');
      const ifVersion = optionalInt(body, 'ifVersion', 0);
      const change = { ...(body.set === undefined ? {} : { set: body.set as Record<string, unknown> }), ...(body.delete === undefined ? {} : { delete: body.delete as string[] }) };
      const r = await api.update(id, change, ifVersion === undefined ? {} : { ifVersion });
      sendJson(ctx.res, 200, r);
    }),
  );

  server.route(
    'DELETE',
    '/v1/sessions/:id',
    guarded(async (ctx) => {
      await api.destroy(sessionId(ctx));
      ctx.res.writeHead(204).end();
    }),
  );
}
