import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffAttributes } from '../../../src/adapters/common/diff.js';
import { cloneData, sameValue } from '../../../src/adapters/common/values.js';

describe('adapters: attribute diff', () => {
  it('sends only changed, added and removed attributes', () => {
    const base = { a: 1, b: { x: [1, 2] }, c: 'keep', d: true };
    const next = { a: 2, b: { x: [1, 2] }, c: 'keep', e: null };
    assert.deepEqual(diffAttributes(base, next), { set: { a: 2, e: null }, delete: ['d'] });
  });

  it('nothing changed is null (a touch, not a write)', () => {
    assert.equal(diffAttributes({ a: 1, when: new Date(5), bin: Buffer.from('hi') }, { a: 1, when: new Date(5), bin: new Uint8Array([104, 105]) }), null);
  });

  it('an attribute set to undefined is a removal, as JSON would have it', () => {
    assert.deepEqual(diffAttributes({ a: 1, b: 2 }, { a: 1, b: undefined }), { set: {}, delete: ['b'] });
    assert.equal(diffAttributes({ a: 1 }, { a: 1, z: undefined }), null);
  });

  it('nested undefined properties and key order do not count as changes', () => {
    assert.equal(diffAttributes({ o: { a: 1, b: 2 } }, { o: { b: 2, a: 1, c: undefined } }), null);
  });

  it('an in-place mutation of a loaded value is seen, because the base is a deep copy', () => {
    const loaded = { cart: { items: ['a'] }, at: new Date(1000) };
    const base = cloneData(loaded);
    (loaded.cart.items as string[]).push('b');
    loaded.at.setTime(2000);
    assert.deepEqual(diffAttributes(base, loaded), { set: { cart: { items: ['a', 'b'] }, at: new Date(2000) }, delete: [] });
  });

  it('class instances and functions always count as changed (the cluster refuses them with a clear error)', () => {
    const m = new Map([[1, 2]]);
    assert.equal(sameValue(m, m), true, 'the same reference is the same value');
    assert.equal(sameValue(new Map(), new Map()), false);
    const f = () => 1;
    assert.equal(sameValue(f, f), false);
    assert.deepEqual(diffAttributes({ m: new Map() }, { m: new Map() }), { set: { m: new Map() }, delete: [] });
  });

  it('Dates compare by time, binary by bytes, arrays by element', () => {
    assert.equal(sameValue(new Date(1), new Date(1)), true);
    assert.equal(sameValue(new Date(1), 1), false);
    assert.equal(sameValue(Buffer.from([1]), Buffer.from([2])), false);
    assert.equal(sameValue([1, [2]], [1, [2]]), true);
    assert.equal(sameValue([1], { 0: 1 }), false);
    assert.equal(sameValue(0, -0), true);
  });

  it('objects are equal only with the same defined properties, whichever side has more', () => {
    assert.equal(sameValue({ a: 1 }, { a: 1, b: 2 }), false);
    assert.equal(sameValue({ a: 1, b: 2 }, { a: 1 }), false);
    assert.equal(sameValue({ a: 1, b: undefined }, { a: 1 }), true);
    assert.equal(sameValue({ a: 1 }, { b: 1 }), false);
  });

  it('a cyclic value is copied without looping: the cycle stays a reference (the cluster refuses it on write)', () => {
    const o: Record<string, unknown> = { n: 1, list: [1] };
    o.self = o;
    (o.list as unknown[]).push(o.list);
    const copy = cloneData({ o }) as { o: Record<string, unknown> };
    assert.notEqual(copy.o, o);
    assert.equal(copy.o.self, o);
    assert.notEqual(copy.o.list, o.list);
    assert.equal((copy.o.list as unknown[])[1], o.list);
    // The walk's state does not leak into the next copy.
    assert.deepEqual(cloneData({ a: { b: [1, { c: 2 }] } }), { a: { b: [1, { c: 2 }] } });
  });
});
