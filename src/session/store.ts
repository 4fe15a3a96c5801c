/**
 * The local store of session copies (primaries and backups alike), grouped by partition so that
 * migration and anti-entropy work a partition at a time: list, count, stream in bounded chunks,
 * drop, and an O(1) per-partition digest kept up to date on every put/delete.
 *
 * Chunks walk a partition in id order with an `afterId` cursor, so a stream survives concurrent
 * writes: every session present for the whole stream is sent exactly once; one inserted or
 * deleted meanwhile is sent at most once (the migration's forwarding covers those writes).
 *
 * Memory: one Map entry per session (~30–50 bytes with the Map's slack); records are shared,
 * never copied.
 */
import { wireSize } from './codec.js';
import { addDigests, sessionDigest, subtractDigests } from './digest.js';
import { mergeParts, mergeRecords } from './merge.js';
import type { BodyParts } from './packed.js';
import { ReadCache, type ReadCacheStats } from './read-cache.js';
import { type SessionRecord, touch } from './record.js';

export interface StoreChunk {
  records: SessionRecord[];
  /** Σ encodeRecord(r).length over `records`. */
  bytes: number;
  /** Cursor for the next call; null when the partition is exhausted. */
  nextAfterId: string | null;
}

interface Partition {
  readonly records: Map<string, SessionRecord>;
  digest: number;
}

export class SessionStore {
  private readonly parts = new Map<number, Partition>();
  private total = 0;
  private readonly reads: ReadCache;

  /**
   * `partitionOf` comes from placement: a stable hash of the id mod the partition count.
   * `readCacheEntries`: sessions whose decoded data `data()` may keep (read-cache.ts); 0 keeps none.
   */
  constructor(
    private readonly partitionOf: (id: string) => number,
    readCacheEntries = 0,
  ) {
    this.reads = new ReadCache(readCacheEntries);
  }

  get size(): number {
    return this.total;
  }

  get(id: string): SessionRecord | undefined {
    return this.parts.get(this.partitionOf(id))?.records.get(id);
  }

  /** The live attributes of `record` (a copy this store holds) as objects the caller may change. */
  data(record: SessionRecord): Record<string, unknown> {
    return this.reads.data(record.id, record.body);
  }

  readCacheStats(): ReadCacheStats {
    return this.reads.stats();
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Stores `record`, replacing any copy of the same session. */
  put(record: SessionRecord): void {
    const p = this.partitionOf(record.id);
    let part = this.parts.get(p);
    if (part === undefined) {
      if (!Number.isInteger(p) || p < 0) throw new Error(`partitionOf(${record.id}) returned ${p}`);
      part = { records: new Map(), digest: 0 };
      this.parts.set(p, part);
    }
    const old = part.records.get(record.id);
    if (old === record) return;
    this.reads.delete(record.id);
    if (old !== undefined) part.digest = subtractDigests(part.digest, sessionDigest(old));
    else this.total++;
    part.records.set(record.id, record);
    part.digest = addDigests(part.digest, sessionDigest(record));
  }

  /** Merges `record` (a copy or a delta) into the stored copy; returns the result. */
  merge(record: SessionRecord): SessionRecord {
    const old = this.get(record.id);
    const merged = old === undefined ? record : mergeRecords(old, record);
    this.put(merged);
    return merged;
  }

  /** merge() for a copy given as parts (a delta off the wire, see mergeParts). */
  mergeParts(id: string, lastAccessMs: number, parts: BodyParts): SessionRecord {
    const merged = mergeParts(this.get(id), id, lastAccessMs, parts);
    this.put(merged);
    return merged;
  }

  /** Records an access without rehashing: digests ignore lastAccessMs. */
  touch(id: string, nowMs: number): SessionRecord | undefined {
    const part = this.parts.get(this.partitionOf(id));
    const old = part?.records.get(id);
    if (part === undefined || old === undefined) return undefined;
    const touched = touch(old, nowMs);
    if (touched !== old) part.records.set(id, touched);
    return touched;
  }

  delete(id: string): boolean {
    const p = this.partitionOf(id);
    const part = this.parts.get(p);
    const old = part?.records.get(id);
    if (part === undefined || old === undefined) return false;
    part.records.delete(id);
    this.reads.delete(id);
    part.digest = subtractDigests(part.digest, sessionDigest(old));
    this.total--;
    if (part.records.size === 0) this.parts.delete(p);
    return true;
  }

  /** Partitions holding at least one session, ascending. */
  partitionIds(): number[] {
    return [...this.parts.keys()].sort((a, b) => a - b);
  }

  count(partition: number): number {
    return this.parts.get(partition)?.records.size ?? 0;
  }

  /** Live view; do not put/delete in the same partition while iterating. */
  records(partition: number): IterableIterator<SessionRecord> {
    return (this.parts.get(partition)?.records ?? new Map<string, SessionRecord>()).values();
  }

  /**
   * The next sessions of `partition` with id > afterId (null: from the start), in id order,
   * up to maxBytes of encoded records; always at least one if any remain, so a session larger
   * than maxBytes still moves (alone).
   */
  chunk(partition: number, afterId: string | null, maxBytes: number): StoreChunk {
    const part = this.parts.get(partition);
    const out: StoreChunk = { records: [], bytes: 0, nextAfterId: null };
    if (part === undefined) return out;
    const ids: string[] = [];
    for (const id of part.records.keys()) if (afterId === null || id > afterId) ids.push(id);
    ids.sort();
    for (let i = 0; i < ids.length; i++) {
      const record = part.records.get(ids[i]!)!;
      const size = wireSize(record);
      if (out.records.length > 0 && out.bytes + size > maxBytes) {
        out.nextAfterId = ids[i - 1]!;
        return out;
      }
      out.records.push(record);
      out.bytes += size;
    }
    return out;
  }

  /** Forgets a whole partition (it moved away); returns how many sessions were dropped. */
  dropPartition(partition: number): number {
    const part = this.parts.get(partition);
    if (part === undefined) return 0;
    this.parts.delete(partition);
    if (this.reads.size > 0) for (const id of part.records.keys()) this.reads.delete(id);
    this.total -= part.records.size;
    return part.records.size;
  }

  /** Order-independent digest of the partition's copies (0 when empty); see digest.ts. */
  digest(partition: number): number {
    return this.parts.get(partition)?.digest ?? 0;
  }
}
