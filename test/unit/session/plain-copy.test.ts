import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { clonePlain } from '../../../src/session/plain-copy.js';
import { decodeValue, encodeValue } from '../../../src/session/values.js';
import { valueArb } from './arbitraries.js';

/** Every object reachable from `x` (arrays, plain objects, Dates, binary). */
function objectsOf(x: unknown, out = new Set<object>()): Set<object> {
  if (typeof x !== 'object' || x === null || out.has(x)) return out;
  out.add(x);
  if (x instanceof Date || x instanceof Uint8Array) return out;
  for (const v of Object.values(x)) objectsOf(v, out);
  return out;
}

test('clonePlain: a decoded value copies to an equal value of the same kinds that shares no object with it', () => {
  fc.assert(
    fc.property(valueArb, (v) => {
      const decoded = decodeValue(encodeValue(v));
      const copy = clonePlain(decoded);
      assert.deepStrictEqual(copy, decoded);
      const mine = objectsOf(decoded);
      for (const o of objectsOf(copy)) assert.ok(!mine.has(o), 'the copy shares an object with the original');
    }),
    { numRuns: 300 },
  );
});

test('clonePlain: binary stays Buffer or Uint8Array, Dates stay Dates, inherited properties are not copied', () => {
  const proto = { inherited: 1 };
  const withProto = Object.assign(Object.create(proto) as Record<string, unknown>, { own: 2 });
  const copy = clonePlain({ b: Buffer.from([1]), u: new Uint8Array([2]), d: new Date(7), o: withProto }) as Record<string, unknown>;
  assert.ok(Buffer.isBuffer(copy.b));
  assert.ok(copy.u instanceof Uint8Array && !Buffer.isBuffer(copy.u));
  assert.ok(copy.d instanceof Date && copy.d.getTime() === 7);
  assert.deepStrictEqual(Object.keys(copy.o as object), ['own']);
  assert.equal(clonePlain(null), null);
  assert.equal(clonePlain('s'), 's');
});
