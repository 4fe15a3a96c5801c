/** Replication (DESIGN.md §7): the per-member state machine and its inputs/outputs. */
export { type AckPolicy, DEFAULT_REPLICATION_CONFIG, type QuorumPolicy, type ReplicationConfig, resolveReplicationConfig } from './config.js';
export type { OpResult, SessionOp, SessionView } from './ops.js';
export type { ReplicationEvent, ReplicatorOutput } from './outputs.js';
export { Replicator, type ReplicatorOptions } from './replicator.js';
export { type ReplTable, movingPartitions } from './table.js';
