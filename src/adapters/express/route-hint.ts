/**
 * Route hint for sticky load balancers (the jvmRoute idea): a small cookie naming the member that
 * is primary for the request's session, so HAProxy or nginx can send the next request straight to
 * it and the session's reads and writes stay local. It is only a hint: any member serves any
 * session (ops are routed to the primary), so a stale or missing hint costs one hop, never
 * correctness. After a failover the next answer carries the promoted primary's name.
 *
 * Use it after express-session: `app.use(session({...})); app.use(routeHint({ node }))`.
 * Load balancer configurations: docs/load-balancers.md.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { SessionLocation } from '../../node/node.js';

export const DEFAULT_ROUTE_COOKIE = 'smroute';

export interface RouteHintOptions {
  /** The member of this process (`createNode()`); only `locate` is used. */
  node: { locate(sessionId: string): SessionLocation | null };
  /** Name of the hint cookie the load balancer sticks on. Default `smroute`. */
  cookieName?: string;
  /** express-session's cookie name (its `name` option). Default `connect.sid`. */
  sessionCookieName?: string;
  /** Attributes of the hint cookie. It holds no secret, only a member name. */
  cookie?: { path?: string; domain?: string; secure?: boolean; sameSite?: 'Strict' | 'Lax' | 'None'; httpOnly?: boolean };
}

/** What the middleware reads from the request: express-session's `req.sessionID` and `req.session`. */
interface SessionRequest extends IncomingMessage {
  sessionID?: string;
  session?: object;
}

/** Express/connect middleware that keeps the route hint cookie current. */
export function routeHint(options: RouteHintOptions): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
  const cookieName = options.cookieName ?? DEFAULT_ROUTE_COOKIE;
  const sessionCookieName = options.sessionCookieName ?? 'connect.sid';
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName)) throw new TypeError(`routeHint: invalid cookie name ${JSON.stringify(cookieName)}`);
  const attributes = cookieAttributes(options.cookie ?? {});

  return (req, res, next) => {
    const request = req as SessionRequest;
    const writeHead = res.writeHead;
    // Decided when the headers go out, after the handler ran: by then a new session has its id
    // and data, and the hint reflects the partition table of this moment (a failover included).
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      res.writeHead = writeHead;
      try {
        const value = hintFor(request, options.node, sessionCookieName);
        if (value !== null && readCookie(req.headers.cookie, cookieName) !== value) {
          appendSetCookie(res, `${cookieName}=${value}${attributes}`);
        }
      } catch {
        // A hint is an optimisation: never fail a response over it.
      }
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['writeHead'];
    next();
  };
}

/** The cookie value for this request, or null when it has no stored session or no known primary. */
function hintFor(req: SessionRequest, node: RouteHintOptions['node'], sessionCookieName: string): string | null {
  if (typeof req.sessionID !== 'string' || req.session === undefined || req.session === null) return null;
  // With saveUninitialized: false a session without data is never stored: no hint for it, so
  // anonymous requests get no cookie.
  const stored = readCookie(req.headers.cookie, sessionCookieName) !== null || Object.keys(req.session).some((k) => k !== 'cookie');
  if (!stored) return null;
  const primary = node.locate(req.sessionID)?.primary;
  if (!primary || primary.state === 'dead' || primary.state === 'left') return null;
  return encodeURIComponent(primary.name);
}

function cookieAttributes(c: NonNullable<RouteHintOptions['cookie']>): string {
  let s = `; Path=${c.path ?? '/'}`;
  if (c.domain) s += `; Domain=${c.domain}`;
  if (c.secure) s += '; Secure';
  if (c.httpOnly ?? true) s += '; HttpOnly';
  s += `; SameSite=${c.sameSite ?? 'Lax'}`;
  return s;
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function appendSetCookie(res: ServerResponse, cookie: string): void {
  const prev: OutgoingHttpHeaders[string] = res.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
  res.setHeader('set-cookie', [...list, cookie]);
}
