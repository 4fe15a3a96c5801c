import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { ManualClock } from '../../../src/clock/clock.js';
import { MachineTimer } from '../../../src/node/machine-timer.js';

test('a pending timer due no later than the new deadline is kept; an earlier deadline re-arms', (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const clock = new ManualClock(0);
  let fired = 0;
  const timer = new MachineTimer(clock, () => fired++);
  timer.arm(100);
  timer.arm(250); // later: the 100 ms timer stays (firing early is harmless)
  mock.timers.tick(99);
  assert.equal(fired, 0);
  mock.timers.tick(1);
  assert.equal(fired, 1, 'fired at the earlier deadline');
  timer.arm(500);
  timer.arm(200); // earlier: re-armed
  mock.timers.tick(200);
  assert.equal(fired, 2);
  mock.timers.tick(1000);
  assert.equal(fired, 2, 'the replaced 500 ms timer never fires');
  timer.arm(Infinity);
  mock.timers.tick(10_000);
  assert.equal(fired, 2, 'Infinity arms nothing');
  timer.arm(50);
  timer.cancel();
  mock.timers.tick(100);
  assert.equal(fired, 2, 'cancel stops it');
});
