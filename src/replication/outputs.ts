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
  | { type: 'sessionExpired'; id: string };

export type ReplicatorOutput =
  | { type: 'send'; to: string; messageType: number; body: unknown }
  | { type: 'complete'; opId: number; result: OpResult }
  | { type: 'complete'; opId: number; error: SessionMeshError }
  | { type: 'event'; event: ReplicationEvent }
  | { type: 'warn'; message: string; details?: Record<string, unknown> };
