/** What a Replicator asks its driver to do. The driver maps `send` 1:1 onto transport.send. */
import type { SessionMeshError } from '../errors.js';
import type { OpResult } from './ops.js';

export type ReplicationEvent =
  /** A table was adopted (committedByMe: this member is the coordinator that committed it). */
  | { type: 'table'; epoch: number; coordinatorId: string; committedByMe: boolean }
  /** Partitions this member became / stopped being primary of with the last table. */
  | { type: 'primaries'; gained: number[]; lost: number[] }
  | { type: 'migrationStarted'; partition: number; target: string }
  | { type: 'migrationFinished'; partition: number; target: string }
  | { type: 'sessionExpired'; id: string }
  /**
   * As a primary: these members are alive in the membership view but left our deltas or chunks
   * unanswered for unreachableAfterMs (a non-transitive split?); reported to the coordinator,
   * which takes them out of our rows. Emitted when the list changes (empty: all answer again).
   */
  | { type: 'unreachable'; members: string[] }
  /**
   * After leave(): no committed table lists this member any more (the coordinator, or when this
   * member coordinates, its successor, confirmed that table), every copy it held was handed off
   * and acknowledged, and no op of its own is in flight. The node may now leave membership and exit.
   */
  | { type: 'leaveComplete' };

export type ReplicatorOutput =
  | { type: 'send'; to: string; messageType: number; body: unknown }
  | { type: 'complete'; opId: number; result: OpResult }
  | { type: 'complete'; opId: number; error: SessionMeshError }
  | { type: 'event'; event: ReplicationEvent }
  | { type: 'warn'; message: string; details?: Record<string, unknown> };
