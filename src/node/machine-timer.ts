/**
 * One timer per pure state machine: after every step the driver calls `arm(machine.nextDeadlineMs())`
 * and the timer fires `onDue` then. A pending timer due no later than the new deadline is kept:
 * firing early is harmless (the machine's tick does only what is due, and the driver re-arms after
 * it), while re-creating a timer on every step costs more than the step itself on a busy member
 * (a deadline like "now + retryMs" moves with every operation).
 */
import type { Clock } from '../clock/clock.js';

/** After a step that threw, the next run waits at least this long: a step that keeps throwing must not spin the timer. */
export const FAILED_STEP_DELAY_MS = 1000;

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

  /**
   * Re-arms after a step: at the machine's next deadline, or no sooner than FAILED_STEP_DELAY_MS
   * from now after a step that failed. A deadline query that throws (a bug) is reported through
   * `onError` and counts as a failed step: the machine is never left without a timer.
   */
  rearm(nextDeadlineMs: () => number, failedStep: boolean, onError: (err: unknown) => void): void {
    let dueMs: number;
    try {
      dueMs = nextDeadlineMs();
    } catch (err) {
      onError(err);
      dueMs = -Infinity;
      failedStep = true;
    }
    this.arm(failedStep ? Math.max(dueMs, this.clock.nowMs() + FAILED_STEP_DELAY_MS) : dueMs);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dueMs = Infinity;
  }
}
