/**
 * Session digests for anti-entropy: cheap fingerprints that differ when two copies differ in
 * replicated content. A digest is a 53-bit integer (two hash lanes: 32 + 21 bits), so it is a
 * plain JS number, exact on the wire.
 *
 * Hashed: id, version, destroyed, stamp, maxIdleMs and its stamp, and every attribute's
 * (name, stamp, deleted?). Values are not hashed: a (name, stamp) pair identifies the write that
 * produced the value. lastAccessMs and createdAtMs are left out on purpose: touches are
 * replicated lazily in batches, and counting them would make every copy "differ" all the time.
 * Version and max stamp alone would not do: a backup that missed delta 1 but got delta 2 has the
 * primary's version and stamp but not its attributes.
 *
 * Partition digests add session digests lane-wise (mod 2^32 and 2^21): order-independent, and
 * a store updates them in O(1) on put/delete.
 */
import type { Hlc } from '../clock/hlc.js';
import { STRIDE, TOMBSTONE } from './attrs.js';
import { unpackBody } from './packed.js';
import type { SessionRecord } from './record.js';

const TWO_32 = 2 ** 32;
const HI_MASK = 0x1fffff;

/** Two 32-bit lanes of FNV-1a over 32-bit words, finalised with murmur3's fmix32. */
class Hasher {
  private a = 0x811c9dc5;
  private b = 0x9747b28c;

  word(w: number): void {
    this.a = Math.imul(this.a ^ w, 0x01000193);
    this.b = Math.imul(this.b ^ w, 0x5bd1e995);
    this.b ^= this.b >>> 15;
  }

  str(s: string): void {
    this.word(s.length);
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
  }

  /** A non-negative integer below 2^53. */
  num(n: number): void {
    this.word(n >>> 0);
    this.word(Math.floor(n / TWO_32));
  }

  stamp(h: Hlc): void {
    this.num(h.wallMs);
    this.num(h.logical);
    this.str(h.nodeId);
  }

  digest(): number {
    return (fmix32(this.b) & HI_MASK) * TWO_32 + fmix32(this.a);
  }
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function sessionDigest(record: SessionRecord): number {
  const r = unpackBody(record.body);
  const h = new Hasher();
  h.str(record.id);
  h.num(r.version);
  h.num(r.destroyed ? 1 : 0);
  h.stamp(r.stamp);
  h.num(r.maxIdleMs);
  h.stamp(r.maxIdleStamp);
  const t = r.attrs;
  for (let i = 0; i < t.length; i += STRIDE) {
    h.str(t[i] as string);
    h.stamp(t[i + 2] as Hlc);
    h.num(t[i + 1] === TOMBSTONE ? 1 : 0);
  }
  return h.digest();
}

/** Order-independent combination: addDigests(addDigests(0, x), y) === addDigests(addDigests(0, y), x). */
export function addDigests(sum: number, d: number): number {
  const lo = ((sum % TWO_32) + (d % TWO_32)) % TWO_32;
  const hi = (Math.floor(sum / TWO_32) + Math.floor(d / TWO_32)) & HI_MASK;
  return hi * TWO_32 + lo;
}

export function subtractDigests(sum: number, d: number): number {
  const lo = ((sum % TWO_32) - (d % TWO_32) + TWO_32) % TWO_32;
  const hi = (Math.floor(sum / TWO_32) - Math.floor(d / TWO_32)) & HI_MASK;
  return hi * TWO_32 + lo;
}
