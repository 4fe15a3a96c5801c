/** A small client for the HTTP session API, for integration tests. */
import type { MemberProcess } from './cluster.js';

export const TEST_API_TOKEN = 'test-api-token-0123';

export interface ApiAnswer {
  status: number;
  body: any;
}

/** `m`: anything with the member's HTTP address (a started member, or a fixed address of one). */
export async function api(m: Pick<MemberProcess, 'http'>, method: string, path: string, body?: unknown, timeoutMs = 8000): Promise<ApiAnswer> {
  const res = await fetch(`http://${m.http}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
