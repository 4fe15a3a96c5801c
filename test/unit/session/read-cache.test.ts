import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../../../src/clock/clock.js';
import { HybridClock } from '../../../src/clock/hlc.js';
import { bodyData } from '../../../src/session/packed.js';
import { ReadCache } from '../../../src/session/read-cache.js';
import { type SessionRecord, touch } from '../../../src/session/record.js';
import { SessionStore } from '../../../src/session/store.js';
import { applyUpdate, createRecord, destroyRecord } from '../../../src/session/update.js';
import { valueArb } from './arbitraries.js';

const ID_A = 'AAAAAAAAAAAAAAAAAAAAAA';
const ID_B = 'BBBBBBBBBBBBBBBBBBBBBB';
const partitionOf = (id: string) => id.charCodeAt(0) % 4;

function maker() {
  const clock = new ManualClock(1_000_000);
  const hlc = new HybridClock('m', clock);
  return {
    clock,
    create: (id: string, data: Record<string, unknown>) => createRecord(id, data, { stamp: hlc.now(), nowMs: clock.nowMs(), maxIdleMs: 60_000 }),
    update: (r: SessionRecord, set: Record<string, unknown>) => applyUpdate(r, { set }, { stamp: hlc.now(), nowMs: clock.nowMs() }).record,
    destroy: (r: SessionRecord) => destroyRecord(r, { stamp: hlc.now(), nowMs: clock.nowMs() }),
  };
}

describe('ReadCache', () => {
  it('decodes the first read, keeps the second, copies from the third on; every answer is the caller’s own', () => {
    const m = maker();
    const r = m.create(ID_A, { cart: [{ sku: 'x', qty: 1 }], at: new Date(5), bin: Buffer.from([1, 2]) });
    const c = new ReadCache(10);
    const first = c.data(r.id, r.body);
    assert.deepEqual(c.stats(), { hits: 0, misses: 1, entries: 1 });
    const second = c.data(r.id, r.body);
    assert.deepEqual(c.stats(), { hits: 0, misses: 2, entries: 1 });
    // The caller changes what it got: later reads must not see it.
    (second.cart as { qty: number }[])[0]!.qty = 99;
    (second.at as Date).setTime(0);
    (second.bin as Buffer)[0] = 9;
    second.added = true;
    const third = c.data(r.id, r.body);
    assert.deepEqual(c.stats(), { hits: 1, misses: 2, entries: 1 });
    (third.cart as { qty: number }[])[0]!.qty = 42;
    const fourth = c.data(r.id, r.body);
    assert.deepStrictEqual(fourth, bodyData(r.body));
    assert.deepStrictEqual(first, bodyData(r.body));
    assert.deepEqual(c.stats(), { hits: 2, misses: 2, entries: 1 });
  });

  it('never answers from another body than the one asked for', () => {
    const m = maker();
    const r1 = m.create(ID_A, { n: 1 });
    const r2 = m.update(r1, { n: 2 });
    const c = new ReadCache(10);
    c.data(r1.id, r1.body);
    c.data(r1.id, r1.body);
    assert.deepEqual(c.data(r1.id, r1.body), { n: 1 });
    assert.deepEqual(c.data(r2.id, r2.body), { n: 2 });
    assert.deepEqual(c.data(r2.id, r2.body), { n: 2 });
    assert.deepEqual(c.data(r2.id, r2.body), { n: 2 });
    assert.deepEqual(c.data(r1.id, r1.body), { n: 1 });
  });

  it('keeps at most maxEntries sessions, dropping the oldest; 0 keeps none', () => {
    const m = maker();
    const c = new ReadCache(2);
    const ids = [ID_A, ID_B, 'CCCCCCCCCCCCCCCCCCCCCC'];
    const rs = ids.map((id, i) => m.create(id, { i }));
    for (const r of rs) c.data(r.id, r.body);
    assert.equal(c.size, 2);
    const off = new ReadCache(0);
    for (let k = 0; k < 3; k++) assert.deepEqual(off.data(rs[0]!.id, rs[0]!.body), { i: 0 });
    assert.deepEqual(off.stats(), { hits: 0, misses: 0, entries: 0 });
  });
});

describe('SessionStore.data with the read cache', () => {
  it('a put, delete or dropped partition drops the session’s entry', () => {
    const m = maker();
    const store = new SessionStore(partitionOf, 10);
    const a = m.create(ID_A, { n: 1 });
    const b = m.create(ID_B, { n: 1 });
    store.put(a);
    store.put(b);
    store.data(a);
    store.data(b);
    assert.equal(store.readCacheStats().entries, 2);
    const a2 = m.update(a, { n: 2 });
    store.put(a2);
    assert.equal(store.readCacheStats().entries, 1);
    store.data(a2);
    store.put(m.destroy(a2));
    assert.equal(store.readCacheStats().entries, 1);
    store.delete(ID_A);
    store.dropPartition(partitionOf(ID_B));
    assert.equal(store.readCacheStats().entries, 0);
  });

  it('property: through any mix of writes, touches, deletes and reads, a read equals decoding the stored copy', () => {
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), who: fc.nat(2), name: fc.constantFrom('a', 'b', 'c'), value: valueArb }),
      fc.record({ kind: fc.constant('read' as const), who: fc.nat(2) }),
      fc.record({ kind: fc.constant('touch' as const), who: fc.nat(2) }),
      fc.record({ kind: fc.constant('delete' as const), who: fc.nat(2) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.integer({ min: 0, max: 3 }), (ops, maxEntries) => {
        const m = maker();
        const store = new SessionStore(partitionOf, maxEntries);
        const ids = [ID_A, ID_B, 'CCCCCCCCCCCCCCCCCCCCCC'];
        for (const op of ops) {
          const id = ids[op.who]!;
          const cur = store.get(id);
          m.clock.advance(1);
          if (op.kind === 'write') store.put(cur === undefined ? m.create(id, { [op.name]: op.value }) : m.update(cur, { [op.name]: op.value }));
          else if (op.kind === 'touch') store.touch(id, m.clock.nowMs());
          else if (op.kind === 'delete') store.delete(id);
          else if (cur !== undefined) {
            const got = store.data(cur);
            assert.deepStrictEqual(got, bodyData(cur.body));
            // Whatever the caller does with it stays with the caller.
            for (const k of Object.keys(got)) got[k] = 'changed';
          }
          assert.ok(store.readCacheStats().entries <= maxEntries);
        }
      }),
      { numRuns: 200 },
    );
  });
});
