/**
 * Cheap touches. A framework touches a session at the end of nearly every request that did not
 * change it, right after the get at its start already refreshed the session's idle clock on its
 * primary. So a touch is skipped when this store accessed the session (get, save or touch) within
 * `intervalMs`, and concurrent touches of one session share one operation. The cost: the idle
 * clock may run up to `intervalMs` early, negligible next to idle timeouts of minutes.
 */
export class TouchCoalescer {
  /** Session id → monotonic ms of the last access through this store, oldest first. */
  private readonly lastAccess = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(
    private readonly touchFn: (id: string) => Promise<boolean>,
    private readonly intervalMs: number,
    private readonly maxEntries = 100_000,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Records an access that refreshed the idle clock (a successful get, save or touch). */
  accessed(id: string): void {
    this.lastAccess.delete(id);
    this.lastAccess.set(id, this.nowMs());
    if (this.lastAccess.size > this.maxEntries) this.lastAccess.delete(this.lastAccess.keys().next().value as string);
  }

  forget(id: string): void {
    this.lastAccess.delete(id);
  }

  /** Whether a touch of `id` now would be skipped: this store accessed it within intervalMs. */
  fresh(id: string): boolean {
    const last = this.lastAccess.get(id);
    return last !== undefined && this.nowMs() - last < this.intervalMs;
  }

  /** True: the session exists (or was accessed within intervalMs); false: it does not. */
  touch(id: string): Promise<boolean> {
    if (this.fresh(id)) return Promise.resolve(true);
    const pending = this.inFlight.get(id);
    if (pending) return pending;
    const p = this.touchFn(id).then(
      (found) => {
        this.inFlight.delete(id);
        if (found) this.accessed(id);
        else this.forget(id);
        return found;
      },
      (err: unknown) => {
        this.inFlight.delete(id);
        throw err;
      },
    );
    this.inFlight.set(id, p);
    return p;
  }
}
