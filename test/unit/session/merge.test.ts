import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../../../src/clock/clock.js';
import { type Hlc, HybridClock } from '../../../src/clock/hlc.js';
import { TOMBSTONE } from '../../../src/session/attrs.js';
import { decodeRecord, encodeRecord, partsFromWire, recordToWire } from '../../../src/session/codec.js';
import { applyDelta, mergeParts, mergeRecords } from '../../../src/session/merge.js';
import { type SessionRecord, toPlainData, touch } from '../../../src/session/record.js';
import { applyUpdate, createRecord, destroyRecord, writeStamp } from '../../../src/session/update.js';
import { isSessionMeshError } from '../../../src/errors.js';
import { SESSION_ID, recordOf, rawValueArb, recordArb, typesOf } from './arbitraries.js';

const RUNS = { numRuns: 150 };
const s = (wallMs: number, logical = 0, nodeId = 'n1', epoch = 0): Hlc => ({ epoch, wallMs, logical, nodeId });
const rec = (attrs: unknown[], stamp: Hlc, destroyed = false) => recordOf(SESSION_ID, 1, 0, 0, 1000, s(0), stamp, destroyed, attrs);

describe('mergeParts (a backup merging a delta off the wire without packing it)', () => {
  it('gives exactly what mergeRecords gives with the packed copy', () => {
    fc.assert(
      fc.property(recordArb, recordArb, (a, b) => {
        const w = partsFromWire(recordToWire(b));
        assert.deepStrictEqual(mergeParts(a, w.id, w.lastAccessMs, w.parts), mergeRecords(a, b));
        assert.deepStrictEqual(mergeParts(undefined, w.id, w.lastAccessMs, w.parts), b);
      }),
      { numRuns: 500 },
    );
  });

  it('returns the stored copy itself when the delta adds nothing (a duplicate)', () => {
    fc.assert(
      fc.property(recordArb, (a) => {
        const w = partsFromWire(recordToWire(a));
        assert.equal(mergeParts(a, w.id, w.lastAccessMs, w.parts), a);
      }),
      { numRuns: 200 },
    );
  });
});

describe('mergeRecords: lattice properties', () => {
  it('is commutative', () => {
    fc.assert(
      fc.property(recordArb, recordArb, (a, b) => {
        assert.deepStrictEqual(mergeRecords(a, b), mergeRecords(b, a));
      }),
      RUNS,
    );
  });

  it('is associative', () => {
    fc.assert(
      fc.property(recordArb, recordArb, recordArb, (a, b, c) => {
        assert.deepStrictEqual(mergeRecords(mergeRecords(a, b), c), mergeRecords(a, mergeRecords(b, c)));
      }),
      RUNS,
    );
  });

  it('is idempotent, and absorbs what it already holds', () => {
    fc.assert(
      fc.property(recordArb, recordArb, (a, b) => {
        assert.equal(mergeRecords(a, a), a);
        const ab = mergeRecords(a, b);
        assert.deepStrictEqual(mergeRecords(ab, b), ab);
        assert.deepStrictEqual(mergeRecords(ab, a), ab);
      }),
      RUNS,
    );
  });

  it('destroyed is terminal: any merge with a destroyed copy is destroyed and empty', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 5 }), (copies) => {
        const merged = copies.reduce((x, y) => mergeRecords(x, y));
        const anyDestroyed = copies.some((c) => c.destroyed);
        assert.equal(merged.destroyed, anyDestroyed);
        if (anyDestroyed) assert.equal(merged.attrs.length, 0);
      }),
      RUNS,
    );
  });

  it('keeps Dates and binaries as Dates and Buffers through merges and the wire', () => {
    fc.assert(
      fc.property(recordArb, recordArb, (a, b) => {
        const direct = mergeRecords(a, b);
        const wired = mergeRecords(decodeRecord(encodeRecord(a)), decodeRecord(encodeRecord(b)));
        assert.deepStrictEqual(wired, direct);
        assert.equal(typesOf(toPlainData(wired)), typesOf(toPlainData(direct)));
      }),
      RUNS,
    );
  });
});

describe('mergeRecords: LWW rules', () => {
  it('a newer tombstone beats an older write; an older tombstone loses to a newer write', () => {
    const write = rec(['a', 'v1', s(2)], s(2));
    const newerDelete = rec(['a', TOMBSTONE, s(3)], s(3));
    const olderDelete = rec(['a', TOMBSTONE, s(1)], s(1));
    assert.deepEqual(toPlainData(mergeRecords(write, newerDelete)), {});
    assert.deepEqual(toPlainData(mergeRecords(newerDelete, write)), {});
    assert.deepEqual(toPlainData(mergeRecords(write, olderDelete)), { a: 'v1' });
    assert.deepEqual(toPlainData(mergeRecords(olderDelete, write)), { a: 'v1' });
  });

  it('the greater stamp wins per attribute, node id breaking wall/logical ties', () => {
    const x = rec(['a', 'x', s(5, 0, 'n1'), 'b', 'x', s(1)], s(5, 0, 'n1'));
    const y = rec(['a', 'y', s(5, 0, 'n2'), 'b', 'y', s(0, 9)], s(5, 0, 'n2'));
    assert.deepEqual(toPlainData(mergeRecords(x, y)), { a: 'y', b: 'x' });
  });

  it('stamps rank by epoch first: a write from epoch E loses to one from E + 1 even with a far later wall time', () => {
    const stale = rec(['a', 'stale', s(9_999_999_999, 50, 'old-primary', 4)], s(9_999_999_999, 50, 'old-primary', 4));
    const newer = rec(['a', 'newer', s(1, 0, 'new-primary', 5)], s(1, 0, 'new-primary', 5));
    assert.deepEqual(toPlainData(mergeRecords(stale, newer)), { a: 'newer' });
    assert.deepEqual(toPlainData(mergeRecords(newer, stale)), { a: 'newer' });
    assert.deepEqual(mergeRecords(stale, newer).stamp, s(1, 0, 'new-primary', 5));
    // A newer-epoch tombstone beats an older-epoch write too, and maxIdleMs follows the same rule.
    const deleted = rec(['a', TOMBSTONE, s(1, 0, 'new-primary', 5)], s(1, 0, 'new-primary', 5));
    assert.deepEqual(toPlainData(mergeRecords(stale, deleted)), {});
    const idleStale = recordOf(SESSION_ID, 2, 0, 0, 5000, s(9_000, 0, 'old', 4), s(9_000, 0, 'old', 4), false, []);
    const idleNewer = recordOf(SESSION_ID, 2, 0, 0, 2000, s(1, 0, 'new', 5), s(1, 0, 'new', 5), false, []);
    assert.equal(mergeRecords(idleStale, idleNewer).maxIdleMs, 2000);
    assert.equal(mergeRecords(idleNewer, idleStale).maxIdleMs, 2000);
  });

  it('per attribute, the entry of the higher epoch wins whatever the wall times and node ids', () => {
    const h = fc.record({ epoch: fc.integer({ min: 0, max: 3 }), wallMs: fc.integer({ min: 0, max: 2 ** 40 }), logical: fc.nat(5), nodeId: fc.constantFrom('n1', 'n2', 'n3') }, { noNullPrototype: true });
    fc.assert(
      fc.property(h, h, fc.boolean(), fc.boolean(), (x, y, xDead, yDead) => {
        fc.pre(x.epoch !== y.epoch);
        const a = rec(['k', xDead ? TOMBSTONE : 'x', x], x);
        const b = rec(['k', yDead ? TOMBSTONE : 'y', y], y);
        const expected = x.epoch > y.epoch ? (xDead ? {} : { k: 'x' }) : yDead ? {} : { k: 'y' };
        assert.deepEqual(toPlainData(mergeRecords(a, b)), expected);
        assert.deepEqual(toPlainData(mergeRecords(b, a)), expected);
      }),
      RUNS,
    );
  });

  it('a paused primary that resumes under its old table never wins over the promoted primary (SIGSTOP scenario)', () => {
    // Epoch 4: P1 primary, P2 and P3 backups. Every copy has the acknowledged a = 1, b = 1.
    const c1 = new ManualClock(1_000_000);
    const c2 = new ManualClock(1_000_000);
    const p1 = new HybridClock('p1', c1);
    const p2 = new HybridClock('p2', c2);
    p1.advanceEpoch(4);
    p2.advanceEpoch(4);
    const base = createRecord(SESSION_ID, { a: 1, b: 1 }, { stamp: p1.now(), nowMs: c1.nowMs(), maxIdleMs: 60_000 });
    // P1 is paused; P2 is promoted at epoch 5 and acknowledges a = 2 and delete b.
    c2.advance(5_000);
    p2.advanceEpoch(5);
    const promoted = applyUpdate(base, { set: { a: 2 }, delete: ['b'] }, { stamp: writeStamp(p2, base), nowMs: c2.nowMs() });
    // P1 resumes 8 s later (its wall clock is later than every stamp of P2) and applies a queued op
    // on its own copy with a fresh stamp, still at epoch 4. It reaches the lagging backup P3.
    c1.advance(8_000);
    const staleWrite = applyUpdate(base, { set: { a: 3, b: 3 } }, { stamp: writeStamp(p1, base), nowMs: c1.nowMs() });
    assert.ok(staleWrite.record.stamp.wallMs > promoted.record.stamp.wallMs, 'the stale write has the later wall time');
    const p3 = applyDelta(base, staleWrite.delta);
    // Whatever order the copies meet in (anti-entropy, hand-offs, the heal), the acknowledged state wins.
    const [x, y, z] = [promoted.record, staleWrite.record, p3];
    for (const [u, v, w] of [[x, y, z], [x, z, y], [y, x, z], [y, z, x], [z, x, y], [z, y, x]] as const) {
      assert.deepEqual(toPlainData(mergeRecords(u, v)), u === x || v === x ? { a: 2 } : { a: 3, b: 3 });
      assert.deepEqual(toPlainData(mergeRecords(mergeRecords(u, v), w)), { a: 2 });
    }
    // And the old primary, once it holds the newer copy, refuses to write it until it adopts epoch 5.
    const healed = mergeRecords(staleWrite.record, promoted.record);
    assert.throws(() => writeStamp(p1, healed), (e: unknown) => isSessionMeshError(e, 'ERR_NOT_PRIMARY'));
  });

  it('metadata: version max, createdAt min, lastAccess max, maxIdle by its stamp', () => {
    const a = recordOf(SESSION_ID, 3, 10, 50, 1000, s(1), s(4), false, []);
    const b = recordOf(SESSION_ID, 5, 20, 40, 2000, s(2), s(3), false, []);
    const m = mergeRecords(a, b);
    assert.deepEqual([m.version, m.createdAtMs, m.lastAccessMs, m.maxIdleMs, m.stamp], [5, 10, 50, 2000, s(4)]);
  });

  it('refuses to merge two different sessions', () => {
    const other = recordOf('BBBBBBBBBBBBBBBBBBBBBB', 1, 0, 0, 1000, s(0), s(0), false, []);
    assert.throws(() => mergeRecords(rec([], s(1)), other));
  });
});

type Op =
  | { kind: 'set'; name: string; value: unknown }
  | { kind: 'delete'; name: string }
  | { kind: 'idle'; ms: number }
  | { kind: 'touch'; ms: number };

const nameArb = fc.constantFrom('a', 'b', 'c', 'd');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), name: nameArb, value: rawValueArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), name: nameArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('idle' as const), ms: fc.constantFrom(1000, 2000, 3000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('touch' as const), ms: fc.integer({ min: 0, max: 50 }) }) },
);

/** Runs ops on a primary; returns every record it went through and the deltas it sent. */
function runPrimary(initial: unknown, ops: Op[], destroyAtEnd: boolean) {
  const clock = new ManualClock(1000);
  const hlc = new HybridClock('primary', clock);
  const first = createRecord(SESSION_ID, { a: initial }, { stamp: hlc.now(), nowMs: clock.nowMs(), maxIdleMs: 1000 });
  const records: SessionRecord[] = [first];
  const deltas: SessionRecord[] = [first];
  let r = first;
  for (const op of ops) {
    clock.advance(op.kind === 'touch' ? op.ms : 1);
    const opts = { stamp: hlc.now(), nowMs: clock.nowMs() };
    const update = op.kind === 'set' ? { set: { [op.name]: op.value } } : op.kind === 'delete' ? { delete: [op.name] } : op.kind === 'idle' ? { maxIdleMs: op.ms } : {};
    const result = applyUpdate(r, update, opts);
    r = result.record;
    records.push(r);
    deltas.push(result.delta);
  }
  if (destroyAtEnd) {
    r = destroyRecord(r, { stamp: hlc.now(), nowMs: clock.nowMs() });
    records.push(r);
    deltas.push(r);
  }
  return { records, deltas, final: r };
}

/** What a backup receives: each delta through the wire codec. */
const wire = (d: SessionRecord) => decodeRecord(encodeRecord(d));

describe('deltas', () => {
  it('applying the delta to the previous copy gives exactly the primary’s new record', () => {
    fc.assert(
      fc.property(rawValueArb, fc.array(opArb, { maxLength: 12 }), fc.boolean(), (initial, ops, destroy) => {
        const { records, deltas } = runPrimary(initial, ops, destroy);
        let backup: SessionRecord | undefined;
        for (let i = 0; i < deltas.length; i++) {
          backup = applyDelta(backup, wire(deltas[i]!));
          assert.deepStrictEqual(backup, records[i]);
          assert.equal(typesOf(toPlainData(backup)), typesOf(toPlainData(records[i]!)));
        }
      }),
      RUNS,
    );
  });

  it('deltas applied out of order and duplicated converge to the in-order record', () => {
    const deliveryArb = fc.array(fc.nat(), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(rawValueArb, fc.array(opArb, { maxLength: 10 }), fc.boolean(), deliveryArb, (initial, ops, destroy, picks) => {
        const { deltas, final } = runPrimary(initial, ops, destroy);
        // Every delta at least once, plus random duplicates, in a random order derived from picks.
        const order = [...deltas.keys(), ...picks.map((p) => p % deltas.length)];
        for (let i = order.length - 1; i > 0; i--) {
          const j = picks[i % picks.length]! % (i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        let backup: SessionRecord | undefined;
        for (const i of order) backup = applyDelta(backup, wire(deltas[i]!));
        assert.deepStrictEqual(backup, final);
      }),
      RUNS,
    );
  });

  it('a destroyed session never comes back, whatever arrives after the destroy', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 8 }), fc.nat(), (ops, cut) => {
        const { deltas, final } = runPrimary(1, ops, true);
        const destroyDelta = deltas[deltas.length - 1]!;
        // The backup sees the destroy first, then the older deltas (late retries).
        let backup = applyDelta(undefined, destroyDelta);
        for (const d of deltas.slice(cut % deltas.length)) backup = applyDelta(backup, d);
        assert.equal(backup.destroyed, true);
        assert.deepEqual(toPlainData(backup), {});
        assert.deepStrictEqual(applyDelta(backup, final), backup);
      }),
      RUNS,
    );
  });

  it('touch on a backup commutes with deltas (lastAccess is a max)', () => {
    const clock = new ManualClock(0);
    const hlc = new HybridClock('p', clock);
    const r0 = createRecord(SESSION_ID, { a: 1 }, { stamp: hlc.now(), nowMs: 0, maxIdleMs: 1000 });
    clock.advance(10);
    const { record: r1, delta } = applyUpdate(r0, { set: { a: 2 } }, { stamp: hlc.now(), nowMs: 10 });
    const viaTouchFirst = applyDelta(touch(r0, 50), delta);
    const viaDeltaFirst = touch(applyDelta(r0, delta), 50);
    assert.deepStrictEqual(viaTouchFirst, viaDeltaFirst);
    assert.deepStrictEqual(viaTouchFirst, touch(r1, 50));
  });
});
