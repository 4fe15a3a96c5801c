/**
 * Which sessions may be due at nowMs, for 100k+ sessions.
 *
 * Lazy buckets: each id sits in one bucket of `bucketMs` (default 1 s) at the time it should be
 * looked at next. Touching a session does NOT touch the index (O(0) on the hot path): when the
 * bucket comes due, the caller checks the record (isExpired) and either removes it or schedules
 * it again at its real deadline. So each session costs O(1) index work per idle period, not per
 * touch. schedule() with a later deadline than the current one is a no-op for the same reason;
 * an earlier one moves the id (the old bucket entry becomes stale and is skipped when drained).
 *
 * Memory: one Map entry per id (~30–40 bytes) plus one array slot (8 bytes) per bucket entry;
 * a min-heap of bucket numbers (one per distinct second in use) finds the next due bucket.
 */
export class ExpiryIndex {
  /** id → bucket it is currently due in; bucket arrays may hold stale ids (skipped on drain). */
  private readonly bucketOf = new Map<string, number>();
  private readonly buckets = new Map<number, string[]>();
  private readonly heap: number[] = [];

  constructor(readonly bucketMs = 1000) {
    if (!(bucketMs >= 1)) throw new Error('ExpiryIndex: bucketMs must be ≥ 1');
  }

  get size(): number {
    return this.bucketOf.size;
  }

  has(id: string): boolean {
    return this.bucketOf.has(id);
  }

  /**
   * `id` will be returned by takeDue(nowMs) for the first nowMs ≥ dueMs rounded up to a bucket
   * boundary (never early, at most bucketMs late), unless it is already due earlier.
   */
  schedule(id: string, dueMs: number): void {
    const bucket = Math.ceil(dueMs / this.bucketMs);
    const current = this.bucketOf.get(id);
    if (current !== undefined && current <= bucket) return;
    this.bucketOf.set(id, bucket);
    let ids = this.buckets.get(bucket);
    if (ids === undefined) {
      ids = [];
      this.buckets.set(bucket, ids);
      this.push(bucket);
    }
    ids.push(id);
  }

  remove(id: string): void {
    this.bucketOf.delete(id);
  }

  /**
   * Removes and returns up to `max` ids whose bucket is due at nowMs, earliest first. The caller
   * re-checks each session and schedules the live ones again.
   */
  takeDue(nowMs: number, max = Infinity): string[] {
    const out: string[] = [];
    const dueBucket = Math.floor(nowMs / this.bucketMs);
    while (out.length < max && this.heap.length > 0 && this.heap[0]! <= dueBucket) {
      const bucket = this.heap[0]!;
      const ids = this.buckets.get(bucket)!;
      while (ids.length > 0 && out.length < max) {
        const id = ids.pop()!;
        if (this.bucketOf.get(id) === bucket) {
          this.bucketOf.delete(id);
          out.push(id);
        }
      }
      if (ids.length === 0) {
        this.buckets.delete(bucket);
        this.pop();
      }
    }
    return out;
  }

  /** Earliest bucket start that holds entries (possibly stale), for arming a timer; or undefined. */
  nextDueMs(): number | undefined {
    return this.heap.length > 0 ? this.heap[0]! * this.bucketMs : undefined;
  }

  private push(x: number): void {
    const h = this.heap;
    let i = h.push(x) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]! <= x) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = x;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]! < h[l]! ? r : l;
      if (h[c]! >= last) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
