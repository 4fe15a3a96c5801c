/**
 * Which write ops were applied, cluster-wide: op key → result, per partition, on the primary AND
 * on every copy that received the write's delta.
 *
 * Why: a requester whose primary stopped answering (a crash, a pause, a cut) sends the op again
 * to the next primary. If the first primary had applied it and its delta reached the backup that
 * is now primary, applying it again would double it — or refuse an `ifVersion` write that did
 * take effect, a "definite" refusal of a write that happened. So a write's op key travels with
 * its delta, every copy remembers it, and a primary answers a retried key with the first
 * application's result (after replicating the record again under its own table) instead of
 * applying it twice. An op key is the requester's member id and its own op number: unique in
 * the cluster, and the same on every retry.
 *
 * Bounded: a requester retries an op only until its deadline (opTimeoutMs), so entries older
 * than `retentionMs` are dropped, and at most `maxEntries` are kept (oldest first out). A key
 * dropped early only loses the dedup for that op: the requester then reports a refused retry as
 * indeterminate (replicator.ts, `uncertain`), never as a definite refusal.
 */
import { SessionMeshError } from '../errors.js';
import { type OpResult, resultFromWire } from './ops.js';

/** Results of writes only (create, update, destroy): what a retry is answered with. */
export type WriteResult = Extract<OpResult, { kind: 'create' | 'update' | 'destroy' }>;

interface Entry {
  p: number;
  result: WriteResult;
  atMs: number;
}

/** Wire form of one entry in a delta: [key, result]. */
export type AppliedOpWire = [string, WriteResult];

const MAX_KEY_LENGTH = 160;

export class AppliedOps {
  /** Insertion order is age order (a re-recorded key is moved to the end). */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly retentionMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  record(key: string, p: number, result: WriteResult, nowMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { p, result, atMs: nowMs });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** The result of the op's first application, if this member saw it (and still remembers). */
  lookup(key: string, p: number): WriteResult | undefined {
    const e = this.entries.get(key);
    return e !== undefined && e.p === p ? e.result : undefined;
  }

  /** Drops what no requester can still retry. */
  expire(nowMs: number): void {
    for (const [k, e] of this.entries) {
      if (nowMs - e.atMs < this.retentionMs) break;
      this.entries.delete(k);
    }
  }
}

export function opKey(requesterId: string, opId: number): string {
  return `${requesterId}/${opId}`;
}

/** Validates the applied-op entries of an untrusted delta (ERR_BAD_FRAME). */
export function appliedOpsFromWire(x: unknown): AppliedOpWire[] {
  const bad = (why: string) => new SessionMeshError('ERR_BAD_FRAME', `invalid replication message: applied ops ${why}`);
  if (!Array.isArray(x) || x.length > 1024) throw bad('list');
  return x.map((e: unknown) => {
    if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || e[0].length === 0 || e[0].length > MAX_KEY_LENGTH) throw bad('entry');
    const kind = (e[1] as { kind?: unknown } | null)?.kind;
    if (kind !== 'create' && kind !== 'update' && kind !== 'destroy') throw bad('result kind');
    return [e[0], resultFromWire(kind, e[1]) as WriteResult];
  });
}
