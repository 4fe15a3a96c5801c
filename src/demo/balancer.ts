/**
 * The demo's built-in load balancer: plain round robin over a fixed list of HTTP targets, and a
 * refused connection is retried on the next target. Only a refused connection is retried: the
 * request never reached that app, so resending it cannot apply anything twice. Anything else
 * (a reset mid-request, a timeout) is answered 502, because the app may have acted on it.
 *
 * It is deliberately small — no health checks, no stickiness — so the demo shows that every
 * member serves every session; docs/load-balancers.md has real HAProxy and nginx setups.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BalancerTarget {
  name: string;
  host: string;
  port: number;
}

export interface BalancerOptions {
  host: string;
  /** Listening port (0 = any free port). */
  port: number;
  targets: BalancerTarget[];
  /** Largest request body buffered for a possible retry; larger requests get 413. */
  maxBodyBytes?: number;
  /** Bound for one attempt, connection to last byte of the answer's headers. */
  targetTimeoutMs?: number;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_TARGET_TIMEOUT_MS = 30_000;

/** Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own business, never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

export class RoundRobinBalancer {
  private readonly server: http.Server;
  private next = 0;
  private readonly maxBodyBytes: number;
  private readonly targetTimeoutMs: number;

  constructor(private readonly o: BalancerOptions) {
    if (o.targets.length === 0) throw new Error('RoundRobinBalancer needs at least one target');
    this.maxBodyBytes = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.targetTimeoutMs = o.targetTimeoutMs ?? DEFAULT_TARGET_TIMEOUT_MS;
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port, this.o.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, this.maxBodyBytes);
    } catch {
      return void fail(res, 413, 'ERR_BODY_TOO_LARGE', `request body over ${this.maxBodyBytes} bytes`);
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
    headers['content-length'] = String(body.length);
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    const targets = this.o.targets;
    const first = this.next++ % targets.length;
    const refused: string[] = [];
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(first + i) % targets.length]!;
      const outcome = await this.forward(target, req, headers, body, res);
      if (outcome === 'done') return;
      refused.push(target.name);
    }
    fail(res, 502, 'ERR_NO_TARGET', `no app accepted the connection (refused: ${refused.join(', ')})`);
  }

  /** One attempt: 'refused' means try the next target; anything else has been answered. */
  private forward(target: BalancerTarget, req: http.IncomingMessage, headers: http.OutgoingHttpHeaders, body: Buffer, res: http.ServerResponse): Promise<'done' | 'refused'> {
    return new Promise((resolve) => {
      // agent: false — a fresh connection per request. A pooled keep-alive socket to an app that
      // just exited fails with a reset, not a refusal, and that could not be retried safely.
      const upstream = http.request({ host: target.host, port: target.port, method: req.method, path: req.url, headers, agent: false, timeout: this.targetTimeoutMs });
      upstream.on('response', (answer) => {
        const out: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        resolve('done');
      });
      upstream.on('timeout', () => upstream.destroy(new Error(`${target.name} did not answer within ${this.targetTimeoutMs} ms`)));
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ECONNREFUSED') return resolve('refused');
        if (!res.headersSent) fail(res, 502, 'ERR_TARGET_FAILED', `${target.name}: ${err.message}`);
        else res.destroy();
        resolve('done');
      });
      upstream.end(body);
    });
  }
}

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        req.pause();
        reject(new Error('too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function fail(res: http.ServerResponse, status: number, code: string, message: string): void {
  const text = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
  res.end(text);
}
