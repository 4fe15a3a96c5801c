/**
 * Decoded data of the sessions read more than once on this member, keyed by the body it was
 * decoded from. A stored copy keeps its attributes encoded (packed.ts: ~210 bytes of overhead
 * per copy instead of ~1,200 as live objects), so a read decodes them: ~3.4 µs for a 1 KiB
 * session, most of a read on the primary. A session read again with the same body is handed a
 * copy of the kept objects instead (clonePlain, ~0.4 µs): only the hot sessions pay the memory of
 * decoded objects, and only up to `maxEntries` of them.
 *
 * Valid by construction: an entry is used only when the record's body is the one it was decoded
 * from, and bodies are immutable (a write, merge or destroy makes a new body; a touch shares
 * it). The store still drops a session's entry when it stores a new copy of it or deletes it
 * (store.ts), so that no data of an overwritten, destroyed or moved-away session is kept.
 *
 * A body is decoded into the cache only on its second read: a session written between every two
 * reads (the express-session request: read, then save) would otherwise pay for a copy it never
 * uses. Entries beyond maxEntries are evicted oldest first (insertion order: a hit does not move
 * an entry, which keeps hits to a lookup and a copy).
 */
import { bodyData } from './packed.js';
import { clonePlain } from './plain-copy.js';

export interface ReadCacheStats {
  /** Reads answered with a copy of kept objects. */
  hits: number;
  /** Reads that decoded the body. */
  misses: number;
  /** Sessions held (with or without decoded objects yet). */
  entries: number;
}

interface Entry {
  body: string;
  /** Null until the body's second read. */
  data: Record<string, unknown> | null;
}

export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  private hits = 0;
  private misses = 0;

  /** `maxEntries` 0: no cache, every read decodes. */
  constructor(private readonly maxEntries: number) {}

  /** The live attributes of the copy of `id` whose body is `body`, as objects the caller may change. */
  data(id: string, body: string): Record<string, unknown> {
    if (this.maxEntries === 0) return bodyData(body);
    const e = this.entries.get(id);
    if (e !== undefined && e.body === body) {
      if (e.data !== null) {
        this.hits++;
        return clonePlain(e.data) as Record<string, unknown>;
      }
      this.misses++;
      e.data = bodyData(body);
      return clonePlain(e.data) as Record<string, unknown>;
    }
    this.misses++;
    if (e !== undefined) {
      e.body = body;
      e.data = null;
    } else {
      this.entries.set(id, { body, data: null });
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
    return bodyData(body);
  }

  get size(): number {
    return this.entries.size;
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  stats(): ReadCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size };
  }
}
