/**
 * One timer per pure state machine: after every step the driver calls `arm(machine.nextDeadlineMs())`
 * and the timer fires `onDue` then. A pending timer due no later than the new deadline is kept:
 * firing early is harmless (the machine's tick does only what is due, and the driver re-arms after
 * it), while re-creating a timer on every step costs more than the step itself on a busy member
 * (a deadline like "now + retryMs" moves with every operation).
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
    if (this.timer && this.dueMs <= dueMs) return;
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
