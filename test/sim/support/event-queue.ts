/**
 * Virtual time for the simulators: a min-heap of events ordered by (time, insertion order), so a
 * run is a pure function of its seed. Nothing here knows about members or messages.
 */
export interface ScheduledEvent {
  readonly atMs: number;
  readonly order: number;
  cancelled: boolean;
  readonly run: () => void;
}

export class EventQueue {
  private heap: ScheduledEvent[] = [];
  private counter = 0;
  private current = 0;

  get nowMs(): number {
    return this.current;
  }

  get size(): number {
    return this.heap.length;
  }

  schedule(atMs: number, run: () => void): ScheduledEvent {
    const ev: ScheduledEvent = { atMs: Math.max(atMs, this.current), order: this.counter++, cancelled: false, run };
    this.heap.push(ev);
    this.up(this.heap.length - 1);
    return ev;
  }

  after(delayMs: number, run: () => void): ScheduledEvent {
    return this.schedule(this.current + delayMs, run);
  }

  /** Time of the next live event, or Infinity. */
  peekMs(): number {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap.length > 0 ? this.heap[0]!.atMs : Infinity;
  }

  /** Runs the next event; false when none is left before `untilMs`. */
  runNext(untilMs = Infinity): boolean {
    if (this.peekMs() > untilMs) return false;
    const ev = this.pop()!;
    this.current = ev.atMs;
    ev.run();
    return true;
  }

  /** Advances virtual time to `untilMs`, running every event due by then. */
  runUntil(untilMs: number): void {
    while (this.runNext(untilMs));
    this.current = Math.max(this.current, untilMs);
  }

  private pop(): ScheduledEvent | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (this.heap.length > 0 && last) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private less(a: ScheduledEvent, b: ScheduledEvent): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
