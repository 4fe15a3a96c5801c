import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isSessionMeshError } from '../../../src/errors.js';
import { ValueCloner, compareValues, encodedSize, sessionPackr } from '../../../src/session/values.js';
import { rawValueArb, typesOf } from './arbitraries.js';

const limits = { maxValueDepth: 8, budgetBytes: 1024 * 1024 };
const clone = (name: string, v: unknown, l = limits) => new ValueCloner(l).clone(name, v);

class Cart {
  items = [];
}
const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;
const sparse = [1, 2];
sparse[4] = 5;
let deep: unknown = 1;
for (let i = 0; i < 9; i++) deep = [deep];

describe('value validation: refused, with the path of the bad value', () => {
  const table: [string, string, unknown, RegExp][] = [
    ['function', 'cart', { items: [1, 2, 3, () => 1] }, /data\.cart\.items\[3\].*function/],
    ['symbol value', 'x', { s: Symbol('s') }, /data\.x\.s.*symbol/],
    ['symbol key', 'x', { [Symbol('k')]: 1 }, /data\.x.*symbol keys/],
    ['undefined in array', 'list', [1, undefined], /data\.list\[1\].*undefined/],
    ['hole in array', 'list', sparse, /data\.list\[2\].*hole/],
    ['class instance', 'cart', new Cart(), /data\.cart.*Cart/],
    ['Map', 'm', new Map(), /data\.m.*Map/],
    ['Set', 's', { inner: new Set([1]) }, /data\.s\.inner.*Set/],
    ['RegExp', 'r', /x/, /data\.r.*RegExp/],
    ['Error', 'e', new Error('x'), /data\.e.*Error/],
    ['boxed string', 'b', Object('x'), /data\.b.*String/],
    ['Uint16Array', 'u', new Uint16Array(2), /data\.u.*Uint16Array/],
    ['ArrayBuffer', 'u', new ArrayBuffer(2), /data\.u.*ArrayBuffer/],
    ['BigInt', 'n', { big: 10n }, /data\.n\.big.*BigInt/],
    ['NaN', 'n', [NaN], /data\.n\[0\].*NaN/],
    ['Infinity', 'n', { inf: Infinity }, /data\.n\.inf.*Infinity/],
    ['-Infinity', 'n', -Infinity, /data\.n.*Infinity/],
    ['invalid Date', 'd', new Date('nope'), /data\.d.*invalid Date/],
    ['cycle', 'c', cyclic, /data\.c\.self.*cycle/],
    ['too deep', 'd', deep, /nested deeper than maxValueDepth \(8\)/],
    ['__proto__ key', 'p', JSON.parse('{"ok":{"__proto__":1}}'), /data\.p\.ok\.__proto__.*not allowed/],
    ['constructor key', 'p', { constructor: 1 }, /data\.p\.constructor.*not allowed/],
    ['prototype key', 'p', [{ prototype: 1 }], /data\.p\[0\]\.prototype.*not allowed/],
    ['lone surrogate', 's', { t: 'a\ud800' }, /data\.s\.t.*well-formed/],
    ['lone surrogate key', 's', { ['\udc00']: 1 }, /well-formed/],
    ['odd key path', 'x', { 'a b': [{ c: () => 0 }] }, /data\.x\["a b"\]\[0\]\.c/],
    ['top-level undefined', 'x', undefined, /data\.x.*undefined/],
  ];
  for (const [label, name, value, message] of table) {
    it(label, () => {
      assert.throws(
        () => clone(name, value),
        (e: unknown) => isSessionMeshError(e, 'ERR_INVALID_VALUE') && message.test(e.message) && typeof e.details?.path === 'string',
      );
    });
  }

  it('a value over the byte budget is refused early with ERR_SESSION_TOO_LARGE', () => {
    assert.throws(
      () => clone('big', 'x'.repeat(2000), { maxValueDepth: 8, budgetBytes: 1000 }),
      (e: unknown) => isSessionMeshError(e, 'ERR_SESSION_TOO_LARGE'),
    );
    // An exponentially shared structure (a DAG, not a cycle) is stopped by the budget, not copied.
    let dag: unknown = 'leaf';
    for (let i = 0; i < 40; i++) dag = { l: dag, r: dag };
    assert.throws(
      () => clone('dag', dag, { maxValueDepth: 64, budgetBytes: 100_000 }),
      (e: unknown) => isSessionMeshError(e, 'ERR_SESSION_TOO_LARGE'),
    );
  });
});

describe('a reused cloner (begin)', () => {
  it('after a refused value, the next operation starts clean: its own path, its own budget', () => {
    const cloner = new ValueCloner({ maxValueDepth: 8, budgetBytes: 1000 });
    const cyclic: Record<string, unknown> = { a: [1] };
    (cyclic.a as unknown[]).push(cyclic);
    assert.throws(() => cloner.clone('first', { deep: cyclic }), (e: unknown) => isSessionMeshError(e, 'ERR_INVALID_VALUE') && /data\.first\.deep\.a\[1\]/.test(e.message));
    cloner.begin({ maxValueDepth: 8, budgetBytes: 1000 });
    assert.deepEqual(cloner.clone('second', { x: [1, 2] }), { x: [1, 2] });
    assert.throws(
      () => cloner.clone('third', { y: [() => 0] }),
      (e: unknown) => isSessionMeshError(e, 'ERR_INVALID_VALUE') && e.details?.path === 'data.third.y[0]',
    );
    // The budget is per operation: spent by one, restored by begin().
    assert.throws(() => cloner.begin({ maxValueDepth: 8, budgetBytes: 10 }).clone('big', 'x'.repeat(50)), (e: unknown) => isSessionMeshError(e, 'ERR_SESSION_TOO_LARGE'));
    assert.equal(cloner.begin({ maxValueDepth: 8, budgetBytes: 100 }).clone('ok', 'x'.repeat(50)), 'x'.repeat(50));
  });
});

describe('value validation: accepted and normalised', () => {
  it('keeps JSON data, Dates and binaries, as copies', () => {
    const date = new Date(1_700_000_000_000);
    const bin = new Uint8Array([1, 2, 3]);
    const input = { s: 'é😀', n: 1.5, i: -7, t: true, z: null, d: date, b: bin, list: [1, 'two', { three: 3 }] };
    const out = clone('x', input) as typeof input;
    assert.deepEqual(out.list, input.list);
    assert.ok(out.d instanceof Date && out.d.getTime() === date.getTime());
    assert.notEqual(out.d, date, 'a copy, not the caller’s Date');
    assert.ok(Buffer.isBuffer(out.b), 'binary normalised to Buffer');
    assert.deepEqual([...out.b], [1, 2, 3]);
    bin[0] = 9;
    assert.equal(out.b[0], 1, 'a copy, not a view of the caller’s bytes');
    assert.notEqual(out.list, input.list);
  });

  it('normalises -0 to 0, null-prototype objects to plain ones, drops undefined properties', () => {
    const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
    assert.ok(Object.is(clone('x', -0), 0));
    const out = clone('x', { np: nullProto, gone: undefined, kept: 1 }) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out.np), Object.prototype);
    assert.deepEqual(Object.keys(out), ['np', 'kept']);
  });

  it('shared (non-cyclic) references are fine and are copied apart', () => {
    const shared = { v: 1 };
    const out = clone('x', [shared, shared]) as unknown[];
    assert.deepEqual(out, [{ v: 1 }, { v: 1 }]);
    assert.notEqual(out[0], out[1]);
  });

  it('any normalised value survives the msgpack round trip deep-equal, Dates and binaries included', () => {
    fc.assert(
      fc.property(rawValueArb, (raw) => {
        const v = clone('x', raw, { maxValueDepth: 64, budgetBytes: 1 << 30 });
        const back = new ValueCloner({ maxValueDepth: 64, budgetBytes: 1 << 30, strict: true }).clone('x', sessionPackr.unpack(sessionPackr.pack(v)));
        assert.deepStrictEqual(back, v);
        assert.equal(typesOf(back), typesOf(v));
        assert.equal(compareValues(v, back), 0);
        assert.equal(encodedSize(v), sessionPackr.pack(back).length);
      }),
      { numRuns: 300 },
    );
  });

  it('compareValues is a total order consistent with equality of encodings', () => {
    fc.assert(
      fc.property(rawValueArb, rawValueArb, (a, b) => {
        const x = clone('x', a, { maxValueDepth: 64, budgetBytes: 1 << 30 });
        const y = clone('y', b, { maxValueDepth: 64, budgetBytes: 1 << 30 });
        assert.equal(Math.sign(compareValues(x, y)) + Math.sign(compareValues(y, x)), 0);
        assert.equal(compareValues(x, y) === 0, Buffer.compare(sessionPackr.pack(x).slice(), sessionPackr.pack(y)) === 0);
      }),
      { numRuns: 200 },
    );
  });
});
