import { SessionMeshError } from '../errors.js';
import { DEFAULT_PARTITIONS, MAX_PARTITIONS } from './limits.js';
import { murmur3String } from './murmur3.js';

/**
 * The partition of a session id: murmur3_x86_32(utf8(sessionId), seed 0) mod partitions.
 * Fixed forever: it is part of the cluster contract (test vectors in the unit tests).
 * The modulo bias (2^32 is not a multiple of 271) is below 1e-7 and irrelevant here.
 */
export function partitionOf(sessionId: string, partitions: number = DEFAULT_PARTITIONS): number {
  // One operation asks for the same id's partition several times (routing, the store's get,
  // put and touch, on each member it crosses): the last hash is remembered.
  if (sessionId !== lastId) {
    lastHash = murmur3String(sessionId, 0);
    lastId = sessionId;
  }
  return lastHash % checkPartitions(partitions);
}

let lastId: string | undefined;
let lastHash = 0;

/** Returns `partitions` if it is an integer in 1..MAX_PARTITIONS, else throws ERR_CONFIG. */
export function checkPartitions(partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw new SessionMeshError('ERR_CONFIG', `partitions must be an integer in 1..${MAX_PARTITIONS}, got ${partitions}`);
  }
  return partitions;
}
