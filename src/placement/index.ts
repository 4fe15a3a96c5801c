/** Placement (DESIGN.md §6): pure functions, no time, no randomness. */
export { computeTable, type PlacementMember, type PlacementOptions } from './assignment.js';
export { coordinatorOf, isPlacementMember } from './coordinator.js';
export { diffTables, type MemberChanges } from './diff.js';
export { DEFAULT_PARTITIONS, MAX_PARTITIONS, MAX_REPLICAS } from './limits.js';
export { drawLocalSessionId, isLocalPrimary, type DrawnSessionId } from './local-id.js';
export { partitionOf } from './partition.js';
export { type CompactTable, decodeTable, encodeTable } from './table-codec.js';
export { type PartitionTable, type ReplicaCount, ownersEqual, primaryOf, validateTable } from './table.js';
