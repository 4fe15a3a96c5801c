import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../../../src/clock/clock.js';
import {
  type Hlc,
  HybridClock,
  MAX_HLC_LOGICAL,
  ZERO_HLC,
  compareHlc,
  decodeHlc,
  encodeHlc,
  maxHlc,
} from '../../../src/clock/hlc.js';
import { isSessionMeshError } from '../../../src/errors.js';
import { sessionPackr } from '../../../src/session/values.js';

const stamp = (wallMs: number, logical: number, nodeId: string, epoch = 0): Hlc => ({ epoch, wallMs, logical, nodeId });

/** A clock whose reading the test sets freely, backwards included (NTP steps). */
class SettableClock {
  constructor(public ms: number) {}
  nowMs(): number {
    return this.ms;
  }
}

describe('HybridClock.now', () => {
  it('follows the physical clock when it advances', () => {
    const clock = new ManualClock(1000);
    const hlc = new HybridClock('a', clock);
    assert.deepEqual(hlc.now(), stamp(1000, 0, 'a'));
    clock.advance(5);
    assert.deepEqual(hlc.now(), stamp(1005, 0, 'a'));
  });

  it('counts logically while the physical clock stands still or goes back', () => {
    const clock = new SettableClock(1000);
    const hlc = new HybridClock('a', clock);
    hlc.now();
    assert.deepEqual(hlc.now(), stamp(1000, 1, 'a'));
    clock.ms = 400; // stepped back
    assert.deepEqual(hlc.now(), stamp(1000, 2, 'a'));
    clock.ms = 1001;
    assert.deepEqual(hlc.now(), stamp(1001, 0, 'a'));
  });

  it('is strictly monotonic whatever the physical clock does', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 60 }), (readings) => {
        const clock = new SettableClock(0);
        const hlc = new HybridClock('n', clock);
        let last = hlc.current();
        for (const r of readings) {
          clock.ms = r;
          const s = hlc.now();
          assert.ok(compareHlc(s, last) > 0);
          assert.ok(s.wallMs >= r);
          last = s;
        }
      }),
      { numRuns: 200 },
    );
  });

  it('borrows a millisecond when the logical counter would pass its bound', () => {
    const clock = new SettableClock(10);
    const hlc = new HybridClock('a', clock);
    // Jump to the bound via a remote stamp, then tick.
    hlc.receive(stamp(10, MAX_HLC_LOGICAL - 1, 'b'));
    assert.deepEqual(hlc.current(), stamp(10, MAX_HLC_LOGICAL, 'a'));
    assert.deepEqual(hlc.now(), stamp(11, 0, 'a'));
  });
});

describe('HybridClock.receive', () => {
  it('physical clock ahead of both: logical resets', () => {
    const clock = new SettableClock(2000);
    const hlc = new HybridClock('a', clock);
    assert.deepEqual(hlc.receive(stamp(1500, 7, 'b')), stamp(2000, 0, 'a'));
  });

  it('remote ahead: adopts its wall time, logical + 1', () => {
    const clock = new SettableClock(1000);
    const hlc = new HybridClock('a', clock);
    hlc.now();
    assert.deepEqual(hlc.receive(stamp(1500, 7, 'b')), stamp(1500, 8, 'a'));
  });

  it('local ahead: keeps its wall time, logical + 1', () => {
    const clock = new SettableClock(1000);
    const hlc = new HybridClock('a', clock);
    hlc.receive(stamp(1500, 3, 'b')); // local is now 1500.4
    assert.deepEqual(hlc.receive(stamp(1200, 9, 'b')), stamp(1500, 5, 'a'));
  });

  it('same wall time: max logical + 1', () => {
    const clock = new SettableClock(1000);
    const hlc = new HybridClock('a', clock);
    hlc.receive(stamp(1500, 3, 'b')); // 1500.4
    assert.deepEqual(hlc.receive(stamp(1500, 9, 'c')), stamp(1500, 10, 'a'));
    assert.deepEqual(hlc.receive(stamp(1500, 2, 'c')), stamp(1500, 11, 'a'));
  });

  it('refuses a stamp more than maxDriftMs ahead and does not move', () => {
    const clock = new SettableClock(1000);
    const hlc = new HybridClock('a', clock, { maxDriftMs: 100 });
    const before = hlc.now();
    assert.equal(hlc.receive(stamp(1101, 0, 'b')), null);
    assert.equal(hlc.current(), before);
    assert.deepEqual(hlc.now(), stamp(1000, 1, 'a'), 'the refused stamp left no trace');
    // Exactly at the bound is accepted.
    assert.deepEqual(hlc.receive(stamp(1100, 0, 'b')), stamp(1100, 1, 'a'));
  });

  it('a peer with a broken clock cannot drag clocks forward: chained forwarding stays within the bound', () => {
    // b's physical clock is honest; a relays whatever it accepted. Far-future stamps never land.
    const clockA = new SettableClock(10_000);
    const clockB = new SettableClock(10_000);
    const a = new HybridClock('a', clockA, { maxDriftMs: 50 });
    const b = new HybridClock('b', clockB, { maxDriftMs: 50 });
    for (let i = 0; i < 100; i++) {
      const fromBroken = stamp(10_000 + 1000 * (i + 1), 0, 'broken');
      assert.equal(a.receive(fromBroken), null);
      const relayed = a.now();
      assert.ok(b.receive(relayed) !== null);
    }
    assert.ok(a.current().wallMs <= 10_000 + 50);
    assert.ok(b.current().wallMs <= 10_000 + 50);
  });

  it('the result is above the remote stamp and every earlier stamp (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ pt: fc.integer({ min: 0, max: 40 }), remoteWall: fc.integer({ min: 0, max: 60 }), remoteLogical: fc.integer({ min: 0, max: 5 }) }),
          { maxLength: 40 },
        ),
        (events) => {
          const clock = new SettableClock(0);
          const hlc = new HybridClock('m', clock, { maxDriftMs: 10 });
          let last = hlc.current();
          for (const e of events) {
            clock.ms = e.pt;
            const remote = stamp(e.remoteWall, e.remoteLogical, 'r');
            const got = hlc.receive(remote);
            if (e.remoteWall - e.pt > 10) {
              assert.equal(got, null);
              assert.equal(hlc.current(), last);
            } else {
              assert.ok(got !== null);
              assert.ok(compareHlc(got, remote) > 0);
              assert.ok(compareHlc(got, last) > 0);
              last = got;
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('compareHlc', () => {
  it('orders by wall time, then logical, then node id', () => {
    assert.ok(compareHlc(stamp(1, 9, 'z'), stamp(2, 0, 'a')) < 0);
    assert.ok(compareHlc(stamp(2, 1, 'a'), stamp(2, 0, 'z')) > 0);
    assert.ok(compareHlc(stamp(2, 1, 'a'), stamp(2, 1, 'b')) < 0);
    assert.equal(compareHlc(stamp(2, 1, 'a'), stamp(2, 1, 'a')), 0);
    assert.ok(compareHlc(ZERO_HLC, stamp(0, 0, 'a')) < 0);
    assert.deepEqual(maxHlc(stamp(1, 0, 'a'), stamp(0, 5, 'b')), stamp(1, 0, 'a'));
  });

  it('is a total order (antisymmetric, transitive)', () => {
    const arb = fc.record({ epoch: fc.integer({ min: 0, max: 2 }), wallMs: fc.integer({ min: 0, max: 3 }), logical: fc.integer({ min: 0, max: 3 }), nodeId: fc.constantFrom('a', 'b', 'c') });
    fc.assert(
      fc.property(arb, arb, arb, (x, y, z) => {
        assert.equal(Math.sign(compareHlc(x, y)) + Math.sign(compareHlc(y, x)), 0);
        if (compareHlc(x, y) <= 0 && compareHlc(y, z) <= 0) assert.ok(compareHlc(x, z) <= 0);
        assert.equal(compareHlc(x, y) === 0, x.epoch === y.epoch && x.wallMs === y.wallMs && x.logical === y.logical && x.nodeId === y.nodeId);
        if (x.epoch !== y.epoch) assert.equal(Math.sign(compareHlc(x, y)), Math.sign(x.epoch - y.epoch), 'the epoch ranks first');
      }),
      { numRuns: 300 },
    );
  });

  it('ranks the epoch before everything else: an older epoch loses whatever its wall time', () => {
    assert.ok(compareHlc(stamp(9_999_999, 99, 'z', 4), stamp(1, 0, 'a', 5)) < 0);
    assert.ok(compareHlc(stamp(1, 0, 'a', 5), stamp(9_999_999, 99, 'z', 4)) > 0);
    assert.ok(compareHlc(ZERO_HLC, stamp(0, 0, 'a', 0)) < 0);
    assert.equal(ZERO_HLC.epoch, 0);
  });
});

describe('HybridClock epochs', () => {
  it('stamps carry the adopted epoch; advanceEpoch never lowers it', () => {
    const clock = new ManualClock(1000);
    const h = new HybridClock('a', clock);
    assert.equal(h.epoch, 0);
    assert.equal(h.now().epoch, 0);
    h.advanceEpoch(7);
    assert.equal(h.now().epoch, 7);
    h.advanceEpoch(3);
    assert.equal(h.epoch, 7);
    assert.equal(h.now().epoch, 7);
    h.advanceEpoch(7);
    assert.equal(h.now().epoch, 7);
    assert.throws(() => h.advanceEpoch(-1));
    assert.throws(() => h.advanceEpoch(1.5));
    assert.throws(() => h.advanceEpoch(2 ** 53));
    assert.equal(h.epoch, 7);
  });

  it('issues strictly increasing stamps across epoch changes, clock steps and receipts', () => {
    const clock = new SettableClock(5_000);
    const h = new HybridClock('a', clock);
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ k: fc.constant('step' as const), ms: fc.integer({ min: -3_000, max: 3_000 }) }),
            fc.record({ k: fc.constant('epoch' as const), e: fc.integer({ min: 0, max: 20 }) }),
            fc.record({ k: fc.constant('receive' as const), s: fc.record({ epoch: fc.integer({ min: 0, max: 30 }), wallMs: fc.integer({ min: 0, max: 20_000 }), logical: fc.integer({ min: 0, max: 5 }), nodeId: fc.constantFrom('b', 'c') }) }),
          ),
          { maxLength: 30 },
        ),
        (events) => {
          let last = h.now();
          for (const ev of events) {
            if (ev.k === 'step') clock.ms = Math.max(0, clock.ms + ev.ms);
            else if (ev.k === 'epoch') h.advanceEpoch(ev.e);
            else {
              const r = h.receive(ev.s);
              if (r !== null) {
                assert.ok(compareHlc(r, last) > 0);
                assert.equal(r.epoch, h.epoch, 'receive keeps the clock epoch');
                assert.ok(r.wallMs > ev.s.wallMs || (r.wallMs === ev.s.wallMs && r.logical > ev.s.logical), 'newer in (wall, logical)');
                last = r;
              }
            }
            const n = h.now();
            assert.ok(compareHlc(n, last) > 0);
            assert.equal(n.epoch, h.epoch);
            last = n;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('HLC wire form', () => {
  it('round-trips through msgpack as a 4-tuple', () => {
    const s = stamp(1_700_000_000_123, 42, 'member-1', 12);
    const bytes = sessionPackr.pack(encodeHlc(s));
    assert.ok(bytes.length <= 23, `compact: ${bytes.length} bytes`);
    assert.deepEqual(decodeHlc(sessionPackr.unpack(bytes)), s);
    for (const epoch of [0, 127, 128, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      const e = stamp(5, 0, 'a', epoch);
      assert.deepEqual(decodeHlc(sessionPackr.unpack(sessionPackr.pack(encodeHlc(e)))), e);
    }
  });

  it('refuses malformed input with ERR_BAD_FRAME', () => {
    const bad: unknown[] = [
      null,
      'x',
      [],
      [1, 2],
      [1, 0, 'a'],
      [0, 1, 2, 'a', 4],
      [0, -1, 0, 'a'],
      [0, 1.5, 0, 'a'],
      [0, 2 ** 48, 0, 'a'],
      [0, 1, -1, 'a'],
      [0, 1, 2 ** 31, 'a'],
      [0, 1, 0, ''],
      [0, 1, 0, 'x'.repeat(129)],
      [0, 1, 0, 7],
      [0, '1', 0, 'a'],
      [-1, 1, 0, 'a'],
      [1.5, 1, 0, 'a'],
      [2 ** 53, 1, 0, 'a'],
      [NaN, 1, 0, 'a'],
      [Infinity, 1, 0, 'a'],
      ['1', 1, 0, 'a'],
      [null, 1, 0, 'a'],
      { 0: 0, 1: 1, 2: 0, 3: 'a', length: 4 },
    ];
    for (const x of bad) {
      assert.throws(() => decodeHlc(x), (e: unknown) => isSessionMeshError(e, 'ERR_BAD_FRAME'), JSON.stringify(x));
    }
  });

  it('never throws anything but ERR_BAD_FRAME on random input', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        try {
          const s = decodeHlc(x);
          assert.deepEqual(decodeHlc(encodeHlc(s)), s);
        } catch (e) {
          assert.ok(isSessionMeshError(e, 'ERR_BAD_FRAME'), String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('HybridClock construction', () => {
  it('refuses an empty node id and a negative drift bound', () => {
    assert.throws(() => new HybridClock('', new ManualClock()));
    assert.throws(() => new HybridClock('a', new ManualClock(), { maxDriftMs: -1 }));
  });
});
