/**
 * Every acknowledged write leaves a stamp (issue #11, defect 3; DESIGN.md §7): a delete of an
 * attribute the primary's copy does not hold leaves a tombstone, a set to the value the copy
 * already holds re-stamps it. Otherwise the other copy of a split (or a backup that got a write
 * the primary's copy never saw) brings the older state back at the merge.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../../../src/clock/clock.js';
import { HybridClock, compareHlc } from '../../../src/clock/hlc.js';
import { partsFromWire } from '../../../src/session/codec.js';
import { applyDelta, mergeParts, mergeRecords } from '../../../src/session/merge.js';
import { type SessionRecord, toPlainData } from '../../../src/session/record.js';
import { applyUpdate, createRecord, writeStamp } from '../../../src/session/update.js';
import { encodeValue, encodedEqual } from '../../../src/session/values.js';
import { SESSION_ID, normalise, rawValueArb } from './arbitraries.js';

const RUNS = { numRuns: 200 };
const T0 = 1_700_000_000_000;
const nameArb = fc.constantFrom('a', 'b', 'c', 'k');
const baseArb = fc.dictionary(fc.constantFrom('a', 'b', 'c'), rawValueArb, { maxKeys: 3, noNullPrototype: true });

/** Two members' clocks; B's is `aheadMs` ahead of A's, so B's write comes after A's. */
function sides(aheadMs: number) {
  const clockA = new ManualClock(T0);
  const clockB = new ManualClock(T0 + aheadMs);
  return { clockA, clockB, hlcA: new HybridClock('side-a', clockA), hlcB: new HybridClock('side-b', clockB) };
}

/** Every way `b`'s write reaches a holder of `a`: a whole-copy merge both ways, and its delta (packed and off the wire). */
function merges(a: SessionRecord, b: ReturnType<typeof applyUpdate>): SessionRecord[] {
  const w = partsFromWire(b.deltaWire);
  return [mergeRecords(a, b.record), mergeRecords(b.record, a), applyDelta(a, b.delta), mergeParts(a, w.id, w.lastAccessMs, w.parts)];
}

describe('every acknowledged write leaves a stamp that wins over everything older', () => {
  it('a delete of an attribute the primary does not hold beats an older set of it on the other copy', () => {
    fc.assert(
      fc.property(baseArb, nameArb, rawValueArb, fc.integer({ min: 1, max: 5000 }), fc.boolean(), (base, k, v, aheadMs, hadIt) => {
        const { clockA, clockB, hlcA, hlcB } = sides(aheadMs);
        const data = { ...base };
        delete data[k];
        let r0 = createRecord(SESSION_ID, hadIt ? { ...data, [k]: 'old' } : data, { stamp: hlcA.now(), nowMs: clockA.nowMs(), maxIdleMs: 60_000 });
        if (hadIt) r0 = applyUpdate(r0, { delete: [k] }, { stamp: hlcA.now(), nowMs: clockA.nowMs() }).record; // a tombstone
        clockA.advance(1);
        clockB.advance(1);
        // Copy A (e.g. the other side of a split) sets k at s1.
        const a = applyUpdate(r0, { set: { [k]: v } }, { stamp: writeStamp(hlcA, r0), nowMs: clockA.nowMs() });
        // Primary B, whose copy does not hold k, acknowledges `delete k` at s2 > s1.
        const b = applyUpdate(r0, { delete: [k] }, { stamp: writeStamp(hlcB, r0), nowMs: clockB.nowMs() });
        assert.ok(compareHlc(b.record.stamp, a.record.stamp) > 0, 'precondition: s2 > s1');
        assert.equal(b.changed, true, 'the delete is a write');
        assert.equal(b.record.version, r0.version + 1);
        assert.deepEqual(b.delta.attrs.filter((_, i) => i % 3 === 0), [k], 'the delta carries the tombstone');
        for (const m of merges(a.record, b)) assert.equal(Object.hasOwn(toPlainData(m), k), false, `${k} came back`);
      }),
      RUNS,
    );
  });

  it('a set to the value the primary already holds beats an older concurrent set of another value', () => {
    fc.assert(
      fc.property(baseArb, nameArb, rawValueArb, rawValueArb, fc.integer({ min: 1, max: 5000 }), (base, k, v, other, aheadMs) => {
        fc.pre(!encodedEqual(encodeValue(normalise(v)), encodeValue(normalise(other))));
        const { clockA, clockB, hlcA, hlcB } = sides(aheadMs);
        const r0 = createRecord(SESSION_ID, { ...base, [k]: v }, { stamp: hlcA.now(), nowMs: clockA.nowMs(), maxIdleMs: 60_000 });
        clockA.advance(1);
        clockB.advance(1);
        const a = applyUpdate(r0, { set: { [k]: other } }, { stamp: writeStamp(hlcA, r0), nowMs: clockA.nowMs() });
        const b = applyUpdate(r0, { set: { [k]: v } }, { stamp: writeStamp(hlcB, r0), nowMs: clockB.nowMs() });
        assert.ok(compareHlc(b.record.stamp, a.record.stamp) > 0, 'precondition: s2 > s1');
        assert.equal(b.changed, true, 'the set is a write');
        assert.equal(b.record.version, r0.version + 1);
        assert.deepEqual(b.delta.attrs.filter((_, i) => i % 3 === 0), [k], 'the delta carries the re-stamped value');
        const expected = toPlainData(b.record)[k];
        for (const m of merges(a.record, b)) assert.deepStrictEqual(toPlainData(m)[k], expected);
      }),
      RUNS,
    );
  });

  it('a maxIdleMs set to its current value is re-stamped too', () => {
    const { clockA, clockB, hlcA, hlcB } = sides(100);
    const r0 = createRecord(SESSION_ID, {}, { stamp: hlcA.now(), nowMs: clockA.nowMs(), maxIdleMs: 60_000 });
    const a = applyUpdate(r0, { maxIdleMs: 5_000 }, { stamp: writeStamp(hlcA, r0), nowMs: clockA.nowMs() });
    const b = applyUpdate(r0, { maxIdleMs: 60_000 }, { stamp: writeStamp(hlcB, r0), nowMs: clockB.nowMs() });
    assert.equal(b.changed, true);
    for (const m of merges(a.record, b)) assert.equal(m.maxIdleMs, 60_000);
  });

  it('an update that names nothing stays a touch: no stamp, no version, a metadata-only delta', () => {
    const { clockA, hlcA } = sides(0);
    const r0 = createRecord(SESSION_ID, { a: 1 }, { stamp: hlcA.now(), nowMs: clockA.nowMs(), maxIdleMs: 60_000 });
    clockA.advance(10);
    for (const update of [{}, { set: {} }, { delete: [] }]) {
      const u = applyUpdate(r0, update, { stamp: hlcA.now(), nowMs: clockA.nowMs() });
      assert.equal(u.changed, false);
      assert.equal(u.record.version, r0.version);
      assert.deepEqual(u.record.stamp, r0.stamp);
      assert.equal(u.record.lastAccessMs, r0.lastAccessMs + 10);
      assert.equal(u.delta.attrs.length, 0);
    }
  });
});
