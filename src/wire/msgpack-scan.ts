/**
 * A structural pre-check of untrusted msgpack bytes, run BEFORE msgpackr sees them.
 *
 * msgpackr is a fast, feature-rich decoder, and some of its features are wrong for bytes from the
 * network (see node_modules/msgpackr/unpack.js): extension 0x72 (record definitions, reachable
 * through fixext1/fixext2 whatever `useRecords` says) compiles a reader with `new Function`;
 * 0x65 builds Error objects, 0x73 Sets, 0x74 typed arrays/ArrayBuffers, 0x78 RegExps (a ReDoS
 * vector), 0x42 BigInts of any size, 0x62 string bundles, 0x69/0x70 structured-clone references;
 * ext 0 decodes to `undefined`; a map key `__proto__` is silently renamed; and its reader recurses
 * once per nesting level. This scanner walks the bytes once and accepts only the plain-data subset:
 *
 *   nil, bool, int/uint (any width), float32/64, str, bin, array, map with string keys, and the
 *   timestamp extension (-1) in its three standard sizes.
 *
 * Every declared length is checked against the bytes that remain before anything is skipped, the
 * nesting depth is bounded, map keys `__proto__`, `constructor` and `prototype` are refused, and
 * the value must end exactly at the end of the input. So when it returns null, msgpackr can only
 * produce plain data from these bytes, with allocations bounded by the input size.
 */
import { MAX_BODY_DEPTH } from './limits.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const TIMESTAMP_EXT = 0xff; // ext type -1

class ScanError extends Error {}

/** Returns null when `bytes` hold exactly one plain-data msgpack value, else the reason why not. */
export function scanMsgpack(bytes: Uint8Array, maxDepth: number = MAX_BODY_DEPTH): string | null {
  const scanner = new Scanner(bytes, maxDepth);
  try {
    scanner.value(0);
    if (scanner.pos !== bytes.length) return `${bytes.length - scanner.pos} trailing bytes after the value`;
    return null;
  } catch (err) {
    if (err instanceof ScanError) return err.message;
    throw err;
  }
}

class Scanner {
  pos = 0;
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly maxDepth: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  value(depth: number): void {
    const at = this.pos;
    const t = this.u8();
    if (t <= 0x7f || t >= 0xe0) return; // fixint
    if (t <= 0x8f) return this.map(t & 0x0f, depth);
    if (t <= 0x9f) return this.array(t & 0x0f, depth);
    if (t <= 0xbf) return this.skip(t & 0x1f); // fixstr
    switch (t) {
      case 0xc0: // nil
      case 0xc2: // false
      case 0xc3: // true
        return;
      case 0xc4:
      case 0xd9:
        return this.skip(this.u8()); // bin8, str8
      case 0xc5:
      case 0xda:
        return this.skip(this.u16()); // bin16, str16
      case 0xc6:
      case 0xdb:
        return this.skip(this.u32()); // bin32, str32
      case 0xcc:
      case 0xd0:
        return this.skip(1);
      case 0xcd:
      case 0xd1:
        return this.skip(2);
      case 0xca: // float32
      case 0xce:
      case 0xd2:
        return this.skip(4);
      case 0xcb: // float64
      case 0xcf:
      case 0xd3:
        return this.skip(8);
      case 0xd6: // fixext4: 32-bit timestamp
        return this.timestamp(4, at);
      case 0xd7: // fixext8: 64-bit timestamp
        return this.timestamp(8, at);
      case 0xc7: {
        // ext8: only the 96-bit timestamp
        const length = this.u8();
        if (length !== 12) throw new ScanError(`extension of ${length} bytes at offset ${at} is not allowed`);
        return this.timestamp(12, at);
      }
      case 0xdc:
        return this.array(this.u16(), depth);
      case 0xdd:
        return this.array(this.u32(), depth);
      case 0xde:
        return this.map(this.u16(), depth);
      case 0xdf:
        return this.map(this.u32(), depth);
      default:
        // 0xc1 (never used), 0xc8/0xc9 (ext16/32), 0xd4/0xd5/0xd8 (fixext1/2/16): no plain value uses them.
        throw new ScanError(`msgpack token 0x${t.toString(16)} at offset ${at} is not allowed`);
    }
  }

  private timestamp(length: number, at: number): void {
    const type = this.u8();
    if (type !== TIMESTAMP_EXT) throw new ScanError(`extension type ${type} at offset ${at} is not allowed`);
    this.skip(length);
  }

  private array(length: number, depth: number): void {
    if (depth >= this.maxDepth) throw new ScanError(`nesting deeper than ${this.maxDepth}`);
    // Each element takes at least one byte: a longer declared length is a lie, refuse before looping.
    if (length > this.remaining()) throw new ScanError(`array of ${length} elements cannot fit in ${this.remaining()} bytes`);
    for (let i = 0; i < length; i++) this.value(depth + 1);
  }

  private map(length: number, depth: number): void {
    if (depth >= this.maxDepth) throw new ScanError(`nesting deeper than ${this.maxDepth}`);
    if (length * 2 > this.remaining()) throw new ScanError(`map of ${length} entries cannot fit in ${this.remaining()} bytes`);
    for (let i = 0; i < length; i++) {
      this.key();
      this.value(depth + 1);
    }
  }

  private key(): void {
    const at = this.pos;
    const t = this.u8();
    let length: number;
    if (t >= 0xa0 && t <= 0xbf) length = t & 0x1f;
    else if (t === 0xd9) length = this.u8();
    else if (t === 0xda) length = this.u16();
    else if (t === 0xdb) length = this.u32();
    else throw new ScanError(`map key at offset ${at} is not a string`);
    if (length > this.remaining()) throw new ScanError(`string of ${length} bytes at offset ${at} runs past the end`);
    if (length === 9 || length === 11) {
      const key = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, length).toString('latin1');
      if (FORBIDDEN_KEYS.has(key)) throw new ScanError(`map key "${key}" at offset ${at} is not allowed`);
    }
    this.pos += length;
  }

  private remaining(): number {
    return this.bytes.length - this.pos;
  }

  private skip(n: number): void {
    if (n > this.remaining()) throw new ScanError(`${n} bytes declared at offset ${this.pos} but only ${this.remaining()} remain`);
    this.pos += n;
  }

  private need(n: number): void {
    if (n > this.remaining()) throw new ScanError(`truncated at offset ${this.pos}`);
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  private u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  private u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
}
