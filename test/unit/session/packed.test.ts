import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Hlc, compareHlc } from '../../../src/clock/hlc.js';
import { TOMBSTONE } from '../../../src/session/attrs.js';
import { decodeRecord, encodeRecord } from '../../../src/session/codec.js';
import { digestOfParts, sessionDigest } from '../../../src/session/digest.js';
import { mergeRecords } from '../../../src/session/merge.js';
import { type BodyParts, bodyData, packBody, unpackBody } from '../../../src/session/packed.js';
import { attributeCount, recordFromParts, toPlainData, touch } from '../../../src/session/record.js';
import { applyUpdate, createRecord } from '../../../src/session/update.js';
import { type Encoded, decodeValue, encodeValue, encodedEqual, encodedSize, sessionPackr } from '../../../src/session/values.js';
import { SESSION_ID, recordArb, recordOf, typesOf, valueArb } from './arbitraries.js';

const s = (wallMs: number, logical = 0, nodeId = 'n1', epoch = 0): Hlc => ({ epoch, wallMs, logical, nodeId });

describe('packed body (the stored form of a copy)', () => {
  it('unpacks to exactly what was packed, and the record getters agree', () => {
    fc.assert(
      fc.property(recordArb, (r) => {
        const parts = unpackBody(r.body);
        assert.equal(packBody(r.id, parts), r.body, 'repacking gives the same body');
        assert.equal(r.version, parts.version);
        assert.equal(r.createdAtMs, parts.createdAtMs);
        assert.equal(r.maxIdleMs, parts.maxIdleMs);
        assert.equal(r.destroyed, parts.destroyed);
        assert.deepEqual(r.stamp, parts.stamp);
        assert.deepEqual(r.maxIdleStamp, parts.maxIdleStamp);
        assert.equal(r.liveBytes(), parts.liveBytes);
        let live = 0;
        for (let i = 0; i < parts.attrs.length; i += 3) {
          if (parts.attrs[i + 1] !== TOMBSTONE) live += encodedSize(parts.attrs[i]) + (parts.attrs[i + 1] as string).length;
        }
        assert.equal(parts.liveBytes, live, 'liveBytes is Σ encodedSize(name) + encodedSize(value)');
        assert.equal(sessionDigest(r), digestOfParts(r.id, parts));
      }),
      { numRuns: 300 },
    );
  });

  it('is a one-byte string (one character per byte)', () => {
    fc.assert(
      fc.property(recordArb, (r) => {
        for (let i = 0; i < r.body.length; i++) assert.ok(r.body.charCodeAt(i) < 256);
      }),
      { numRuns: 100 },
    );
  });

  it('is canonical: equal contents give equal bodies, whatever objects the stamps are', () => {
    const a = recordOf(SESSION_ID, 2, 0, 5, 1000, s(1), s(3), false, ['a', 1, s(3), 'b', TOMBSTONE, s(2), 'c', 'x', s(3)]);
    const b = recordOf(SESSION_ID, 2, 0, 5, 1000, { ...s(1) }, { ...s(3) }, false, ['a', 1, { ...s(3) }, 'b', TOMBSTONE, { ...s(2) }, 'c', 'x', { ...s(3) }]);
    assert.equal(a.body, b.body);
    const t = unpackBody(b.body).attrs;
    assert.equal(t[2], t[8], 'one stamp table entry for equal stamps');
  });

  it('stays canonical past 16 distinct stamps (the Map-based numbering)', () => {
    // 40 attributes with 24 distinct stamps (3 nodes, 2 wall times); equal stamps are given as
    // equal-valued copies in one record and as shared objects in the other.
    const stampOf = (i: number): Hlc => s(1 + (i % 2), i % 24, `node-${(i % 24) % 3}`);
    const names = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    const shared = new Map<string, Hlc>();
    const sharedStamp = (i: number) => {
      const h = stampOf(i);
      const key = JSON.stringify(h);
      if (!shared.has(key)) shared.set(key, h);
      return shared.get(key)!;
    };
    const top = s(9, 0, 'node-0');
    const a = recordOf(SESSION_ID, 3, 0, 0, 1000, s(1), top, false, names.flatMap((n, i) => [n, i % 5 === 0 ? TOMBSTONE : i, stampOf(i)]));
    const b = recordOf(SESSION_ID, 3, 0, 0, 1000, { ...s(1) }, { ...top }, false, names.flatMap((n, i) => [n, i % 5 === 0 ? TOMBSTONE : i, sharedStamp(i)]));
    assert.equal(a.body, b.body);
    const t = unpackBody(a.body).attrs;
    for (let i = 0; i < 40; i++) assert.deepEqual(t[i * 3 + 2], stampOf(i));
    assert.equal(new Set(t.filter((_, i) => i % 3 === 2)).size, 24, 'equal stamps share one table entry');
    // Merging with a copy that changed some attributes is still commutative and idempotent.
    const c = recordOf(SESSION_ID, 4, 0, 0, 1000, s(1), s(10, 0, 'node-1'), false, names.flatMap((n, i) => [n, i % 7 === 0 ? 'c' : i % 5 === 0 ? TOMBSTONE : i, i % 7 === 0 ? s(10, 0, 'node-1') : { ...stampOf(i) }]));
    assert.equal(mergeRecords(a, c).body, mergeRecords(c, a).body);
    assert.equal(mergeRecords(mergeRecords(a, c), a).body, mergeRecords(a, c).body);
    assert.deepEqual(decodeRecord(encodeRecord(mergeRecords(a, c))), mergeRecords(a, c));
  });

  it('keeps non-ASCII names and node ids, long names, and deleted names', () => {
    const longName = 'n'.repeat(40);
    const longerName = 'é'.repeat(200); // 400 bytes of UTF-8: a str16 header in the data map
    const node = 'nœud-ü-🙂';
    // Sorted by name in UTF-16 order: 'n…' < 'z…' < 'ä' < 'é…'.
    const r = recordOf(SESSION_ID, 1, 0, 0, 1000, s(1, 0, node), s(2, 0, node), false, [
      longName, 'v', s(1, 0, node),
      'zz-😀', TOMBSTONE, s(2, 0, 'n2'),
      'ä', { deep: ['ü', new Date(7), Buffer.from([255, 0])] }, s(2, 0, node),
      longerName, 2, s(2, 0, node),
    ]);
    const data = toPlainData(r);
    assert.deepEqual(Object.keys(data), [longName, 'ä', longerName]);
    assert.deepEqual(data['ä'], { deep: ['ü', new Date(7), Buffer.from([255, 0])] });
    assert.equal(typesOf(data['ä']), '{deep:[string,Date,Buffer]}');
    assert.equal(r.stamp.nodeId, node);
    const t = r.attrs;
    assert.equal(t[3], 'zz-😀');
    assert.equal(t[4], TOMBSTONE);
    assert.equal(t[9], longerName);
    assert.deepEqual(decodeRecord(encodeRecord(r)), r);
  });

  it('keeps every stamp epoch (0 … 2^53 − 1) through pack, unpack, the getters and the wire', () => {
    const epochArb = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(127, 128, 16_383, 16_384, 2 ** 32, 2 ** 48, Number.MAX_SAFE_INTEGER), fc.maxSafeNat());
    const stampArb = fc.record({ epoch: epochArb, wallMs: fc.integer({ min: 0, max: 2 ** 48 - 1 }), logical: fc.integer({ min: 0, max: 2 ** 31 - 1 }), nodeId: fc.constantFrom('n1', 'n2', 'nœud-3') }, { noNullPrototype: true });
    fc.assert(
      fc.property(fc.array(stampArb, { minLength: 1, maxLength: 5 }), fc.boolean(), (stamps, idleOwn) => {
        // Attribute stamps, then the record stamp as the greatest, maxIdleStamp the least or the record's.
        const sorted = [...stamps].sort(compareHlc);
        const stamp = sorted[sorted.length - 1]!;
        const maxIdleStamp = idleOwn ? sorted[0]! : stamp;
        const attrs = stamps.flatMap((h, i) => [`k${i}`, i % 2 === 0 ? encodeValue(i) : TOMBSTONE, h]);
        const parts: BodyParts = { version: 1, createdAtMs: 0, maxIdleMs: 1000, destroyed: false, stamp, maxIdleStamp, attrs };
        const r = recordFromParts(SESSION_ID, 0, parts);
        const back = unpackBody(r.body);
        assert.deepEqual(back.stamp, stamp);
        assert.deepEqual(back.maxIdleStamp, maxIdleStamp);
        for (let i = 0; i < stamps.length; i++) assert.deepEqual(back.attrs[i * 3 + 2], stamps[i]);
        assert.deepEqual(r.stamp, stamp, 'bodyStamp reads the epoch of the record stamp');
        assert.deepEqual(r.maxIdleStamp, maxIdleStamp, 'and of maxIdleStamp');
        assert.equal(packBody(SESSION_ID, back), r.body);
        assert.deepStrictEqual(decodeRecord(encodeRecord(r)), r);
      }),
      { numRuns: 300 },
    );
  });

  it('a stamp epoch costs one byte of body below 128, two below 16 384', () => {
    const body = (epoch: number) => recordOf(SESSION_ID, 1, 0, 0, 1000, s(1, 0, 'n1', epoch), s(1, 0, 'n1', epoch), false, ['a', 1, s(1, 0, 'n1', epoch)]).body;
    assert.equal(body(127).length, body(0).length);
    assert.equal(body(128).length, body(0).length + 1);
    assert.equal(body(16_383).length, body(0).length + 1);
    assert.equal(body(16_384).length, body(0).length + 2);
  });

  it('the digest covers the stamp epochs', () => {
    const a = recordOf(SESSION_ID, 1, 0, 0, 1000, s(1), s(1), false, ['a', 1, s(1)]);
    const b = recordOf(SESSION_ID, 1, 0, 0, 1000, s(1), s(1, 0, 'n1', 1), false, ['a', 1, s(1, 0, 'n1', 1)]);
    assert.notEqual(sessionDigest(a), sessionDigest(b));
  });

  it('handles 16+ attributes (map16 header) and values above 64 KiB', () => {
    const data: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) data[`k${String(i).padStart(2, '0')}`] = i;
    data.big = 'x'.repeat(70_000);
    data.bin = Buffer.alloc(66_000, 7);
    const r = createRecord(SESSION_ID, data, { stamp: s(1), nowMs: 0, maxIdleMs: 1000 });
    assert.deepEqual(toPlainData(r), data);
    assert.equal(attributeCount(r), 42);
    let bytes = 0;
    for (const [k, v] of Object.entries(data)) bytes += encodedSize(k) + encodedSize(v);
    assert.equal(r.liveBytes(), bytes);
    assert.deepEqual(decodeRecord(encodeRecord(r)), r);
  });

  it('the data map decodes as one msgpack map of the live attributes', () => {
    const r = recordOf(SESSION_ID, 1, 0, 0, 1000, s(1), s(2), false, ['a', 1, s(1), 'b', TOMBSTONE, s(2), 'c', [true], s(2)]);
    assert.deepEqual(bodyData(r.body), { a: 1, c: [true] });
    assert.deepEqual(sessionPackr.unpack(sessionPackr.pack({ a: 1, c: [true] })), bodyData(r.body));
  });

  it('touch shares the body; merge of copies that differ only in lastAccessMs allocates no body', () => {
    const r = createRecord(SESSION_ID, { a: 1 }, { stamp: s(1), nowMs: 10, maxIdleMs: 1000 });
    const later = touch(r, 20);
    assert.equal(later.body, r.body);
    assert.equal(mergeRecords(r, later), later);
    assert.equal(mergeRecords(later, r), later);
  });

  it('refuses fields that do not fit their bytes (a driver bug, never silent truncation)', () => {
    const parts: BodyParts = { version: 1, createdAtMs: 2 ** 48, maxIdleMs: 1000, destroyed: false, stamp: s(1), maxIdleStamp: s(1), attrs: [] };
    assert.throws(() => packBody(SESSION_ID, parts), /does not fit/);
    assert.throws(() => packBody(SESSION_ID, { ...parts, createdAtMs: 0, version: -1 }), /does not fit/);
    for (const epoch of [-1, 1.5, 2 ** 53, NaN, Infinity]) {
      assert.throws(() => packBody(SESSION_ID, { ...parts, createdAtMs: 0, stamp: s(1, 0, 'n1', epoch), maxIdleStamp: s(1, 0, 'n1', epoch) }), /bad stamp epoch/, String(epoch));
    }
  });
});

describe('encoded values', () => {
  it('encoding is deterministic and survives a decode (primary and backups store the same bytes)', () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        const e = encodeValue(v);
        assert.equal(encodeValue(decodeValue(e)), e);
        assert.equal(e.length, encodedSize(v));
      }),
      { numRuns: 300 },
    );
  });

  it('the same value in another key order is deep-equal (encodedEqual); written again, re-stamped', () => {
    const r0 = createRecord(SESSION_ID, { a: { x: 1, y: [{ p: 1, q: 2 }] } }, { stamp: s(1), nowMs: 0, maxIdleMs: 1000 });
    const u = applyUpdate(r0, { set: { a: { y: [{ q: 2, p: 1 }], x: 1 } } }, { stamp: s(2), nowMs: 1 });
    // Every named attribute is written (update.ts), an equal value included: the stamp is the write's.
    assert.equal(u.changed, true);
    assert.equal(u.record.version, 2);
    assert.ok(encodedEqual(u.record.attrs[1] as Encoded, r0.attrs[1] as Encoded));
    assert.deepEqual(u.record.attrs[2], s(2));
    const v = applyUpdate(r0, { set: { a: { x: 2, y: [{ p: 1, q: 2 }] } } }, { stamp: s(2), nowMs: 1 });
    assert.ok(!encodedEqual(v.record.attrs[1] as Encoded, r0.attrs[1] as Encoded), 'same length, other bytes, not equal');
  });
});

describe('pinned digests and wire bytes (record format 2: stamps carry their table epoch)', () => {
  // Digests are compared between members by anti-entropy, and the wire form is a contract, so
  // neither may move by accident. Pinned when stamps got their epoch (format 1 → 2; format 1
  // was pinned from the representation before packed bodies). s2 has an earlier wall time than
  // s1 but a later epoch: it is the newer stamp.
  const s1 = { epoch: 4, wallMs: 1_700_000_000_000, logical: 3, nodeId: 'nöde-ü-0123456789' };
  const s2 = { epoch: 5, wallMs: 1_699_999_999_995, logical: 0, nodeId: 'n2' };
  const r0 = createRecord(SESSION_ID, { user: 'ann', näme: [1, { x: 'y' }], when: new Date(5), bin: Buffer.from([1, 2, 3]) }, { stamp: s1, nowMs: 1_700_000_000_000, maxIdleMs: 60_000 });
  const r1 = applyUpdate(r0, { set: { user: 'bob' }, delete: ['bin'], maxIdleMs: 90_000 }, { stamp: s2, nowMs: 1_700_000_000_010 }).record;

  it('session digests', () => {
    assert.equal(sessionDigest(r0), 6793970343099422);
    assert.equal(sessionDigest(r1), 7382702612711710);
  });

  it('the wire encoding, byte for byte', () => {
    // [2, id, 2, created, lastAccess, 90000, false, ['n2', 'nöde-…'], [5, …995, 0, 0, 4, …000, 3, 1], 0, 0, attrs]
    assert.deepEqual(sessionPackr.unpack(encodeRecord(r1))[8], [5, 1_699_999_999_995, 0, 0, 4, 1_700_000_000_000, 3, 1]);
    assert.equal(
      Buffer.from(encodeRecord(r1)).toString('base64'),
      'nAK2QUFBQUFBQUFBQUFBQUFBQUFBQUFBQQLLQni8/laAAADLQni8/laAoADOAAFfkMKSom4ys27DtmRlLcO8LTAxMjM0NTY3ODmYBctCeLz+Vn+wAAAABMtCeLz+VoAAAAMBAACco2JpbgHApW7DpG1lApIB3gABoXiheaR1c2VyAKNib2Kkd2hlbgLX/wExLQAAAAAA',
    );
  });
});

describe('recordFromParts', () => {
  it('builds the same record as the write path', () => {
    const r = createRecord(SESSION_ID, { a: 1 }, { stamp: s(1), nowMs: 5, maxIdleMs: 1000 });
    const again = recordFromParts(SESSION_ID, 5, { version: 1, createdAtMs: 5, maxIdleMs: 1000, destroyed: false, stamp: s(1), maxIdleStamp: s(1), attrs: ['a', encodeValue(1), s(1)] });
    assert.deepStrictEqual(again, r);
  });
});
