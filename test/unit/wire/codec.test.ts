import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { isSessionMeshError } from '../../../src/errors.js';
import { decodeBody, encodeBody } from '../../../src/wire/codec.js';
import { MAX_BODY_DEPTH } from '../../../src/wire/limits.js';
import { scanMsgpack } from '../../../src/wire/msgpack-scan.js';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Plain data as it comes back from decodeBody (binary as Buffer, no -0). */
const plainArb = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    fc.string(),
    fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
    fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms)),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string().filter((k) => !FORBIDDEN.has(k)), tie('value'), { maxKeys: 5, noNullPrototype: true }),
  ),
})).value;

function badFrame(bytes: number[] | Uint8Array): SessionMeshErrorLike {
  try {
    decodeBody(Uint8Array.from(bytes));
  } catch (err) {
    assert.ok(isSessionMeshError(err, 'ERR_BAD_FRAME'), `expected ERR_BAD_FRAME, got ${String(err)}`);
    return err as SessionMeshErrorLike;
  }
  assert.fail('decodeBody accepted hostile bytes');
}
type SessionMeshErrorLike = { code: string; message: string };

function str(s: string): number[] {
  const b = Buffer.from(s, 'utf8');
  return [0xa0 | b.length, ...b];
}

describe('body codec: round trip', () => {
  it('round-trips plain data (property)', () => {
    fc.assert(
      fc.property(plainArb, (v) => {
        assert.deepStrictEqual(decodeBody(encodeBody(v)), v);
      }),
      { numRuns: 400 },
    );
  });

  it('decodes binary as Buffer copies, objects with Object.prototype', () => {
    const frameLike = Buffer.concat([Buffer.from([9, 9]), Buffer.from(encodeBody({ b: Uint8Array.of(1, 2, 3) }))]);
    const v = decodeBody(frameLike.subarray(2)) as { b: Buffer };
    assert.ok(Buffer.isBuffer(v.b));
    assert.notEqual(v.b.buffer, frameLike.buffer, 'binary must not pin the source buffer');
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
  });

  it('omits undefined object properties, as JSON does', () => {
    assert.deepStrictEqual(decodeBody(encodeBody({ a: 1, b: undefined })), { a: 1 });
  });

  it('refuses to encode anything but plain data, naming the path', () => {
    class Session {
      x = 1;
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: Array<[unknown, RegExp]> = [
      [new Map(), /Map/],
      [new Set([1]), /Set/],
      [/re/, /RegExp/],
      [new Error('e'), /Error/],
      [10n, /bigint/],
      [new Int16Array(1), /Int16Array/],
      [new Session(), /Session/],
      [() => 1, /function/],
      [Symbol('s'), /symbol/],
      [[undefined], /\$\[0\]: undefined/],
      [{ a: { b: [1, NaN] } }, /\$\.a\.b\[1\]: NaN/],
      [Infinity, /Infinity/],
      [new Date(NaN), /invalid Date/],
      [JSON.parse('{"__proto__": 1}'), /__proto__/],
      [{ constructor: 1 }, /constructor/],
      [cyclic, /nesting deeper than 64 \(or a cycle\)/],
      // eslint-disable-next-line no-sparse-arrays
      [[1, , 3], /sparse/],
    ];
    for (const [value, message] of cases) {
      assert.throws(() => encodeBody(value), (e) => isSessionMeshError(e, 'ERR_INVALID_VALUE') && message.test((e as Error).message), String(message));
    }
  });
});

describe('body codec: hostile bytes', () => {
  it('refuses __proto__, constructor and prototype keys (no prototype is ever set)', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const e = badFrame([0x81, ...str(key), 0x81, ...str('polluted'), 0xc3]);
      assert.match(e.message, new RegExp(`"${key}"`));
    }
    // Also as str8 keys, not just fixstr.
    badFrame([0x81, 0xd9, 9, ...Buffer.from('__proto__'), 0xc0]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses every msgpackr extension but timestamps', () => {
    const looseOptions = { moreTypes: true, structuredClone: true, useRecords: true, useBigInt64: true }; // useBigInt64 is untyped
    const loose = new Packr(looseOptions);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const hostile: Array<[string, unknown]> = [
      ['Error (0x65)', new Error('x')],
      ['Set (0x73)', new Set([1])],
      ['RegExp (0x78)', /(a+)+$/],
      ['typed array (0x74)', new Int16Array([1, 2])],
      ['ArrayBuffer (0x74)', new ArrayBuffer(8)],
      ['BigInt (0x42)', 2n ** 200n],
      ['structured clone (0x69/0x70)', cyclic],
      ['undefined (ext 0)', undefined],
      ['records (0x72, new Function)', [{ a: 1, b: 2 }, { a: 3, b: 4 }]],
    ];
    for (const [name, value] of hostile) {
      const bytes = loose.pack(value);
      assert.notEqual(scanMsgpack(bytes), null, name);
      badFrame(bytes);
    }
    const bundled = new Packr({ bundleStrings: true }).pack({ a: 'x'.repeat(20), b: 'y'.repeat(20) });
    badFrame(bundled);
    // Hand-built: fixext1/2/16, ext16/32, 0xc1.
    for (const bytes of [[0xd4, 0x72, 0x40], [0xd5, 0x72, 0, 0], [0xd8, 0xff, ...new Array(16).fill(0)], [0xc8, 0, 1, 0x65, 0], [0xc9, 0, 0, 0, 1, 0x65, 0], [0xc1]]) {
      badFrame(bytes);
    }
  });

  it('accepts the three timestamp sizes but refuses an invalid date', () => {
    const date = (bytes: number[]) => decodeBody(Uint8Array.from(bytes)) as Date;
    assert.equal(date([0xd6, 0xff, 0, 0, 0, 1]).getTime(), 1000);
    assert.ok(date([0xd7, 0xff, 0, 0, 0, 0, 0, 0, 0, 2]) instanceof Date);
    assert.ok(date([0xc7, 12, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]) instanceof Date);
    badFrame([0xc7, 12, 0xff, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]); // far beyond Date's range
    badFrame([0xc7, 5, 0xff, 0, 0, 0, 0, 0]);
    badFrame([0xd6, 0x01, 0, 0, 0, 1]); // fixext4 of another type
  });

  it('bounds nesting depth without recursing into a stack overflow', () => {
    const nested = (n: number) => [...new Array(n).fill(0x91), 0xc0];
    assert.doesNotThrow(() => decodeBody(Uint8Array.from(nested(MAX_BODY_DEPTH))));
    assert.match(badFrame(nested(MAX_BODY_DEPTH + 1)).message, /nesting deeper than 64/);
    badFrame(nested(200_000));
    const maps = (n: number) => [...new Array(n).fill([0x81, 0xa1, 0x61]).flat(), 0xc0];
    badFrame(maps(MAX_BODY_DEPTH + 1));
  });

  it('refuses huge declared lengths in tiny buffers before allocating', () => {
    const cases = [
      [0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0], // array32 of 4G elements
      [0xdc, 0xff, 0xff, 0xc0], // array16
      [0xdf, 0xff, 0xff, 0xff, 0xff, 0xa0, 0xc0], // map32
      [0xde, 0x00, 0x10, 0xa0, 0xc0], // map16 of 16 entries in 2 bytes
      [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61], // str32
      [0xc6, 0x7f, 0xff, 0xff, 0xff, 0x00], // bin32
      [0xc5, 0x01, 0x00], // bin16 with nothing after
      [0x9f, 0xc0], // fixarray(15) with one element
    ];
    for (const bytes of cases) badFrame(bytes);
  });

  it('refuses non-string keys, truncation, trailing bytes, empty input and non-finite numbers', () => {
    badFrame([0x81, 0x01, 0x02]); // integer key
    badFrame([0x81, 0x90, 0x02]); // array key
    badFrame([0x92, 0x01]);
    badFrame([0xc0, 0xc0]);
    badFrame([]);
    badFrame([0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]); // NaN
    badFrame([0xca, 0x7f, 0x80, 0, 0]); // float32 +Infinity
  });

  it('never throws anything but ERR_BAD_FRAME on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeBody(bytes);
        } catch (err) {
          assert.ok(isSessionMeshError(err, 'ERR_BAD_FRAME'), String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes 64-bit integers as numbers, never BigInt', () => {
    assert.equal(decodeBody(Uint8Array.from([0xcf, 0, 0, 0, 1, 0, 0, 0, 0])), 2 ** 32);
    assert.equal(decodeBody(Uint8Array.from([0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), -1);
  });
});
