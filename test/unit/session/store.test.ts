import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock, SeededRandom } from '../../../src/clock/clock.js';
import { HybridClock } from '../../../src/clock/hlc.js';
import { encodeRecord } from '../../../src/session/codec.js';
import { addDigests, sessionDigest, subtractDigests } from '../../../src/session/digest.js';
import { newSessionId } from '../../../src/session/id.js';
import { type SessionRecord, touch } from '../../../src/session/record.js';
import { SessionStore } from '../../../src/session/store.js';
import { applyUpdate, createRecord } from '../../../src/session/update.js';
import { applyDelta } from '../../../src/session/merge.js';

const PARTITIONS = 4;
const partitionOf = (id: string) => id.charCodeAt(0) % PARTITIONS;

function factory(seed = 1) {
  const clock = new ManualClock(1_000_000);
  const hlc = new HybridClock('m', clock);
  const random = new SeededRandom(seed);
  return (data: Record<string, unknown> = { v: 'x'.repeat(random.int(40)) }) =>
    createRecord(newSessionId(random), data, { stamp: hlc.now(), nowMs: clock.nowMs(), maxIdleMs: 60_000 });
}

describe('SessionStore basics', () => {
  it('puts, gets, counts per partition and in total, deletes, drops partitions', () => {
    const store = new SessionStore(partitionOf);
    const make = factory();
    const records = Array.from({ length: 40 }, () => make());
    for (const r of records) store.put(r);
    assert.equal(store.size, 40);
    const byPartition = new Map<number, number>();
    for (const r of records) byPartition.set(partitionOf(r.id), (byPartition.get(partitionOf(r.id)) ?? 0) + 1);
    for (const [p, n] of byPartition) {
      assert.equal(store.count(p), n);
      assert.equal([...store.records(p)].length, n);
    }
    assert.deepEqual(store.partitionIds(), [...byPartition.keys()].sort((a, b) => a - b));
    assert.equal(store.get(records[0]!.id), records[0]);
    assert.equal(store.delete(records[0]!.id), true);
    assert.equal(store.delete(records[0]!.id), false);
    assert.equal(store.get(records[0]!.id), undefined);
    const p = partitionOf(records[1]!.id);
    const inP = byPartition.get(p)! - (partitionOf(records[0]!.id) === p ? 1 : 0);
    const dropped = store.dropPartition(p);
    assert.equal(dropped, inP);
    assert.ok(dropped > 0);
    assert.equal(store.count(p), 0);
    assert.equal(store.size, 39 - dropped);
    assert.equal(store.digest(p), 0);
  });

  it('partition digests: order-independent, O(1)-maintained, ignore touches, see content changes', () => {
    const make = factory();
    const records = Array.from({ length: 30 }, () => make());
    const a = new SessionStore(() => 0);
    const b = new SessionStore(() => 0);
    for (const r of records) a.put(r);
    for (const r of [...records].reverse()) b.put(r);
    assert.equal(a.digest(0), b.digest(0));
    const expected = records.reduce((sum, r) => addDigests(sum, sessionDigest(r)), 0);
    assert.equal(a.digest(0), expected);

    const before = a.digest(0);
    a.touch(records[3]!.id, 2_000_000);
    assert.equal(a.get(records[3]!.id)!.lastAccessMs, 2_000_000);
    assert.equal(a.digest(0), before, 'touches are not content');

    const clock = new ManualClock(3_000_000);
    const hlc = new HybridClock('m2', clock);
    const { record } = applyUpdate(records[5]!, { set: { v: 'changed' } }, { stamp: hlc.now(), nowMs: clock.nowMs() });
    a.put(record);
    assert.notEqual(a.digest(0), before);
    a.put(records[5]!);
    assert.equal(a.digest(0), before, 'putting the old copy back restores the digest');
    a.delete(records[7]!.id);
    assert.equal(a.digest(0), subtractDigests(before, sessionDigest(records[7]!)));
  });

  it('a backup that missed a delta has a different digest even with the same version and stamp', () => {
    const clock = new ManualClock(0);
    const hlc = new HybridClock('p', clock);
    const r0 = createRecord('AAAAAAAAAAAAAAAAAAAAAA', { a: 1 }, { stamp: hlc.now(), nowMs: 0, maxIdleMs: 1000 });
    const u1 = applyUpdate(r0, { set: { b: 2 } }, { stamp: hlc.now(), nowMs: 1 });
    const u2 = applyUpdate(u1.record, { set: { c: 3 } }, { stamp: hlc.now(), nowMs: 2 });
    const lagging = applyDelta(r0, u2.delta); // u1 lost
    assert.equal(lagging.version, u2.record.version);
    assert.deepEqual(lagging.stamp, u2.record.stamp);
    assert.notEqual(sessionDigest(lagging), sessionDigest(u2.record));
    assert.equal(sessionDigest(applyDelta(lagging, u1.delta)), sessionDigest(u2.record));

    // Same names, same version and stamp, but an older write of `a`: still different.
    const v1 = applyUpdate(r0, { set: { a: 2 } }, { stamp: hlc.now(), nowMs: 3 });
    const v2 = applyUpdate(v1.record, { set: { c: 3 } }, { stamp: hlc.now(), nowMs: 4 });
    const stale = applyDelta(r0, v2.delta); // v1 (a = 2) lost
    assert.deepEqual(stale.attrs.filter((_, i) => i % 3 === 0), v2.record.attrs.filter((_, i) => i % 3 === 0));
    assert.equal(stale.version, v2.record.version);
    assert.notEqual(sessionDigest(stale), sessionDigest(v2.record));
  });

  it('merge() folds deltas into the stored copy', () => {
    const store = new SessionStore(partitionOf);
    const clock = new ManualClock(0);
    const hlc = new HybridClock('p', clock);
    const r0 = createRecord('AAAAAAAAAAAAAAAAAAAAAA', { a: 1 }, { stamp: hlc.now(), nowMs: 0, maxIdleMs: 1000 });
    const u1 = applyUpdate(r0, { set: { b: 2 } }, { stamp: hlc.now(), nowMs: 1 });
    store.merge(u1.delta);
    store.merge(r0);
    assert.deepStrictEqual(store.get(r0.id), u1.record);
  });
});

describe('SessionStore.chunk', () => {
  it('walks a partition in id order within maxBytes, at least one record per chunk', () => {
    const store = new SessionStore(() => 0);
    const make = factory(7);
    const all: SessionRecord[] = [];
    for (let i = 0; i < 50; i++) all.push(make());
    all.push(make({ big: 'y'.repeat(5000) })); // larger than maxBytes: moves alone
    for (const r of all) store.put(r);
    const seen: string[] = [];
    let cursor: string | null = null;
    let chunks = 0;
    do {
      const c = store.chunk(0, cursor, 1000);
      chunks++;
      assert.ok(c.records.length >= 1);
      assert.equal(c.bytes, c.records.reduce((n, r) => n + encodeRecord(r).length, 0));
      if (c.records.length > 1) assert.ok(c.bytes <= 1000);
      seen.push(...c.records.map((r) => r.id));
      cursor = c.nextAfterId;
    } while (cursor !== null);
    assert.deepEqual(seen, all.map((r) => r.id).sort());
    assert.ok(chunks > 2);
    assert.deepEqual(store.chunk(3, null, 1000), { records: [], bytes: 0, nextAfterId: null });
  });

  it('covers every session exactly once under random inserts and deletes during the stream (property)', () => {
    const stepArb = fc.array(
      fc.oneof(
        fc.record({ k: fc.constant('insert' as const) }),
        fc.record({ k: fc.constant('delete' as const), pick: fc.nat() }),
        fc.record({ k: fc.constant('touch' as const), pick: fc.nat() }),
        fc.record({ k: fc.constant('chunk' as const), maxBytes: fc.integer({ min: 1, max: 400 }) }),
      ),
      { maxLength: 80 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), stepArb, fc.integer({ min: 1, max: 1000 }), (initial, steps, seed) => {
        const store = new SessionStore(partitionOf);
        const make = factory(seed);
        const present = new Set<string>();
        const insert = () => {
          const r = make();
          store.put(r);
          present.add(r.id);
        };
        for (let i = 0; i < initial; i++) insert();
        const P = 1;
        const atStart = new Set([...present].filter((id) => partitionOf(id) === P));
        const deletedDuringStream = new Set<string>();
        const returned: string[] = [];
        let cursor: string | null = null;
        let done = false;
        const chunkOnce = (maxBytes: number) => {
          const c = store.chunk(P, cursor, maxBytes);
          for (const r of c.records) {
            assert.ok(present.has(r.id), 'only sessions that exist now');
            assert.equal(partitionOf(r.id), P);
          }
          returned.push(...c.records.map((r) => r.id));
          cursor = c.nextAfterId;
          done = cursor === null;
        };
        for (const s of steps) {
          if (done) break;
          if (s.k === 'insert') insert();
          else if (s.k === 'delete' || s.k === 'touch') {
            const ids = [...present];
            if (ids.length === 0) continue;
            const id = ids[s.pick % ids.length]!;
            if (s.k === 'delete') {
              store.delete(id);
              present.delete(id);
              deletedDuringStream.add(id);
            } else store.touch(id, 5_000_000);
          } else chunkOnce(s.maxBytes);
        }
        while (!done) chunkOnce(300);
        assert.equal(new Set(returned).size, returned.length, 'no session twice');
        for (const id of atStart) {
          if (!deletedDuringStream.has(id)) assert.ok(returned.includes(id), `stable session ${id} streamed`);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('touch through the store', () => {
  it('returns undefined for unknown ids and keeps the record otherwise equal', () => {
    const store = new SessionStore(partitionOf);
    const r = factory()();
    store.put(r);
    assert.equal(store.touch('BBBBBBBBBBBBBBBBBBBBBB', 5), undefined);
    assert.deepStrictEqual(store.touch(r.id, r.lastAccessMs + 10), touch(r, r.lastAccessMs + 10));
  });
});
