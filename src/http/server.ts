/**
 * The member's HTTP server: /healthz and /status (the contract external checks and the CLI use).
 * Routes are added by the layers that own them (the session API later); this file only knows
 * how to listen, route, answer JSON and keep bad requests from hurting the member.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import type { PeerAddress } from '../transport/address.js';

export interface HttpContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  /** Route parameters (`:id`). */
  params: Record<string, string>;
}

export type HttpHandler = (ctx: HttpContext) => void | Promise<void>;

interface Route {
  method: string;
  parts: string[];
  handler: HttpHandler;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

export function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

export class HttpServer {
  private readonly server: http.Server;
  private readonly routes: Route[] = [];
  /** Set when the member starts leaving: answers then close their connection (see drain()). */
  private draining = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly logger: Logger) {
    this.server = http.createServer((req, res) => void this.dispatch(req, res));
    // A slow or stalled client must not hold sockets forever.
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    this.server.keepAliveTimeout = 5_000;
  }

  route(method: string, path: string, handler: HttpHandler): void {
    this.routes.push({ method, parts: path.split('/').filter(Boolean), handler });
  }

  async listen(host: string, port: number): Promise<PeerAddress> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address() as AddressInfo;
    return { host, port: a.port };
  }

  /**
   * From now on every answer carries `Connection: close`, so no client keeps a connection to this
   * server: when it finally closes there is no idle keep-alive connection a client could be
   * sending a request on at that very moment (that request would fail without being processed).
   */
  drain(): void {
    this.draining = true;
  }

  /**
   * Stops accepting connections, closes idle ones, and lets requests in flight finish for up to
   * `graceMs` (0: cut every connection at once). Resolves when every connection is closed.
   */
  close(graceMs = 0): Promise<void> {
    this.draining = true;
    if (this.closing) {
      if (graceMs === 0) this.server.closeAllConnections();
      return this.closing;
    }
    this.closing = new Promise<void>((resolve) => {
      const cut = graceMs > 0 ? setTimeout(() => this.server.closeAllConnections(), graceMs) : null;
      this.server.close(() => {
        if (cut) clearTimeout(cut);
        resolve();
      });
      if (cut) this.server.closeIdleConnections();
      else this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.draining) res.setHeader('connection', 'close');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendError(res, 400, 'ERR_BAD_REQUEST', 'invalid request URL');
      return;
    }
    const parts = url.pathname.split('/').filter(Boolean);
    let pathMatched = false;
    for (const r of this.routes) {
      const params = match(r.parts, parts);
      if (!params) continue;
      pathMatched = true;
      if (r.method !== req.method && !(r.method === 'GET' && req.method === 'HEAD')) continue;
      try {
        await r.handler({ req, res, url, params });
      } catch (err) {
        this.logger.error({ err: (err as Error).message, path: url.pathname }, 'HTTP handler failed');
        if (!res.headersSent) sendError(res, 500, 'ERR_INTERNAL', 'internal error');
        else res.destroy();
      }
      return;
    }
    if (pathMatched) sendError(res, 405, 'ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}`);
    else sendError(res, 404, 'ERR_NO_ROUTE', `no route for ${url.pathname}`);
  }
}

function match(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const v = parts[i]!;
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(v);
      } catch {
        return null;
      }
    } else if (p !== v) return null;
  }
  return params;
}
