/**
 * One timer per pure state machine: after every step the driver calls `arm(machine.nextDeadlineMs())`
 * and the timer fires `onDue` then. Re-arming for the same deadline keeps the pending timer.
 */
import type { Clock } from '../clock/clock.js';

export class MachineTimer {
  private timer: NodeJS.Timeout | null = null;
  private dueMs = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: () => void,
  ) {}

  arm(dueMs: number): void {
    if (dueMs === this.dueMs && this.timer) return;
    this.cancel();
    this.dueMs = dueMs;
    if (!Number.isFinite(dueMs)) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.dueMs = Infinity;
      this.onDue();
    }, Math.max(0, dueMs - this.clock.nowMs()));
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dueMs = Infinity;
  }
}
