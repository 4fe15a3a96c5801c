import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, SeededRandom, monotonicClock } from '../../../src/clock/clock.js';

describe('clocks', () => {
  it('monotonicClock gives whole, non-decreasing milliseconds near wall time', () => {
    let prev = monotonicClock.nowMs();
    for (let i = 0; i < 1000; i++) {
      const t = monotonicClock.nowMs();
      assert.ok(Number.isInteger(t), `integer (machines put times on the wire as integers): ${t}`);
      assert.ok(t >= prev);
      prev = t;
    }
    assert.ok(Math.abs(prev - Date.now()) < 60_000);
  });

  it('ManualClock only moves forward', () => {
    const c = new ManualClock(10);
    c.advance(5);
    assert.equal(c.nowMs(), 15);
    assert.throws(() => c.set(14), /cannot go back/);
  });
});

describe('SeededRandom', () => {
  it('replays the same stream for the same seed, and differs across seeds', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const sa = Array.from({ length: 20 }, () => a.float());
    assert.deepEqual(sa, Array.from({ length: 20 }, () => b.float()));
    assert.notDeepEqual(sa, Array.from({ length: 20 }, () => c.float()));
    for (const x of sa) assert.ok(x >= 0 && x < 1);
    const r = new SeededRandom(7);
    for (let i = 0; i < 1000; i++) {
      const n = r.int(10);
      assert.ok(Number.isInteger(n) && n >= 0 && n < 10);
    }
  });
});
