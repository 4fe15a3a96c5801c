/**
 * Replication settings (DESIGN.md §7). Every limit is named and has a default; the node driver
 * passes user options through resolveReplicationConfig, which refuses bad values with ERR_CONFIG.
 */
import { SessionMeshError } from '../errors.js';
import { DEFAULT_PARTITIONS, MAX_PARTITIONS, type ReplicaCount } from '../placement/index.js';

export type AckPolicy = 'all' | 'one' | 'none';
export type QuorumPolicy = 'none' | 'majority';

export interface ReplicationConfig {
  readonly partitions: number;
  readonly replicas: ReplicaCount;
  /** When a write counts as acknowledged: every backup and migration target, one of them, or none. */
  readonly ack: AckPolicy;
  /** 'majority': a member that sees at most half of the data members alive refuses writes (ERR_NO_QUORUM). */
  readonly quorum: QuorumPolicy;
  /** Bound on one op, from submit to completion, including waiting for a new table. */
  readonly opTimeoutMs: number;
  /** Unanswered requests, deltas and chunks are sent again after this (the network may drop them). */
  readonly retryMs: number;
  /**
   * A backup or migration target that membership says is alive but that has left this primary's
   * deltas or chunks unacknowledged this long is reported to the coordinator, which takes it out
   * of this primary's rows (reachability.ts: a non-transitive split must degrade, not collapse).
   */
  readonly unreachableAfterMs: number;
  /** Encoded bytes per migration / handoff / repair message (one session larger than this moves alone). */
  readonly migrationChunkBytes: number;
  /** Unacknowledged chunks per migration stream (backpressure). */
  readonly maxChunksInFlight: number;
  /** Digest comparison with every backup, per partition. */
  readonly antiEntropyIntervalMs: number;
  /** The coordinator re-broadcasts its table this often (heals lost table messages and splits). */
  readonly tableRefreshMs: number;
  /**
   * The coordinator commits finished migrations together: at most one table per this interval
   * for them (deaths, joins and leaves are committed at once). Without it a start committed one
   * epoch per finished migration (~450 tables broadcast to everyone for 3 members).
   */
  readonly tableCommitBatchMs: number;
  /** Touches are coalesced and sent to backups this often. */
  readonly touchFlushMs: number;
  /** Extra idle time a newly promoted primary allows (≥ a few touch flushes), see expiry in docs. */
  readonly expiryGraceMs: number;
  /** Draws of a session id until the local member is its primary (locality). */
  readonly maxIdDraws: number;
  /** Default idle timeout of a created session. */
  readonly defaultMaxIdleMs: number;
  /** Remote replies remembered to answer retried requests without applying them twice. */
  readonly dedupEntries: number;
  /**
   * Near cache on this member (reads of sessions whose primary is elsewhere, kept and invalidated
   * by the primary; docs/architecture.md "Near cache"): entries kept, 0 = off (default).
   */
  readonly nearCacheEntries: number;
  /** A near-cache entry is not answered after this long, even without an invalidation (safety net). */
  readonly nearCacheMaxAgeMs: number;
  /**
   * As a primary: (session, reader) pairs remembered for other members' near caches. Beyond it the
   * oldest are invalidated and forgotten; 0 = tell readers not to cache what this member serves.
   */
  readonly nearCacheReaders: number;
  /**
   * Sessions whose decoded data this member keeps for reads as their primary (session/read-cache.ts):
   * a session read twice with no change between is then copied instead of decoded. 0 = off.
   */
  readonly readCacheEntries: number;
}

export const DEFAULT_REPLICATION_CONFIG: ReplicationConfig = Object.freeze({
  partitions: DEFAULT_PARTITIONS,
  replicas: 2,
  ack: 'all',
  quorum: 'none',
  opTimeoutMs: 5_000,
  retryMs: 250,
  unreachableAfterMs: 1_000,
  migrationChunkBytes: 256 * 1024,
  maxChunksInFlight: 4,
  antiEntropyIntervalMs: 5_000,
  tableRefreshMs: 1_000,
  tableCommitBatchMs: 100,
  touchFlushMs: 1_000,
  expiryGraceMs: 5_000,
  maxIdDraws: 64,
  defaultMaxIdleMs: 30 * 60 * 1000,
  dedupEntries: 4096,
  nearCacheEntries: 0,
  nearCacheMaxAgeMs: 10_000,
  nearCacheReaders: 100_000,
  readCacheEntries: 4096,
});

export function resolveReplicationConfig(options: Partial<ReplicationConfig> = {}): ReplicationConfig {
  const c: ReplicationConfig = { ...DEFAULT_REPLICATION_CONFIG, ...options };
  const bad = (what: string) => new SessionMeshError('ERR_CONFIG', `replication: ${what}`);
  if (!Number.isInteger(c.partitions) || c.partitions < 1 || c.partitions > MAX_PARTITIONS) throw bad(`partitions must be 1..${MAX_PARTITIONS}`);
  if (c.replicas !== 'all' && !(Number.isInteger(c.replicas) && c.replicas >= 1 && c.replicas <= 7)) throw bad("replicas must be 1..7 or 'all'");
  if (!['all', 'one', 'none'].includes(c.ack)) throw bad("ack must be 'all', 'one' or 'none'");
  if (!['none', 'majority'].includes(c.quorum)) throw bad("quorum must be 'none' or 'majority'");
  for (const k of ['opTimeoutMs', 'retryMs', 'unreachableAfterMs', 'migrationChunkBytes', 'maxChunksInFlight', 'antiEntropyIntervalMs', 'tableRefreshMs', 'tableCommitBatchMs', 'touchFlushMs', 'maxIdDraws', 'defaultMaxIdleMs', 'dedupEntries'] as const) {
    if (!(Number.isInteger(c[k]) && c[k] >= 1)) throw bad(`${k} must be a positive integer`);
  }
  if (!(Number.isInteger(c.expiryGraceMs) && c.expiryGraceMs >= 0)) throw bad('expiryGraceMs must be a non-negative integer');
  for (const k of ['nearCacheEntries', 'nearCacheReaders', 'readCacheEntries'] as const) {
    if (!(Number.isInteger(c[k]) && c[k] >= 0 && c[k] <= 10_000_000)) throw bad(`${k} must be an integer 0..10000000`);
  }
  if (!(Number.isInteger(c.nearCacheMaxAgeMs) && c.nearCacheMaxAgeMs >= 1)) throw bad('nearCacheMaxAgeMs must be a positive integer');
  return c;
}
