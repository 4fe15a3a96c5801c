/**
 * Session lifetimes: how a framework's cookie settings become the cluster's idle timeout
 * (`maxIdleMs`), and which expiry fields are derived (left out when stored, recomputed at load).
 *
 * express-session and @fastify/session reset `cookie.expires` to now + `originalMaxAge` on every
 * request that reaches the store, so their lifetime is an idle timeout: exactly the cluster's
 * `maxIdleMs`, refreshed by every get/touch. Storing `expires` itself would make every request a
 * write (and a touch could not refresh it); so the store keeps `originalMaxAge`, drops `expires`,
 * and sets expires = now + originalMaxAge when it loads the session (the cluster just proved the
 * session was used within maxIdleMs). A cookie with an absolute `expires` and no maxAge keeps its
 * expires; the session is gone once that time passed. koa-session's `_expire`/`_maxAge` work the
 * same way.
 */
import { MAX_IDLE_MS } from '../../session/limits.js';
import { isPlainObject } from './values.js';

/** An idle timeout the cluster accepts: a whole number of ms in 1 ms .. 400 days. */
export function clampIdleMs(ms: number): number {
  if (!Number.isFinite(ms)) return MAX_IDLE_MS;
  return Math.min(MAX_IDLE_MS, Math.max(1, Math.ceil(ms)));
}

function positive(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}

function toDate(v: unknown): Date | null {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v;
  if (typeof v === 'string' || typeof v === 'number') {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

/** A framework cookie (express-session's or @fastify/session's) as plain data. */
function cookieData(cookie: unknown): Record<string, unknown> | null {
  if (typeof cookie !== 'object' || cookie === null) return null;
  const json = typeof (cookie as { toJSON?: unknown }).toJSON === 'function' ? (cookie as { toJSON: () => unknown }).toJSON() : cookie;
  return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : null;
}

/**
 * The idle timeout for a session with this cookie: its maxAge; else the time left until an
 * absolute expires; else (a browser-session cookie) undefined, meaning the store's default.
 */
export function cookieMaxIdleMs(cookie: unknown, nowMs: number): number | undefined {
  const c = cookieData(cookie);
  if (c === null) return undefined;
  if (positive(c.originalMaxAge)) return clampIdleMs(c.originalMaxAge);
  const expires = toDate(c.expires);
  if (expires !== null) return clampIdleMs(expires.getTime() - nowMs);
  return undefined;
}

/** The cookie as stored: plain data, without the expiry fields that maxAge derives. */
export function storedCookie(cookie: unknown): Record<string, unknown> | undefined {
  const c = cookieData(cookie);
  if (c === null) return undefined;
  const out: Record<string, unknown> = {};
  const sliding = positive(c.originalMaxAge);
  for (const k in c) {
    if (!Object.hasOwn(c, k)) continue;
    const v = c[k];
    if (v === undefined || typeof v === 'function') continue;
    if (sliding && (k === 'expires' || k === 'originalExpires' || k === 'maxAge')) continue;
    if (k === 'expires' || k === 'originalExpires') {
      const d = toDate(v);
      if (d !== null) out[k] = d;
      else if (v === null) out[k] = null;
      continue;
    }
    out[k] = v;
  }
  return out;
}

/**
 * An express-session or @fastify/session Session as stored: its own enumerable attributes
 * (without undefined values or methods) and the cookie as storedCookie makes it.
 */
export function storedSessionForm(session: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // (for…in with an own-property check, not Object.keys: no key array on every request)
  for (const k in session) {
    if (!Object.hasOwn(session, k)) continue;
    const v = session[k];
    if (v === undefined || typeof v === 'function') continue;
    if (k === 'cookie') {
      const c = storedCookie(v);
      if (c !== undefined) out.cookie = c;
      continue;
    }
    out[k] = v;
  }
  return out;
}

/**
 * The cookie as loaded: expires recomputed from maxAge; `expired` when an absolute expires has
 * passed (the session must then be treated as missing).
 */
export function loadedCookie(stored: unknown, nowMs: number): { cookie: Record<string, unknown> | undefined; expired: boolean } {
  if (!isPlainObject(stored)) return { cookie: undefined, expired: false };
  const cookie: Record<string, unknown> = { ...stored };
  if (positive(cookie.originalMaxAge)) {
    cookie.expires = new Date(nowMs + cookie.originalMaxAge);
    return { cookie, expired: false };
  }
  const expires = toDate(cookie.expires);
  return { cookie, expired: expires !== null && expires.getTime() <= nowMs };
}

/** koa-session passes the store its maxAge (+10 s) or 'session'. */
export function koaMaxIdleMs(maxAge: unknown): number | undefined {
  return positive(maxAge) ? clampIdleMs(maxAge) : undefined;
}

/** koa-session data as stored: without `_expire` when `_maxAge` derives it. */
export function storedKoaData(data: Record<string, unknown>): Record<string, unknown> {
  if (!positive(data._maxAge) || !Object.hasOwn(data, '_expire')) return data;
  const { _expire: _unused, ...rest } = data;
  return rest;
}

/** koa-session data as loaded: `_expire` = now + `_maxAge` (koa-session checks it on load). */
export function loadedKoaData(data: Record<string, unknown>, nowMs: number): Record<string, unknown> {
  return positive(data._maxAge) ? { ...data, _expire: nowMs + data._maxAge } : data;
}
