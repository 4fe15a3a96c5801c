/**
 * Time until writable after each fault, from the history: how long after the fault was in place
 * (start) and after it was healed (end) the first write was acknowledged — by any session (the
 * cluster takes writes at all) and by every session written in that time (the slowest session's
 * failover). Only writes invoked after the moment count; null when none was acknowledged before
 * the next fault began (or the load stopped).
 */
import type { HistoryOp } from '../helpers/consistency/history.js';
import type { FaultRecord } from './scenario-types.js';

export interface WritableAfterFault {
  fault: number;
  firstAfterStartMs: number | null;
  allSessionsAfterStartMs: number | null;
  firstAfterEndMs: number | null;
  allSessionsAfterEndMs: number | null;
}

const WRITES = new Set<HistoryOp['kind']>(['add', 'del', 'incr']);

function measure(writes: readonly HistoryOp[], fromMs: number, untilMs: number): { first: number | null; all: number | null } {
  const attempted = new Set<string>();
  const firstAck = new Map<string, number>();
  for (const w of writes) {
    if (w.invokeMs < fromMs || w.invokeMs >= untilMs) continue;
    attempted.add(w.session);
    if (w.outcome === 'ok' && w.completeMs < untilMs) firstAck.set(w.session, Math.min(firstAck.get(w.session) ?? Infinity, w.completeMs));
  }
  if (firstAck.size === 0) return { first: null, all: null };
  const acks = [...firstAck.values()];
  const round = (ms: number) => Math.round(ms - fromMs);
  return { first: round(Math.min(...acks)), all: firstAck.size === attempted.size ? round(Math.max(...acks)) : null };
}

export function timeUntilWritable(history: readonly HistoryOp[], faults: readonly FaultRecord[], loadStopMs: number): WritableAfterFault[] {
  const writes = history.filter((o) => !o.final && WRITES.has(o.kind));
  return faults.map((f, i) => {
    const horizon = faults[i + 1]?.startMs ?? loadStopMs;
    const afterStart = measure(writes, f.startMs, horizon);
    const afterEnd = measure(writes, f.endMs, horizon);
    return { fault: f.index, firstAfterStartMs: afterStart.first, allSessionsAfterStartMs: afterStart.all, firstAfterEndMs: afterEnd.first, allSessionsAfterEndMs: afterEnd.all };
  });
}

