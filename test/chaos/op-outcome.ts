/**
 * How an HTTP answer (or its absence) becomes a history outcome, by the rules of
 * test/helpers/consistency/history.ts: 2xx → ok; 404, 409, 400 and 503 with ERR_NO_QUORUM or
 * ERR_UNAVAILABLE → fail (the store refused: it did not and will not take effect); anything else
 * (timeouts, cut connections, 500s, other 503s such as ERR_TIMEOUT) → info (may have taken effect).
 */
import type { Outcome } from '../helpers/consistency/history.js';

const DEFINITE_503_CODES = new Set(['ERR_NO_QUORUM', 'ERR_UNAVAILABLE']);

export interface Classified {
  outcome: Outcome;
  error?: string;
}

function codeOf(body: unknown): string | undefined {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

export function classifyAnswer(status: number, body: unknown): Classified {
  if (status >= 200 && status < 300) return { outcome: 'ok' };
  const code = codeOf(body) ?? `HTTP_${status}`;
  if (status === 404 || status === 409 || status === 400) return { outcome: 'fail', error: code };
  if (status === 503 && DEFINITE_503_CODES.has(code)) return { outcome: 'fail', error: code };
  return { outcome: 'info', error: code };
}

/** A request that got no answer: the client timed out, the connection was refused, reset or cut. */
export function classifyThrown(err: unknown): Classified {
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (e?.name === 'TimeoutError') return { outcome: 'info', error: 'CLIENT_TIMEOUT' };
  return { outcome: 'info', error: e?.cause?.code ?? e?.code ?? e?.cause?.name ?? e?.name ?? 'ERROR' };
}
