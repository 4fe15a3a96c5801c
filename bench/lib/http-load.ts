/**
 * HTTP load for bench:http and bench:failover: virtual users, each with its own session cookie,
 * POSTing one increment after another (closed loop) over keep-alive connections. Every answer
 * carries the counter; an answer that is not the user's previous acknowledged value + 1 is a lost
 * (or doubled) update. Bounded by duration and by a request count.
 */
import http from 'node:http';

export interface LoadResult {
  requests: number;
  failed: number;
  lostUpdates: number;
  durationMs: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  firstFailure: string | null;
}

interface Target {
  host: string;
  port: number;
}

function post(agent: http.Agent, t: Target, path: string, cookie: string | null, timeoutMs: number): Promise<{ status: number; body: string; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: t.host, port: t.port, path, method: 'POST', agent, headers: cookie ? { cookie, 'content-length': 0 } : { 'content-length': 0 }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), setCookie: res.headers['set-cookie'] ?? [] }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface LoadOptions {
  target: Target;
  users: number;
  durationMs: number;
  maxRequests: number;
  timeoutMs?: number;
  /** Called with elapsed ms once per second (e.g. to kill a member at a fixed time). */
  onSecond?: (elapsedMs: number) => void;
}

export async function runCounterLoad(o: LoadOptions): Promise<LoadResult & { perUser: Array<{ acknowledged: number; last: number }> }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.users });
  const lat: number[] = [];
  let requests = 0;
  let failed = 0;
  let lost = 0;
  let firstFailure: string | null = null;
  const start = performance.now();
  const end = start + o.durationMs;
  const perUser = Array.from({ length: o.users }, () => ({ acknowledged: 0, last: 0 }));
  const ticker = o.onSecond ? setInterval(() => o.onSecond!(performance.now() - start), 1000) : null;
  const user = async (u: number): Promise<void> => {
    let cookie: string | null = null;
    const me = perUser[u]!;
    while (performance.now() < end && requests < o.maxRequests) {
      requests++;
      const t0 = performance.now();
      try {
        const r = await post(agent, o.target, '/count', cookie, o.timeoutMs ?? 10_000);
        const sc = r.setCookie.find((c) => c.startsWith('connect.sid='));
        if (sc) cookie = sc.split(';', 1)[0]!;
        if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.body.slice(0, 200)}`);
        lat.push(performance.now() - t0);
        const count = (JSON.parse(r.body) as { count: number }).count;
        if (count !== me.last + 1) lost++;
        me.last = count;
        me.acknowledged++;
      } catch (err) {
        failed++;
        firstFailure ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: o.users }, (_, u) => user(u)));
  if (ticker) clearInterval(ticker);
  agent.destroy();
  const durationMs = performance.now() - start;
  lat.sort((a, b) => a - b);
  const q = (p: number) => (lat.length === 0 ? NaN : lat[Math.min(lat.length - 1, Math.ceil(p * lat.length) - 1)]!);
  return { requests, failed, lostUpdates: lost, durationMs, reqPerSec: (lat.length / durationMs) * 1000, p50Ms: q(0.5), p99Ms: q(0.99), firstFailure, perUser };
}
