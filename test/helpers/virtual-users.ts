/**
 * Test support: virtual users of the example app's counter, each with its own cookie jar, clicking
 * one request at a time (as the demo page does) through a load balancer. Every click carries an
 * Idempotency-Key, so a balancer may resend it safely; every answer must show exactly one more than
 * the user's previous acknowledged click, else it is a lost (or doubled) update.
 */

export interface UserStats {
  user: number;
  /** Clicks answered 200. */
  acknowledged: number;
  /** Clicks answered otherwise, or not answered (network error, timeout). */
  failed: number;
  /** Answers whose counter was not the previous acknowledged value + 1. */
  wrongCounts: string[];
  /** Answers served by the member that was the session's primary when answering. */
  servedByPrimary: number;
  /** performance.now() of the last acknowledged click. */
  lastAcknowledgedAt: number;
  /** Longest click, in ms. */
  maxLatencyMs: number;
  failures: string[];
  jar: Map<string, string>;
}

export interface CounterView {
  count: number;
  servedBy: string;
  primary: string | null;
  backups: string[];
}

export class CookieJar {
  constructor(readonly cookies = new Map<string, string>()) {}
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
}

export async function click(baseUrl: string, jar: CookieJar, key: string, timeoutMs: number): Promise<{ status: number; view: CounterView | null; text: string }> {
  const res = await fetch(`${baseUrl}/api/count`, {
    method: 'POST',
    headers: { cookie: jar.header(), 'idempotency-key': key },
    signal: AbortSignal.timeout(timeoutMs),
  });
  jar.take(res);
  const text = await res.text();
  return { status: res.status, view: res.status === 200 ? (JSON.parse(text) as CounterView) : null, text };
}

export async function readCounter(baseUrl: string, jar: CookieJar, timeoutMs = 10_000): Promise<CounterView> {
  const res = await fetch(`${baseUrl}/api/state`, { headers: { cookie: jar.header() }, signal: AbortSignal.timeout(timeoutMs) });
  jar.take(res);
  if (res.status !== 200) throw new Error(`/api/state answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as CounterView;
}

export interface RunOptions {
  baseUrl: string;
  users: number;
  durationMs: number;
  /** Upper bound on clicks per user (the loop is bounded in count as well as time). */
  maxClicksPerUser: number;
  /** Bound for one click; longer than a failover (detection + promotion) plus the op timeout. */
  clickTimeoutMs?: number;
}

/** Runs the users concurrently until durationMs passed (or maxClicksPerUser), and returns their stats. */
export async function runUsers(o: RunOptions): Promise<UserStats[]> {
  const t0 = performance.now();
  const deadline = t0 + o.durationMs;
  const at = () => `t=${((performance.now() - t0) / 1000).toFixed(2)}s`;
  return Promise.all(
    Array.from({ length: o.users }, async (_, user) => {
      const jar = new CookieJar();
      const s: UserStats = { user, acknowledged: 0, failed: 0, wrongCounts: [], servedByPrimary: 0, lastAcknowledgedAt: -1, maxLatencyMs: 0, failures: [], jar: jar.cookies };
      for (let i = 0; i < o.maxClicksPerUser && performance.now() < deadline; i++) {
        const started = performance.now();
        try {
          const r = await click(o.baseUrl, jar, `u${user}-c${i}`, o.clickTimeoutMs ?? 15_000);
          if (r.view) {
            s.acknowledged++;
            s.lastAcknowledgedAt = performance.now();
            if (r.view.count !== s.acknowledged) s.wrongCounts.push(`click ${i}: counter ${r.view.count}, expected ${s.acknowledged}`);
            if (r.view.servedBy === r.view.primary) s.servedByPrimary++;
          } else {
            s.failed++;
            s.failures.push(`click ${i} ${at()}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
          }
        } catch (err) {
          s.failed++;
          s.failures.push(`click ${i} ${at()}: ${(err as Error).message}${(err as Error).cause ? ` (${String((err as Error).cause)})` : ''}`);
        }
        s.maxLatencyMs = Math.max(s.maxLatencyMs, performance.now() - started);
      }
      return s;
    }),
  );
}
