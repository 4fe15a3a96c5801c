import { isDeepStrictEqual } from 'node:util';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/clock/clock.js';
import { HybridClock, compareHlc } from '../../../src/clock/hlc.js';
import { isSessionMeshError } from '../../../src/errors.js';
import { TOMBSTONE } from '../../../src/session/attrs.js';
import { applyDelta } from '../../../src/session/merge.js';
import { attributeCount, expiresAtMs, isExpired, toPlainData, touch } from '../../../src/session/record.js';
import { applyUpdate, createRecord, destroyRecord, writeStamp } from '../../../src/session/update.js';
import { decodeRecord, encodeRecord } from '../../../src/session/codec.js';
import { SESSION_ID } from './arbitraries.js';

function setup(startMs = 1_000_000) {
  const clock = new ManualClock(startMs);
  const hlc = new HybridClock('primary', clock);
  const w = () => ({ stamp: hlc.now(), nowMs: clock.nowMs() });
  return { clock, hlc, w };
}

describe('createRecord', () => {
  it('builds version 1 with every attribute at the create stamp', () => {
    const { w } = setup();
    const opts = { ...w(), maxIdleMs: 60_000 };
    const r = createRecord(SESSION_ID, { user: 'ann', when: new Date(5), bin: new Uint8Array([7]) }, opts);
    assert.equal(r.version, 1);
    assert.equal(r.createdAtMs, 1_000_000);
    assert.equal(r.lastAccessMs, 1_000_000);
    assert.equal(r.maxIdleMs, 60_000);
    assert.deepEqual(r.stamp, opts.stamp);
    assert.deepEqual(r.maxIdleStamp, opts.stamp);
    assert.equal(r.destroyed, false);
    assert.equal(attributeCount(r), 3);
    const data = toPlainData(r);
    assert.deepEqual(Object.keys(data).sort(), ['bin', 'user', 'when']);
    assert.ok(data.when instanceof Date && Buffer.isBuffer(data.bin));
  });

  it('refuses a bad id, a bad maxIdleMs, bad data', () => {
    const { w } = setup();
    const ok = { ...w(), maxIdleMs: 1000 };
    const code = (c: string) => (e: unknown) => isSessionMeshError(e) && e.code === c;
    assert.throws(() => createRecord('short', {}, ok), code('ERR_INVALID_VALUE'));
    assert.throws(() => createRecord(SESSION_ID, {}, { ...ok, maxIdleMs: 0 }), code('ERR_INVALID_VALUE'));
    assert.throws(() => createRecord(SESSION_ID, {}, { ...ok, maxIdleMs: 1.5 }), code('ERR_INVALID_VALUE'));
    assert.throws(() => createRecord(SESSION_ID, { f: () => 1 }, ok), code('ERR_INVALID_VALUE'));
    assert.throws(() => createRecord(SESSION_ID, new Map() as never, ok), code('ERR_INVALID_VALUE'));
  });
});

describe('applyUpdate', () => {
  it('sets and deletes; the delta holds only the changes; the version goes up by one', () => {
    const { w } = setup();
    const r0 = createRecord(SESSION_ID, { a: 1, b: 2, c: 3 }, { ...w(), maxIdleMs: 1000 });
    const opts = w();
    const { record: r1, delta, changed } = applyUpdate(r0, { set: { a: 10, d: [4] }, delete: ['b', 'nope'] }, opts);
    assert.equal(changed, true);
    assert.equal(r1.version, 2);
    assert.deepEqual(toPlainData(r1), { a: 10, c: 3, d: [4] });
    assert.deepEqual(toPlainData(r0), { a: 1, b: 2, c: 3 }, 'the old record is untouched');
    // Delta: a, b (tombstone), d, and the absent 'nope' (a tombstone too: every named attribute
    // is written, see acknowledged-writes.test.ts); not c.
    assert.deepEqual(
      delta.attrs.filter((_, i) => i % 3 === 0),
      ['a', 'b', 'd', 'nope'],
    );
    assert.equal(delta.attrs[10], TOMBSTONE);
    assert.ok(delta.attrs.every((x, i) => i % 3 !== 2 || isDeepStrictEqual(x, opts.stamp)));
    assert.equal(delta.version, 2);
    assert.deepEqual(delta.stamp, opts.stamp);
  });

  it('a deep-equal value is written again: re-stamped, in the delta', () => {
    const { w } = setup();
    const r0 = createRecord(SESSION_ID, { a: { x: [1, new Date(3)] }, b: 1 }, { ...w(), maxIdleMs: 1000 });
    const opts = w();
    const { record, delta } = applyUpdate(r0, { set: { a: { x: [1, new Date(3)] }, b: 2 } }, opts);
    assert.deepEqual(
      delta.attrs.filter((_, i) => i % 3 === 0),
      ['a', 'b'],
    );
    assert.deepEqual(record.attrs[2], opts.stamp, 'a carries the write stamp');
    assert.equal(record.attrs[1], r0.attrs[1], 'and the same encoded value');
    assert.deepEqual(applyDelta(r0, delta), record);
  });

  it('an update that names nothing keeps the version and only touches', () => {
    const { clock, w } = setup();
    const r0 = createRecord(SESSION_ID, { a: 1 }, { ...w(), maxIdleMs: 1000 });
    clock.advance(10);
    const { record, delta, changed } = applyUpdate(r0, { set: {}, delete: [] }, w());
    assert.equal(changed, false);
    assert.equal(record.version, 1);
    assert.equal(record.lastAccessMs, r0.lastAccessMs + 10);
    assert.equal(delta.attrs.length, 0);
    assert.deepEqual(applyDelta(r0, delta), record);
    // Naming an attribute, even with its current value or to delete it when absent, is a write.
    const named = applyUpdate(r0, { set: { a: 1 }, delete: ['zzz'] }, w());
    assert.equal(named.changed, true);
    assert.equal(named.record.version, 2);
    assert.deepEqual(applyDelta(r0, named.delta), named.record);
  });

  it('set to undefined deletes; a name both set and deleted is refused', () => {
    const { w } = setup();
    const r0 = createRecord(SESSION_ID, { a: 1, b: 2 }, { ...w(), maxIdleMs: 1000 });
    const { record } = applyUpdate(r0, { set: { a: undefined } }, w());
    assert.deepEqual(toPlainData(record), { b: 2 });
    assert.throws(
      () => applyUpdate(r0, { set: { a: 3 }, delete: ['a'] }, w()),
      (e: unknown) => isSessionMeshError(e, 'ERR_INVALID_VALUE'),
    );
  });

  it('refuses reserved names and bad shapes', () => {
    const { w } = setup();
    const r0 = createRecord(SESSION_ID, {}, { ...w(), maxIdleMs: 1000 });
    for (const update of [{ set: JSON.parse('{"__proto__": 1}') }, { set: { constructor: 1 } }, { delete: ['prototype'] }, { delete: [1] }, { set: [] }, { delete: 'a' }]) {
      assert.throws(() => applyUpdate(r0, update as never, w()), (e: unknown) => isSessionMeshError(e, 'ERR_INVALID_VALUE'), JSON.stringify(update));
    }
  });

  it('ifVersion: a mismatch is ERR_VERSION_CONFLICT, a match applies', () => {
    const { w } = setup();
    const r0 = createRecord(SESSION_ID, { a: 1 }, { ...w(), maxIdleMs: 1000 });
    assert.throws(
      () => applyUpdate(r0, { set: { a: 2 } }, { ...w(), ifVersion: 0 }),
      (e: unknown) => isSessionMeshError(e, 'ERR_VERSION_CONFLICT') && e.details?.actual === 1 && e.details?.expected === 0,
    );
    const { record } = applyUpdate(r0, { set: { a: 2 } }, { ...w(), ifVersion: 1 });
    assert.equal(record.version, 2);
    assert.throws(() => applyUpdate(record, { set: { a: 3 } }, { ...w(), ifVersion: 1 }), (e: unknown) => isSessionMeshError(e, 'ERR_VERSION_CONFLICT'));
  });

  it('a destroyed session cannot be updated (ERR_NOT_FOUND)', () => {
    const { w } = setup();
    const r0 = createRecord(SESSION_ID, { a: 1 }, { ...w(), maxIdleMs: 1000 });
    const gone = destroyRecord(r0, w());
    assert.throws(() => applyUpdate(gone, { set: { a: 2 } }, w()), (e: unknown) => isSessionMeshError(e, 'ERR_NOT_FOUND'));
  });

  it('a stale stamp is a driver bug and throws loudly', () => {
    const { w } = setup();
    const old = w();
    const r0 = createRecord(SESSION_ID, { a: 1 }, { ...w(), maxIdleMs: 1000 });
    assert.throws(() => applyUpdate(r0, { set: { a: 2 } }, old), /not newer/);
  });

  it('maxIdleMs is updatable and replicated with its own stamp', () => {
    const { w } = setup();
    const r0 = createRecord(SESSION_ID, { a: 1 }, { ...w(), maxIdleMs: 1000 });
    const opts = w();
    const { record, delta, changed } = applyUpdate(r0, { maxIdleMs: 5000 }, opts);
    assert.equal(changed, true);
    assert.equal(record.maxIdleMs, 5000);
    assert.deepEqual(record.maxIdleStamp, opts.stamp);
    assert.deepEqual(applyDelta(r0, delta), record);
  });
});

describe('limits: refused with ERR_SESSION_TOO_LARGE and nothing changed', () => {
  const small = { maxSessionBytes: 200, maxAttributes: 3, maxValueDepth: 8 };

  it('maxSessionBytes counts the live data after the update', () => {
    const { w } = setup();
    const r0 = createRecord(SESSION_ID, { a: 'x'.repeat(100) }, { ...w(), maxIdleMs: 1000, limits: small });
    const snapshot = encodeRecord(r0).slice();
    assert.throws(
      () => applyUpdate(r0, { set: { b: 'y'.repeat(100) } }, { ...w(), limits: small }),
      (e: unknown) => isSessionMeshError(e, 'ERR_SESSION_TOO_LARGE') && (e.details?.bytes as number) > 200,
    );
    assert.deepEqual(encodeRecord(r0), snapshot);
    // Replacing the big value with another of the same size fits; deleting frees room.
    const { record } = applyUpdate(r0, { set: { a: 'z'.repeat(100) } }, { ...w(), limits: small });
    const { record: r2 } = applyUpdate(record, { delete: ['a'], set: { b: 'y'.repeat(150) } }, { ...w(), limits: small });
    assert.equal(r2.liveBytes(), 1 + 1 + 2 + 150);
  });

  it('liveBytes is exactly the per-attribute encoded sizes, maintained incrementally', () => {
    const { w } = setup();
    let r = createRecord(SESSION_ID, { a: 1, b: 'hello' }, { ...w(), maxIdleMs: 1000 });
    r = applyUpdate(r, { set: { c: [1, 2, 3], a: 'longer string' }, delete: ['b'] }, w()).record;
    const fromScratch = decodeRecord(encodeRecord(r)); // size unknown: computed from its table
    assert.equal(r.liveBytes(), 2 + 14 + 2 + 4);
    assert.equal(r.liveBytes(), fromScratch.liveBytes());
  });

  it('maxAttributes counts live attributes; tombstones have their own cap', () => {
    const { w } = setup();
    const r0 = createRecord(SESSION_ID, { a: 1, b: 2, c: 3 }, { ...w(), maxIdleMs: 1000, limits: small });
    assert.throws(
      () => applyUpdate(r0, { set: { d: 4 } }, { ...w(), limits: small }),
      (e: unknown) => isSessionMeshError(e, 'ERR_SESSION_TOO_LARGE') && e.details?.maxAttributes === 3,
    );
    assert.equal(attributeCount(r0), 3);
    // Swapping one for another is fine: 3 live, 4 entries (one tombstone).
    let r = applyUpdate(r0, { set: { d: 4 }, delete: ['a'] }, { ...w(), limits: small }).record;
    r = applyUpdate(r, { set: { e: 5 }, delete: ['b'] }, { ...w(), limits: small }).record;
    r = applyUpdate(r, { set: { f: 6 }, delete: ['c'] }, { ...w(), limits: small }).record;
    assert.equal(r.attrs.length / 3, 6);
    assert.throws(
      () => applyUpdate(r, { set: { g: 7 }, delete: ['d'] }, { ...w(), limits: small }),
      (e: unknown) => isSessionMeshError(e, 'ERR_SESSION_TOO_LARGE') && e.details?.entries === 7,
    );
    // Re-using a deleted name needs no new entry.
    assert.doesNotThrow(() => applyUpdate(r, { set: { a: 7 }, delete: ['d'] }, { ...w(), limits: small }));
  });

  it('createRecord enforces the same limits', () => {
    const { w } = setup();
    assert.throws(
      () => createRecord(SESSION_ID, { a: 1, b: 2, c: 3, d: 4 }, { ...w(), maxIdleMs: 1000, limits: small }),
      (e: unknown) => isSessionMeshError(e, 'ERR_SESSION_TOO_LARGE'),
    );
  });
});

describe('destroy, touch, expiry', () => {
  it('destroyRecord drops attributes and bumps the version', () => {
    const { w } = setup();
    const r0 = createRecord(SESSION_ID, { a: 1 }, { ...w(), maxIdleMs: 1000 });
    const gone = destroyRecord(r0, w());
    assert.equal(gone.destroyed, true);
    assert.equal(gone.version, 2);
    assert.equal(gone.attrs.length, 0);
    assert.deepEqual(toPlainData(gone), {});
    assert.equal(destroyRecord(gone, w()), gone, 'destroying twice is a no-op');
  });

  it('touch moves lastAccessMs forward only, and returns the same record otherwise', () => {
    const { w } = setup();
    const r0 = createRecord(SESSION_ID, { a: 1 }, { ...w(), maxIdleMs: 1000 });
    const later = touch(r0, r0.lastAccessMs + 500);
    assert.equal(later.lastAccessMs, r0.lastAccessMs + 500);
    assert.equal(later.version, r0.version);
    assert.equal(later.body, r0.body, 'the packed state is shared, not copied');
    assert.equal(touch(later, r0.lastAccessMs), later);
  });

  it('isExpired: at lastAccess + maxIdle, later by graceMs on backups', () => {
    const { w } = setup(0);
    const r = createRecord(SESSION_ID, { a: 1 }, { ...w(), maxIdleMs: 1000 });
    assert.equal(expiresAtMs(r), 1000);
    assert.equal(isExpired(r, 999), false);
    assert.equal(isExpired(r, 1000), true);
    assert.equal(isExpired(r, 1000, 200), false, 'a backup keeps it through the grace margin');
    assert.equal(isExpired(r, 1199, 200), false);
    assert.equal(isExpired(r, 1200, 200), true);
    const touched = touch(r, 900);
    assert.equal(isExpired(touched, 1500), false);
    assert.equal(isExpired(touched, 1900), true);
  });

  it('toPlainData returns copies: mutating them does not change the record', () => {
    const { w } = setup();
    const r = createRecord(SESSION_ID, { cart: { items: [1] }, d: new Date(1), b: Buffer.from([1]) }, { ...w(), maxIdleMs: 1000 });
    const view = toPlainData(r) as { cart: { items: number[] }; d: Date; b: Buffer };
    view.cart.items.push(2);
    view.d.setTime(99);
    view.b[0] = 9;
    const again = toPlainData(r) as typeof view;
    assert.deepEqual(again.cart.items, [1]);
    assert.equal(again.d.getTime(), 1);
    assert.equal(again.b[0], 1);
  });
});

describe('writeStamp', () => {
  it('gives a stamp newer than a record written by a member whose clock is ahead', () => {
    const fast = setup(5_000);
    const r0 = createRecord(SESSION_ID, { a: 1 }, { ...fast.w(), maxIdleMs: 1000 });
    const slowClock = new ManualClock(4_000); // 1 s behind, within the default drift bound
    const slow = new HybridClock('new-primary', slowClock);
    const stamp = writeStamp(slow, r0);
    assert.ok(compareHlc(stamp, r0.stamp) > 0);
    assert.doesNotThrow(() => applyUpdate(r0, { set: { a: 2 } }, { stamp, nowMs: slowClock.nowMs() }));
    assert.ok(compareHlc(writeStamp(slow, r0), stamp) > 0, 'and a plain tick once the clock is past it');
  });

  it('refuses (ERR_NOT_PRIMARY) a record written under a newer epoch than the clock has adopted, and leaves the clock alone', () => {
    const newer = setup(5_000);
    newer.hlc.advanceEpoch(8);
    const r0 = createRecord(SESSION_ID, { a: 1 }, { ...newer.w(), maxIdleMs: 1000 });
    const stale = new HybridClock('stale-primary', new ManualClock(9_000));
    stale.advanceEpoch(7);
    const before = stale.current();
    assert.throws(
      () => writeStamp(stale, r0),
      (e: unknown) => isSessionMeshError(e, 'ERR_NOT_PRIMARY') && e.details?.epoch === 8 && e.details?.ownEpoch === 7,
    );
    assert.equal(stale.current(), before, 'no stamp issued, nothing received');
    stale.advanceEpoch(8);
    const stamp = writeStamp(stale, r0);
    assert.ok(compareHlc(stamp, r0.stamp) > 0);
    assert.equal(stamp.epoch, 8);
  });

  it('writes over an older epoch with the clock’s own epoch, whatever the record’s wall time', () => {
    const old = setup(9_000); // a clock ahead of ours (within the drift bound)
    old.hlc.advanceEpoch(3);
    const r0 = createRecord(SESSION_ID, { a: 1 }, { ...old.w(), maxIdleMs: 1000 });
    const clock = new ManualClock(5_000);
    const hlc = new HybridClock('new-primary', clock);
    hlc.advanceEpoch(4);
    const stamp = writeStamp(hlc, r0);
    assert.equal(stamp.epoch, 4);
    assert.equal(stamp.wallMs, 5_000, 'its own wall time: the older epoch is beaten without taking the record’s');
    assert.ok(compareHlc(stamp, r0.stamp) > 0);
    assert.doesNotThrow(() => applyUpdate(r0, { set: { a: 2 } }, { stamp, nowMs: clock.nowMs() }));
  });
});
