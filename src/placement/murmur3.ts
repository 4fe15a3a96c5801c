/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby, public domain), over the UTF-8 bytes of a string.
 *
 * Why this hash: it is part of the cluster contract (every member must map a session id to the same
 * partition, across versions, forever), so it must be a published algorithm with published test
 * vectors that any other implementation (a non-Node client, a future version) can reproduce
 * exactly. It is fast, has full avalanche, and needs no crypto. It is NOT a defence against
 * deliberately colliding ids: session ids are drawn by us, not by clients.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

const utf8 = new TextEncoder();

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** A 4-byte block (or the zero-padded tail) scrambled. */
function scramble(k: number): number {
  return Math.imul(rotl32(Math.imul(k, C1), 15), C2);
}

/** The running hash after one full 4-byte block. */
function mixBlock(h: number, k: number): number {
  h ^= scramble(k);
  return (Math.imul(rotl32(h, 13), 5) + 0xe6546b64) | 0;
}

/** The murmur3 finaliser: a bijective 32-bit mixer, also handy for deterministic tie-breaks. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** murmur3_x86_32 of `bytes` with `seed`; an unsigned 32-bit integer. */
export function murmur3x86_32(bytes: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const length = bytes.length;
  const blockEnd = length & ~3;
  for (let i = 0; i < blockEnd; i += 4) {
    h = mixBlock(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[blockEnd + 2]! << 16;
    if (tail >= 2) k ^= bytes[blockEnd + 1]! << 8;
    k ^= bytes[blockEnd]!;
    h ^= scramble(k);
  }
  h ^= length;
  return fmix32(h);
}

/**
 * murmur3_x86_32 of the UTF-8 encoding of `text`. Session ids are ASCII (base64url), and every
 * session operation hashes its id several times (routing, store lookups), so ASCII text is hashed
 * straight from its char codes — its UTF-8 bytes — without allocating an encoded copy.
 */
export function murmur3String(text: string, seed = 0): number {
  const length = text.length;
  for (let i = 0; i < length; i++) if (text.charCodeAt(i) > 0x7f) return murmur3x86_32(utf8.encode(text), seed);
  let h = seed >>> 0;
  const blockEnd = length & ~3;
  for (let i = 0; i < blockEnd; i += 4) {
    h = mixBlock(h, text.charCodeAt(i) | (text.charCodeAt(i + 1) << 8) | (text.charCodeAt(i + 2) << 16) | (text.charCodeAt(i + 3) << 24));
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= text.charCodeAt(blockEnd + 2) << 16;
    if (tail >= 2) k ^= text.charCodeAt(blockEnd + 1) << 8;
    k ^= text.charCodeAt(blockEnd);
    h ^= scramble(k);
  }
  h ^= length;
  return fmix32(h);
}
