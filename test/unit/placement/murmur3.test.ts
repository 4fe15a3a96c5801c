import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { murmur3String, murmur3x86_32 } from '../../../src/placement/murmur3.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('murmur3x86_32', () => {
  it('matches the published test vectors', () => {
    // Vectors as listed for MurmurHash3_x86_32 (Wikipedia / SMHasher); seeds and lengths cover
    // every tail length and the seed mixing.
    assert.equal(murmur3x86_32(ascii(''), 0), 0);
    assert.equal(murmur3x86_32(ascii(''), 1), 0x514e28b7);
    assert.equal(murmur3x86_32(ascii(''), 0xffffffff), 0x81f16f39);
    assert.equal(murmur3x86_32(new Uint8Array([0, 0, 0, 0]), 0), 0x2362f9de);
    assert.equal(murmur3x86_32(ascii('aaaa'), 0x9747b28c), 0x5a97808a);
    assert.equal(murmur3x86_32(ascii('abc'), 0), 0xb3dd93fa);
    assert.equal(murmur3x86_32(ascii('Hello, world!'), 0x9747b28c), 0x24884cba);
    assert.equal(murmur3x86_32(ascii('The quick brown fox jumps over the lazy dog'), 0x9747b28c), 0x2fa826cd);
  });

  it("passes SMHasher's verification (keys 0..255 bytes long, seeded 256-length)", () => {
    const key = new Uint8Array(256);
    const hashes = new Uint8Array(1024);
    const view = new DataView(hashes.buffer);
    for (let i = 0; i < 256; i++) {
      key[i] = i;
      view.setUint32(i * 4, murmur3x86_32(key.subarray(0, i), 256 - i), true);
    }
    assert.equal(murmur3x86_32(hashes, 0), 0xb0f57ee3);
  });

  it('hashes strings as UTF-8', () => {
    for (const s of ['', 'abc', 'ünïcødé-☃', '😀', 'x'.repeat(1000)]) {
      assert.equal(murmur3String(s), murmur3x86_32(new TextEncoder().encode(s), 0));
    }
    assert.equal(murmur3String('😀'), 0xbeb42efa);
  });

  it('hashes any string, ASCII (hashed from char codes) or not, exactly as its UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 50 })), fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
        assert.equal(murmur3String(s, seed), murmur3x86_32(new TextEncoder().encode(s), seed));
      }),
      { numRuns: 2000 },
    );
  });
});
