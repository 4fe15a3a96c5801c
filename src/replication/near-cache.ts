/**
 * The near cache of a member that is not a session's primary (docs/architecture.md "Near cache").
 * Pure: time comes in as arguments. The Replicator owns one and decides when to look up, fill and
 * flush; this class only keeps the entries, the fences and the counters.
 *
 * An entry remembers which member served it (the primary that registered this member as a
 * reader and will invalidate it). It is answered only while that member is still the partition's
 * primary in the caller's table and for at most maxAgeMs (a safety net for an invalidation lost
 * without a connection loss). Entries are evicted least recently used beyond maxEntries.
 *
 * Fills are fenced: a get in flight when an invalidation, a local write of the same id or a flush
 * arrives may carry a value from before it, so its answer is not kept (the answer itself is still
 * returned to the caller: it was current when the primary read it).
 */
import { clonePlain } from '../session/plain-copy.js';
import type { SessionView } from './ops.js';

export interface NearCacheConfig {
  /** Entries kept (least recently used evicted beyond it); 0 disables the cache. */
  readonly maxEntries: number;
  /** An entry older than this is not answered (ms since the get that filled it was sent). */
  readonly maxAgeMs: number;
}

export interface NearCacheStats {
  /** Gets answered from the cache. */
  hits: number;
  /** Gets that went to the primary while the cache was on (and could fill it). */
  misses: number;
  /** Entries held now. */
  entries: number;
  /** Entries dropped: invalidated by a primary, a local write, a flush (table, death, lost connection) or their age. */
  invalidations: number;
  /** Entries dropped to stay within maxEntries. */
  evictions: number;
}

interface Entry {
  p: number;
  /** The member that served it (and registered this member as a reader). */
  primary: string;
  view: SessionView;
  /** When the get that filled it was sent: the value is at least that recent. */
  sentAtMs: number;
}

interface PendingFill {
  p: number;
  /** Gets of this id in flight that asked to fill. */
  n: number;
  /** Something invalidated the id while they were in flight: none of them may fill. */
  dirty: boolean;
}

export class NearCache {
  private readonly entries = new Map<string, Entry>();
  private readonly fills = new Map<string, PendingFill>();
  private hits = 0;
  private misses = 0;
  private invalidations = 0;
  private evictions = 0;

  constructor(readonly config: NearCacheConfig) {}

  get enabled(): boolean {
    return this.config.maxEntries > 0;
  }

  /** A copy of the cached session if `primary` is still the one that served it and the entry is young enough. */
  lookup(id: string, primary: string, nowMs: number): SessionView | undefined {
    const e = this.entries.get(id);
    if (e === undefined) return undefined;
    if (e.primary !== primary || nowMs - e.sentAtMs >= this.config.maxAgeMs) {
      this.drop(id);
      return undefined;
    }
    // Least recently used order: a hit moves the entry to the end.
    this.entries.delete(id);
    this.entries.set(id, e);
    this.hits++;
    return { id: e.view.id, version: e.view.version, data: clonePlain(e.view.data) as Record<string, unknown> };
  }

  /** A get of `id` goes to the primary and may fill the cache with its answer. */
  beginFill(id: string, p: number): void {
    this.misses++;
    const f = this.fills.get(id);
    if (f === undefined) this.fills.set(id, { p, n: 1, dirty: false });
    else f.n++;
  }

  /**
   * The get started by beginFill ended. `answer`: the primary's answer, when it registered this
   * member as a reader and still is the partition's primary; kept unless the fill was fenced.
   */
  endFill(id: string, answer: { view: SessionView; primary: string; sentAtMs: number } | null): void {
    const f = this.fills.get(id);
    if (f === undefined) return;
    if (answer !== null && !f.dirty) {
      this.entries.delete(id);
      this.entries.set(id, { p: f.p, primary: answer.primary, view: answer.view, sentAtMs: answer.sentAtMs });
      while (this.entries.size > this.config.maxEntries) {
        this.entries.delete(this.entries.keys().next().value as string);
        this.evictions++;
      }
    }
    if (--f.n === 0) this.fills.delete(id);
  }

  /** Drops `id` and fences the gets of it in flight (an invalidation, a local write). */
  invalidate(id: string): void {
    this.drop(id);
    const f = this.fills.get(id);
    if (f !== undefined) f.dirty = true;
  }

  /** Drops and fences every entry and fill whose partition `affected` names (a primary change). */
  flushPartitions(affected: (p: number) => boolean): void {
    for (const [id, e] of this.entries) if (affected(e.p)) this.drop(id);
    for (const f of this.fills.values()) if (affected(f.p)) f.dirty = true;
  }

  /**
   * Drops every entry `primary` served and fences every fill in flight (a lost connection to it,
   * its death). Fills in flight to other members are fenced too: cheaper than tracking the target
   * of each, and these events are rare.
   */
  flushPrimary(isGone: (primary: string) => boolean): void {
    let any = false;
    for (const [id, e] of this.entries) {
      if (isGone(e.primary)) {
        this.drop(id);
        any = true;
      }
    }
    if (any || this.fills.size > 0) for (const f of this.fills.values()) f.dirty = true;
  }

  stats(): NearCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size, invalidations: this.invalidations, evictions: this.evictions };
  }

  private drop(id: string): void {
    if (this.entries.delete(id)) this.invalidations++;
  }
}
