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
import { type BodyParts, bodyDigest } from './packed.js';
import type { SessionRecord } from './record.js';

const TWO_32 = 2 ** 32;
const HI_MASK = 0x1fffff;

/**
 * Two 32-bit lanes of FNV-1a over 32-bit words, finalised with murmur3's fmix32. The state is
 * an Int32Array so that the lanes stay untagged int32 in optimised code (this runs on every
 * packed body, see packed.ts); the arithmetic is the same as on plain numbers.
 */
const lanes = new Int32Array(2);

function start(): void {
  lanes[0] = 0x811c9dc5;
  lanes[1] = 0x9747b28c;
}

function word(w: number): void {
  lanes[0] = Math.imul(lanes[0]! ^ w, 0x01000193);
  const b = Math.imul(lanes[1]! ^ w, 0x5bd1e995);
  lanes[1] = b ^ (b >>> 15);
}

function str(s: string): void {
  word(s.length);
  for (let i = 0; i < s.length; i++) word(s.charCodeAt(i));
}

/** A non-negative integer below 2^53. */
function num(n: number): void {
  word(n >>> 0);
  word(Math.floor(n / TWO_32));
}

function stamp(h: Hlc): void {
  num(h.epoch);
  num(h.wallMs);
  num(h.logical);
  str(h.nodeId);
}

function finish(): number {
  return (fmix32(lanes[1]! >>> 0) & HI_MASK) * TWO_32 + fmix32(lanes[0]! >>> 0);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** O(1): computed when the copy's body was packed (packed.ts), with digestOfParts. */
export function sessionDigest(record: SessionRecord): number {
  return bodyDigest(record.body);
}

export function digestOfParts(id: string, r: BodyParts): number {
  start();
  str(id);
  num(r.version);
  num(r.destroyed ? 1 : 0);
  stamp(r.stamp);
  num(r.maxIdleMs);
  stamp(r.maxIdleStamp);
  const t = r.attrs;
  for (let i = 0; i < t.length; i += STRIDE) {
    str(t[i] as string);
    stamp(t[i + 2] as Hlc);
    num(t[i + 1] === TOMBSTONE ? 1 : 0);
  }
  return finish();
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
