import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { isSessionMeshError } from '../../../src/errors.js';
import { decodeRecord, encodeRecord, recordFromWire, recordToWire, wireSize } from '../../../src/session/codec.js';
import { TOMBSTONE } from '../../../src/session/attrs.js';
import { SessionRecord } from '../../../src/session/record.js';
import { sessionPackr } from '../../../src/session/values.js';
import { SESSION_ID, rawValueArb, recordOf, recordArb, typesOf } from './arbitraries.js';
import { toPlainData, touch } from '../../../src/session/record.js';
import { applyUpdate, createRecord } from '../../../src/session/update.js';

const isBadFrame = (e: unknown) => isSessionMeshError(e, 'ERR_BAD_FRAME');

/** Decoding either fails with ERR_BAD_FRAME or yields a record that re-encodes to a fixpoint. */
function decodeOrBadFrame(bytes: Uint8Array): void {
  let r: SessionRecord;
  try {
    r = decodeRecord(bytes);
  } catch (e) {
    assert.ok(isBadFrame(e), `unexpected ${String(e)}`);
    return;
  }
  assert.ok(r instanceof SessionRecord);
  assert.deepStrictEqual(decodeRecord(encodeRecord(r)), r);
}

describe('record codec', () => {
  it('round-trips any record exactly (Dates stay Dates, binaries stay Buffers)', () => {
    fc.assert(
      fc.property(recordArb, (r) => {
        const back = decodeRecord(encodeRecord(r));
        assert.deepStrictEqual(back, r);
        assert.equal(typesOf(toPlainData(back)), typesOf(toPlainData(r)));
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips stamps of any epoch, and sizes them exactly', () => {
    for (const epoch of [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      const h = { epoch, wallMs: 1_700_000_000_000, logical: 7, nodeId: 'n1' };
      // Older by epoch with a later wall time, except at epoch 0 (nothing is older by epoch).
      const older = { epoch: 0, wallMs: epoch === 0 ? 1_600_000_000_000 : 1_800_000_000_000, logical: 0, nodeId: 'n2' };
      const r = recordOf(SESSION_ID, 3, 0, 0, 1000, older, h, false, ['a', 1, older, 'b', TOMBSTONE, h]);
      const back = decodeRecord(encodeRecord(r));
      assert.deepStrictEqual(back, r, String(epoch));
      assert.deepEqual(back.stamp, h);
      assert.equal(wireSize(r), encodeRecord(r).length, String(epoch));
    }
  });

  it('wireSize is exactly the length of the encoding (without encoding)', () => {
    fc.assert(
      fc.property(recordArb, fc.constantFrom(0, 200, 70_000, 2 ** 33, 2 ** 47), (r, bump) => {
        const moved = touch(r, r.lastAccessMs + bump);
        assert.equal(wireSize(r), encodeRecord(r).length);
        assert.equal(wireSize(moved), encodeRecord(moved).length);
      }),
      { numRuns: 300 },
    );
    const big: Record<string, unknown> = { ['é'.repeat(40)]: 'x'.repeat(70_000) };
    for (let i = 0; i < 20; i++) big[`k${i}`] = i * 1000;
    const r = createRecord(SESSION_ID, big, { stamp: { epoch: 2 ** 33, wallMs: 2 ** 40, logical: 300, nodeId: 'nœud-'.repeat(10) }, nowMs: 2 ** 40, maxIdleMs: 2 ** 34 });
    assert.equal(wireSize(r), encodeRecord(r).length);
  });

  it('shares one stamp table entry among attributes written together', () => {
    const stamp = { epoch: 3, wallMs: 1_700_000_000_000, logical: 0, nodeId: 'member-with-a-long-id' };
    const r = recordOf(SESSION_ID, 1, 0, 0, 1000, stamp, stamp, false, ['a', 1, stamp, 'b', 2, stamp, 'c', 3, stamp]);
    const wire = recordToWire(r);
    assert.deepEqual(wire[7], ['member-with-a-long-id']);
    assert.deepEqual(wire[8], [3, 1_700_000_000_000, 0, 0], 'one stamp: epoch, wall, logical, node index');
    const back = decodeRecord(encodeRecord(r));
    const t = back.attrs; // unpacked afresh on every access
    assert.equal(t[2], t[5], 'decoded attributes share one stamp table entry');
    const bytes = Buffer.from(encodeRecord(r));
    assert.equal(bytes.indexOf('member-with-a-long-id'), bytes.lastIndexOf('member-with-a-long-id'), 'the node id is written once');
  });

  it('refuses tuples that break the record invariants', () => {
    const stamp = { epoch: 1, wallMs: 5, logical: 0, nodeId: 'n' };
    const good = recordToWire(recordOf(SESSION_ID, 1, 0, 0, 1000, stamp, stamp, false, ['a', 1, stamp, 'b', 2, stamp]));
    const variants: [string, (w: unknown[]) => void][] = [
      ['format 1 (stamps without epochs)', (w) => ((w[0] = 1), (w[8] = [5, 0, 0]))],
      ['format', (w) => (w[0] = 3)],
      ['id charset', (w) => (w[1] = 'A'.repeat(21) + '!')],
      ['id length', (w) => (w[1] = 'A'.repeat(10))],
      ['version', (w) => (w[2] = -1)],
      ['time', (w) => (w[3] = 1.5)],
      ['maxIdle', (w) => (w[5] = 0)],
      ['destroyed type', (w) => (w[6] = 1)],
      ['destroyed with attrs', (w) => (w[6] = true)],
      ['node id', (w) => (w[7] = [''])],
      ['stamp table', (w) => (w[8] = [1, 5, 0])],
      ['stamp table of triples', (w) => (w[8] = [5, 0, 0])],
      ['stamp node index', (w) => (w[8] = [1, 5, 0, 3])],
      ['negative epoch', (w) => (w[8] = [-1, 5, 0, 0])],
      ['fractional epoch', (w) => (w[8] = [1.5, 5, 0, 0])],
      ['epoch beyond safe integers', (w) => (w[8] = [2 ** 53, 5, 0, 0])],
      ['epoch not a number', (w) => (w[8] = ['1', 5, 0, 0])],
      ['epoch null', (w) => (w[8] = [null, 5, 0, 0])],
      ['stamp index', (w) => (w[9] = 1)],
      ['unsorted names', (w) => (w[11] = ['b', 0, 1, 'a', 0, 2])],
      ['duplicate names', (w) => (w[11] = ['a', 0, 1, 'a', 0, 2])],
      ['reserved name', (w) => (w[11] = ['__proto__', 0, 1])],
      ['tombstone with value', (w) => (w[11] = ['a', 1, 'x'])],
      ['bad value', (w) => (w[11] = ['a', 0, undefined])],
      ['attribute stamp newer than record', (w) => ((w[8] = [1, 5, 0, 0, 1, 6, 0, 0]), (w[11] = ['a', 2, 1]))],
      ['maxIdle stamp newer than record', (w) => ((w[8] = [1, 5, 0, 0, 1, 6, 0, 0]), (w[10] = 1))],
      ['attribute stamp of a newer epoch than the record', (w) => ((w[8] = [1, 5, 0, 0, 2, 1, 0, 0]), (w[11] = ['a', 2, 1]))],
      ['extra field', (w) => w.push(0)],
    ];
    assert.doesNotThrow(() => recordFromWire(structuredClone(good)));
    for (const [label, mutate] of variants) {
      const w = structuredClone(good);
      mutate(w);
      assert.throws(() => recordFromWire(w), isBadFrame, label);
      assert.throws(() => decodeRecord(sessionPackr.pack(w)), isBadFrame, `${label} (bytes)`);
    }
  });

  it('refuses decoded values that are not session values (Set, RegExp, BigInt, Error, typed arrays, undefined)', () => {
    // A permissive packer produces the msgpack extensions a hostile peer could send.
    const loose = new Packr({ useRecords: false, moreTypes: true } as never);
    const hostile: unknown[] = [new Set([1]), /x/g, 10n ** 30n, new Error('x'), new Uint16Array([1]), [undefined], { u: undefined }];
    for (const value of hostile) {
      const w = [2, SESSION_ID, 1, 0, 0, 1000, false, ['n'], [0, 5, 0, 0], 0, 0, ['a', 0, value]];
      const bytes = loose.pack(w);
      assert.throws(() => decodeRecord(bytes), isBadFrame, String(value));
    }
  });

  it('garbage bytes: ERR_BAD_FRAME, never another kind of error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => decodeOrBadFrame(bytes)), { numRuns: 500 });
  });

  it('corrupted encodings: ERR_BAD_FRAME or a valid record', () => {
    fc.assert(
      fc.property(recordArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (r, flips) => {
        const bytes = Buffer.from(encodeRecord(r));
        for (const [at, v] of flips) bytes[at % bytes.length] = v;
        decodeOrBadFrame(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('truncated encodings: ERR_BAD_FRAME', () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), (r, cut) => {
        const bytes = encodeRecord(r);
        const n = cut % bytes.length;
        assert.throws(() => decodeRecord(bytes.subarray(0, n)), isBadFrame);
      }),
      { numRuns: 200 },
    );
  });

  it('deeply nested input is refused without a stack overflow escaping', () => {
    const depth = 100_000;
    const bytes = Buffer.alloc(depth + 1, 0x91); // [[[[...]]]]
    bytes[depth] = 0x01;
    assert.throws(() => decodeRecord(bytes), isBadFrame);
  });

  it("a write's deltaWire is exactly the wire form of its delta (what replication sent before it was built directly)", () => {
    const nameArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    const updateArb = fc.record(
      {
        set: fc.dictionary(nameArb, fc.option(rawValueArb, { nil: undefined }), { maxKeys: 3, noNullPrototype: true }),
        delete: fc.uniqueArray(nameArb, { maxLength: 2 }),
        maxIdleMs: fc.constantFrom(1000, 2000, 5000),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        recordArb.filter((r) => !r.destroyed),
        updateArb,
        (r, update) => {
          if (update.set && update.delete) update.delete = update.delete.filter((n) => !Object.hasOwn(update.set!, n) || update.set![n] === undefined);
          const u = applyUpdate(r, update, { stamp: { epoch: 2, wallMs: 10, logical: 0, nodeId: 'n3' }, nowMs: 30 });
          const wire = u.deltaWire;
          assert.deepStrictEqual(wire, recordToWire(u.delta));
          assert.deepStrictEqual(Buffer.from(sessionPackr.pack(wire)), Buffer.from(encodeRecord(u.delta)));
          assert.deepStrictEqual(recordFromWire(wire), u.delta);
        },
      ),
      { numRuns: 400 },
    );
  });
});
