import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isSessionMeshError } from '../../../src/errors.js';
import { encodeFrame, FrameKind, type Frame, type FrameKind as Kind } from '../../../src/wire/frame.js';
import { FrameDecoder } from '../../../src/wire/frame-decoder.js';
import { FRAME_HEADER_BYTES, HANDSHAKE_MAX_FRAME_BYTES } from '../../../src/wire/limits.js';
import { PROTOCOL_VERSION } from '../../../src/wire/version.js';

interface Spec {
  kind: Kind;
  type: number;
  correlationId: number;
  body: Uint8Array;
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  kind: fc.constantFrom<Kind>(0, 1, 2, 3),
  type: fc.integer({ min: 0, max: 0xffff }),
  correlationId: fc.integer({ min: 0, max: 0xffff_ffff }),
  body: fc.uint8Array({ maxLength: 300 }),
});

function encode(s: Spec): Buffer {
  return encodeFrame(s.kind, s.type, s.correlationId, s.body);
}

function plain(f: Frame): Spec {
  return { kind: f.kind, type: f.type, correlationId: f.correlationId, body: new Uint8Array(f.body) };
}

/** Splits `bytes` at the given cut points (any order, duplicates allowed). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe('frame encoding', () => {
  it('lays out length, version, kind, type, correlation id, body (big endian)', () => {
    const f = encodeFrame(FrameKind.Request, 0x0102, 0x0a0b0c0d, Buffer.from([0xc0]));
    assert.deepEqual([...f], [0, 0, 0, 9, PROTOCOL_VERSION, 1, 1, 2, 0x0a, 0x0b, 0x0c, 0x0d, 0xc0]);
  });

  it('refuses out-of-range header fields and oversized frames', () => {
    assert.throws(() => encodeFrame(FrameKind.OneWay, 0x10000, 0, new Uint8Array()), (e) => isSessionMeshError(e, 'ERR_INVALID_VALUE'));
    assert.throws(() => encodeFrame(FrameKind.OneWay, 1, -1, new Uint8Array()), (e) => isSessionMeshError(e, 'ERR_INVALID_VALUE'));
    assert.throws(() => encodeFrame(7 as Kind, 1, 0, new Uint8Array()), (e) => isSessionMeshError(e, 'ERR_INVALID_VALUE'));
    assert.throws(() => encodeFrame(FrameKind.OneWay, 1, 0, new Uint8Array(100), 107), (e) => isSessionMeshError(e, 'ERR_FRAME_TOO_LARGE'));
    assert.equal(encodeFrame(FrameKind.OneWay, 1, 0, new Uint8Array(100), 108).length, 112);
  });
});

describe('FrameDecoder', () => {
  it('decodes frames fed one byte at a time', () => {
    const specs: Spec[] = [
      { kind: 0, type: 10, correlationId: 0, body: Buffer.from('hello') },
      { kind: 1, type: 11, correlationId: 7, body: new Uint8Array() },
      { kind: 3, type: 5, correlationId: 0xffff_ffff, body: new Uint8Array(1000).fill(9) },
    ];
    const bytes = Buffer.concat(specs.map(encode));
    const d = new FrameDecoder();
    const got: Frame[] = [];
    for (const b of bytes) {
      const r = d.push(Uint8Array.of(b));
      assert.equal(r.error, undefined);
      got.push(...r.frames);
      assert.ok(d.bufferedBytes <= FRAME_HEADER_BYTES + 1000);
    }
    assert.deepEqual(got.map(plain), specs.map((s) => ({ ...s, body: new Uint8Array(s.body) })));
    assert.equal(d.bufferedBytes, 0);
  });

  it('round-trips any frames under any split (property)', () => {
    fc.assert(
      fc.property(fc.array(specArb, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 40 }), (specs, cuts) => {
        const bytes = Buffer.concat(specs.map(encode));
        const d = new FrameDecoder();
        const got: Frame[] = [];
        for (const chunk of split(bytes, cuts)) {
          const r = d.push(chunk);
          assert.equal(r.error, undefined);
          got.push(...r.frames);
        }
        assert.deepEqual(got.map(plain), specs.map((s) => ({ ...s, body: new Uint8Array(s.body) })));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on garbage and never holds more than maxFrameBytes + header (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 40 }), fc.integer({ min: 8, max: 2048 }), (chunks, max) => {
        const d = new FrameDecoder({ maxFrameBytes: max });
        let failed = false;
        for (const c of chunks) {
          const r = d.push(c);
          assert.ok(d.bufferedBytes <= max + FRAME_HEADER_BYTES);
          if (r.error) {
            assert.ok(['ERR_FRAME_TOO_LARGE', 'ERR_BAD_FRAME', 'ERR_PROTOCOL_VERSION'].includes(r.error.code));
            assert.ok(r.error.reason.length > 0);
            failed = true;
          } else assert.equal(failed, false, 'an error is terminal');
          for (const f of r.frames) assert.ok(f.body.length + 8 <= max);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('after valid frames, garbage in any split yields those frames and never a throw (property)', () => {
    fc.assert(
      fc.property(fc.array(specArb, { maxLength: 4 }), fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.array(fc.nat(), { maxLength: 30 }), (specs, garbage, cuts) => {
        const bytes = Buffer.concat([...specs.map(encode), garbage]);
        const d = new FrameDecoder({ maxFrameBytes: 1024 });
        const got: Frame[] = [];
        for (const chunk of split(bytes, cuts)) {
          got.push(...d.push(chunk).frames);
          assert.ok(d.bufferedBytes <= 1024 + FRAME_HEADER_BYTES);
        }
        assert.deepEqual(got.slice(0, specs.length).map(plain), specs.map((s) => ({ ...s, body: new Uint8Array(s.body) })));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a length over the limit as soon as the 4 length bytes are in', () => {
    const d = new FrameDecoder({ maxFrameBytes: HANDSHAKE_MAX_FRAME_BYTES });
    const r = d.push(Buffer.from([0, 0, 0x10, 0x01]));
    assert.equal(r.error?.code, 'ERR_FRAME_TOO_LARGE');
    assert.match(r.error!.reason, /4097 bytes exceeds maxFrameBytes 4096/);
    // Terminal: later input gets the same answer and is not buffered.
    const again = d.push(encode({ kind: 0, type: 1, correlationId: 0, body: new Uint8Array(1) }));
    assert.equal(again.error?.code, 'ERR_FRAME_TOO_LARGE');
    assert.deepEqual(again.frames, []);
    assert.equal(d.bufferedBytes, 0);
  });

  it('refuses a too-short length, a wrong version and an unknown kind', () => {
    assert.equal(new FrameDecoder().push(Buffer.from([0, 0, 0, 7])).error?.code, 'ERR_BAD_FRAME');
    const v = new FrameDecoder().push(Buffer.from([0, 0, 0, 8, PROTOCOL_VERSION + 1]));
    assert.equal(v.error?.code, 'ERR_PROTOCOL_VERSION');
    assert.match(v.error!.reason, new RegExp(`version ${PROTOCOL_VERSION + 1}, expected ${PROTOCOL_VERSION}`));
    const k = new FrameDecoder().push(Buffer.from([0, 0, 0, 8, PROTOCOL_VERSION, 4]));
    assert.equal(k.error?.code, 'ERR_BAD_FRAME');
    assert.match(k.error!.reason, /unknown frame kind 4/);
  });

  it('returns the frames that preceded an error in the same chunk', () => {
    const good = encode({ kind: 0, type: 12, correlationId: 0, body: Buffer.from([1, 2]) });
    const r = new FrameDecoder().push(Buffer.concat([good, Buffer.from([0xff, 0xff, 0xff, 0xff])]));
    assert.equal(r.frames.length, 1);
    assert.equal(r.error?.code, 'ERR_FRAME_TOO_LARGE');
  });

  it('applies a raised limit to the next frame', () => {
    const d = new FrameDecoder({ maxFrameBytes: HANDSHAKE_MAX_FRAME_BYTES });
    const small = encode({ kind: 0, type: 1, correlationId: 0, body: new Uint8Array(10) });
    const big = encode({ kind: 0, type: 20, correlationId: 0, body: new Uint8Array(10_000) });
    assert.equal(d.push(small).frames.length, 1);
    d.setMaxFrameBytes(64 * 1024);
    const r = d.push(big);
    assert.equal(r.error, undefined);
    assert.equal(r.frames[0]!.body.length, 10_000);
    assert.throws(() => d.setMaxFrameBytes(0), (e) => isSessionMeshError(e, 'ERR_CONFIG'));
  });
});
