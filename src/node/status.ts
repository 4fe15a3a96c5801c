/** The shape `GET /status` serves and `node.status()` returns. Stable: external checks read it. */
import type { MemberRole, MemberState } from '../membership/member.js';
import type { TrafficSnapshot } from '../transport/traffic.js';
import type { NearCacheStatus } from '../replication/replicator.js';
import type { ReadCacheStats } from '../session/read-cache.js';

export interface MemberStatus {
  id: string;
  name: string;
  /** Peer address, `host:port`. */
  address: string;
  /** HTTP address, `host:port`, or null. */
  httpAddress: string | null;
  state: MemberState;
  incarnation: number;
  role: MemberRole;
  zone: string | null;
  startedAtMs: number;
}

export interface NodeStatus {
  cluster: string;
  self: MemberStatus;
  /** True once the member joined a cluster (or started as the first member). */
  joined: boolean;
  /** Every member this one knows, itself included, sorted by name then id. */
  members: MemberStatus[];
  health: {
    /** Lifeguard local health multiplier: 0 is healthy; higher means this member is slow to answer. */
    localHealth: number;
    /** Peers with an open authenticated connection. */
    connectedPeers: number;
  };
  uptimeMs: number;
  /**
   * The committed partition table this member routes by (null before the first one). `moving`:
   * partitions whose copies the cluster is still moving (migrations toward the coordinator's
   * target owners); 0 once the table is settled.
   */
  partitions: { count: number; epoch: number; owners: string[][]; moving: number } | null;
  /** Session copies this member holds, as primary and as backup. */
  sessions: { primary: number; backup: number };
  /**
   * Near cache (option `nearCache`): reads answered here without asking the primary (hits), reads
   * that went to it (misses), entries held, entries dropped; `readers`: as a primary, the
   * (session, member) pairs registered for other members' near caches and invalidations sent.
   */
  nearCache: NearCacheStatus;
  /**
   * Reads on this member as the session's primary (option `replication.readCacheEntries`):
   * answered with a copy of kept decoded data (hits) or by decoding the stored copy (misses).
   */
  readCache: ReadCacheStats;
  /** Messages and bytes this member sent and received on the peer port, per family and per message type. */
  traffic: TrafficSnapshot | null;
}
