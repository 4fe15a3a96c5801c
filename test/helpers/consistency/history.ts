/**
 * The history of a consistency run, as the simulator and the real-process chaos suite both
 * record it, and as the one checker (checker.ts) reads it. Terms follow Jepsen: every operation
 * is invoked and then completes as
 *   - `ok`:   acknowledged (the store said it took effect);
 *   - `fail`: a definite refusal (404 ERR_NOT_FOUND, 409 ERR_VERSION_CONFLICT, 503 ERR_NO_QUORUM,
 *             503 ERR_UNAVAILABLE, 400 ERR_INVALID_VALUE ...): it did not and will never take effect;
 *   - `info`: indeterminate (ERR_TIMEOUT, a cut connection, a crashed member): it may or may not
 *             have taken effect, now or later.
 *
 * Workloads (all on attributes of sessions that the run created first):
 *   - `add`:     set a fresh attribute `key` (unique in the whole run) to 1. Never conflicts.
 *   - `del`:     delete attribute `key` (one an earlier `add` set). Acked deletes must stay deleted.
 *   - `incr`:    read-modify-write counter: after a read that saw version `ifVersion` and counter
 *                value n (attribute `n`, absent = 0), PATCH {set: {n: n + 1}, ifVersion}.
 *                `value` is n + 1.
 *   - `read`:    GET; `read` holds what it saw (null: 404), `version` the version.
 *   - `create` / `destroy`: whole sessions.
 * The run ends with `final` reads of every session after the faults stopped and the cluster
 * settled (outcome ok), which the checker compares with what was acknowledged.
 */
export type Outcome = 'ok' | 'fail' | 'info';

export type OpKind = 'create' | 'read' | 'add' | 'del' | 'incr' | 'destroy';

export interface HistoryOp {
  /** Unique per history. */
  index: number;
  /** Which client issued it (a client has at most one op in flight). */
  client: string;
  /** Which member it was sent to (name), for the report. */
  member?: string;
  kind: OpKind;
  session: string;
  /** add / del: the attribute. */
  key?: string;
  /** incr: the version the preceding read saw (the PATCH's ifVersion). */
  ifVersion?: number;
  /** incr: the counter value written (read value + 1). */
  value?: number;
  /** Times on one clock for the whole run (ms). */
  invokeMs: number;
  completeMs: number;
  outcome: Outcome;
  /** Error code of a fail / info (ERR_TIMEOUT, ERR_NOT_FOUND, ... or 'ECONNRESET' etc.). */
  error?: string;
  /** ok writes and reads: the session version the store answered. */
  version?: number;
  /** read (ok): what it saw; null = the session does not exist (404). */
  read?: { n: number; keys: string[] } | null;
  /** A read made after every fault stopped and the cluster settled. */
  final?: boolean;
}

/** What was done to the cluster during the run: decides which guarantees apply (docs/consistency.md). */
export interface RunFaults {
  /** Any network cut (full, minority, bridge) happened. */
  partition: boolean;
  /** Any process pause (SIGSTOP / sim pause) happened. */
  pause: boolean;
  /** Members killed (kill -9 / sim crash), more than replicas − 1 at once counts as data loss allowed. */
  crash: boolean;
  /** More members down at once than replicas − 1 (then acknowledged data may be lost by design). */
  beyondReplicas?: boolean;
}

export interface RunMode {
  quorum: 'none' | 'majority';
  ack: 'all' | 'one' | 'none';
  replicas: number;
}
