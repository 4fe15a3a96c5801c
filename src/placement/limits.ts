/**
 * Placement limits (DESIGN.md §4.4). A partition table arrives from the network, so every
 * dimension of it is bounded by a named constant.
 */

/** Partitions per cluster unless configured: a prime, so `hash mod partitions` mixes well. */
export const DEFAULT_PARTITIONS = 271;
/**
 * Largest accepted `partitions`. Tables are broadcast whole on every membership change and each
 * partition carries per-partition replication state, so thousands are plenty for 2–50 members.
 */
export const MAX_PARTITIONS = 4096;
/** `replicas` is 1..MAX_REPLICAS copies per partition (primary included), or 'all'. */
export const MAX_REPLICAS = 7;
/** Most distinct members a received table may name (bounds a table's allocation). */
export const MAX_TABLE_MEMBERS = 1024;
/** Longest member id accepted in a table (ids are short random strings). */
export const MAX_MEMBER_ID_LENGTH = 128;
