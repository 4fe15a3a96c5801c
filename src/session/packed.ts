/**
 * The stored form of a session copy's replicated state ("body"): ONE one-byte string whose
 * characters are bytes (0–255), holding the metadata, the stamps and every attribute with its
 * value already msgpack-encoded. A record is then three fields (id, lastAccessMs, body), see
 * record.ts.
 *
 * Why a string: it lives on the JS heap with a 16-byte header and one byte per byte, needs no
 * object per attribute, value, stamp or node id, and unlike a Buffer it has no ~100-byte wrapper
 * nor an off-heap backing store. Values stay encoded until someone reads them (toPlainData decodes
 * them, which is what a deep copy cost anyway).
 *
 * Layout (integers big-endian; varint = unsigned LEB128):
 *
 *   0  version      7 bytes
 *   7  createdAtMs  6 bytes
 *  13  maxIdleMs    6 bytes
 *  19  flags        1 byte: 1 destroyed, 2 maxIdleStamp is stamps[1] (else stamps[0])
 *  20  liveBytes    6 bytes (Σ encodedSize(name) + encodedSize(value) over live attributes)
 *  26  S            4 bytes: number of distinct stamps
 *  30  N            4 bytes: number of distinct stamp node ids
 *  34  stamps       S × 12 bytes: wallMs 6, logical 4, node index 2; stamps[0] is the record stamp
 *      nodes        N × (varint byte length, UTF-8)
 *      A            varint: number of attribute entries, sorted by name as in attrs.ts
 *      entries      A × (varint name length, UTF-8 name, varint stampIndex*2 + deleted,
 *                        [varint value length, msgpack value] when not deleted)
 *
 * Stamps and node ids are numbered in order of first use (record stamp, maxIdleStamp, then the
 * attributes in name order) and deduplicated by value, the same numbering as the wire form
 * (codec.ts). So equal contents give equal bodies: the body is canonical, and comparing two
 * bodies compares the replicated state.
 */
import type { Hlc } from '../clock/hlc.js';
import { type AttrTable, EMPTY_TABLE, STRIDE, TOMBSTONE } from './attrs.js';

const OFF_VERSION = 0;
const OFF_CREATED = 7;
const OFF_IDLE = 13;
const OFF_FLAGS = 19;
const OFF_LIVE = 20;
const OFF_S = 26;
const OFF_N = 30;
const OFF_STAMPS = 34;
const STAMP_BYTES = 12;
const FLAG_DESTROYED = 1;
const FLAG_IDLE_OWN_STAMP = 2;
const MAX_NODES = 0xffff;

/** The replicated state of a copy, unpacked; transient (merge, update, digest, codec work on it). */
export interface BodyParts {
  readonly version: number;
  readonly createdAtMs: number;
  readonly maxIdleMs: number;
  readonly destroyed: boolean;
  readonly stamp: Hlc;
  readonly maxIdleStamp: Hlc;
  /** Values are msgpack encodings (Uint8Array) or TOMBSTONE. */
  readonly attrs: AttrTable;
}

export interface UnpackedBody extends BodyParts {
  readonly liveBytes: number;
}

/** Bytes of the msgpack header of a string of `utf8Bytes` bytes (fixstr, str8, str16, str32). */
export function msgpackStrHeaderBytes(utf8Bytes: number): number {
  return utf8Bytes < 32 ? 1 : utf8Bytes < 256 ? 2 : utf8Bytes < 65536 ? 3 : 5;
}

export function encodedNameSize(name: string): number {
  const n = Buffer.byteLength(name, 'utf8');
  return msgpackStrHeaderBytes(n) + n;
}

function varintBytes(n: number): number {
  let bytes = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    bytes++;
  }
  return bytes;
}

function stampKey(h: Hlc): string {
  return `${h.wallMs}:${h.logical}:${h.nodeId}`;
}

/** Packs `parts` into a body. Throws (a plain Error) on input no valid record can have. */
export function packBody(parts: BodyParts): string {
  const t = parts.attrs;
  const stamps: Hlc[] = [];
  const stampIndex = new Map<string, number>();
  const nodes: string[] = [];
  const nodeIndex = new Map<string, number>();
  const nodeOf: number[] = [];
  const indexOf = (h: Hlc): number => {
    const key = stampKey(h);
    let i = stampIndex.get(key);
    if (i === undefined) {
      let n = nodeIndex.get(h.nodeId);
      if (n === undefined) {
        n = nodes.push(h.nodeId) - 1;
        if (n > MAX_NODES) throw new Error('session body: too many distinct stamp nodes');
        nodeIndex.set(h.nodeId, n);
      }
      i = stamps.push(h) - 1;
      nodeOf.push(n);
      stampIndex.set(key, i);
    }
    return i;
  };
  indexOf(parts.stamp);
  const idleI = indexOf(parts.maxIdleStamp);
  const entries = t.length / STRIDE;
  const kinds = new Array<number>(entries);
  const nameBytes = new Array<number>(entries);
  let size = OFF_STAMPS;
  let liveBytes = 0;
  for (let e = 0, i = 0; i < t.length; e++, i += STRIDE) {
    const value = t[i + 1];
    const dead = value === TOMBSTONE;
    kinds[e] = indexOf(t[i + 2] as Hlc) * 2 + (dead ? 1 : 0);
    const nb = Buffer.byteLength(t[i] as string, 'utf8');
    nameBytes[e] = nb;
    size += varintBytes(nb) + nb + varintBytes(kinds[e]!);
    if (!dead) {
      const vb = (value as Uint8Array).length;
      size += varintBytes(vb) + vb;
      liveBytes += msgpackStrHeaderBytes(nb) + nb + vb;
    }
  }
  size += stamps.length * STAMP_BYTES + varintBytes(entries);
  const nodeBytes = nodes.map((n) => Buffer.byteLength(n, 'utf8'));
  for (const nb of nodeBytes) size += varintBytes(nb) + nb;

  const buf = Buffer.allocUnsafe(size);
  writeUint(buf, OFF_VERSION, 7, parts.version);
  writeUint(buf, OFF_CREATED, 6, parts.createdAtMs);
  writeUint(buf, OFF_IDLE, 6, parts.maxIdleMs);
  buf[OFF_FLAGS] = (parts.destroyed ? FLAG_DESTROYED : 0) | (idleI === 0 ? 0 : FLAG_IDLE_OWN_STAMP);
  writeUint(buf, OFF_LIVE, 6, liveBytes);
  writeUint(buf, OFF_S, 4, stamps.length);
  writeUint(buf, OFF_N, 4, nodes.length);
  let at = OFF_STAMPS;
  for (let s = 0; s < stamps.length; s++) {
    writeUint(buf, at, 6, stamps[s]!.wallMs);
    writeUint(buf, at + 6, 4, stamps[s]!.logical);
    writeUint(buf, at + 10, 2, nodeOf[s]!);
    at += STAMP_BYTES;
  }
  for (let n = 0; n < nodes.length; n++) {
    at = writeVarint(buf, at, nodeBytes[n]!);
    at += buf.write(nodes[n]!, at, 'utf8');
  }
  at = writeVarint(buf, at, entries);
  for (let e = 0, i = 0; i < t.length; e++, i += STRIDE) {
    at = writeVarint(buf, at, nameBytes[e]!);
    at += buf.write(t[i] as string, at, 'utf8');
    at = writeVarint(buf, at, kinds[e]!);
    const value = t[i + 1];
    if (value !== TOMBSTONE) {
      const v = value as Uint8Array;
      at = writeVarint(buf, at, v.length);
      buf.set(v, at);
      at += v.length;
    }
  }
  if (at !== size) throw new Error(`session body: wrote ${at} of ${size} bytes`);
  return buf.toString('latin1', 0, size);
}

/** Everything in a body; attribute values are views into one fresh copy of its bytes. */
export function unpackBody(body: string): UnpackedBody {
  const buf = Buffer.from(body, 'latin1');
  const s = readUint(buf, OFF_S, 4);
  const n = readUint(buf, OFF_N, 4);
  let at = OFF_STAMPS + s * STAMP_BYTES;
  const nodes = new Array<string>(n);
  for (let k = 0; k < n; k++) {
    const [len, next] = readVarint(buf, at);
    nodes[k] = buf.toString('utf8', next, next + len);
    at = next + len;
  }
  const stamps = new Array<Hlc>(s);
  for (let k = 0, p = OFF_STAMPS; k < s; k++, p += STAMP_BYTES) {
    stamps[k] = { wallMs: readUint(buf, p, 6), logical: readUint(buf, p + 6, 4), nodeId: nodes[readUint(buf, p + 10, 2)]! };
  }
  const [entries, afterCount] = readVarint(buf, at);
  at = afterCount;
  const attrs: unknown[] = entries === 0 ? (EMPTY_TABLE as unknown[]) : new Array<unknown>(entries * STRIDE);
  for (let i = 0; i < entries * STRIDE; i += STRIDE) {
    const [nameLen, nameAt] = readVarint(buf, at);
    attrs[i] = readName(buf, nameAt, nameAt + nameLen);
    const [kind, afterKind] = readVarint(buf, nameAt + nameLen);
    attrs[i + 2] = stamps[kind >>> 1];
    if (kind & 1) {
      attrs[i + 1] = TOMBSTONE;
      at = afterKind;
    } else {
      const [valueLen, valueAt] = readVarint(buf, afterKind);
      attrs[i + 1] = buf.subarray(valueAt, valueAt + valueLen);
      at = valueAt + valueLen;
    }
  }
  const flags = buf[OFF_FLAGS]!;
  return {
    version: readUint(buf, OFF_VERSION, 7),
    createdAtMs: readUint(buf, OFF_CREATED, 6),
    maxIdleMs: readUint(buf, OFF_IDLE, 6),
    destroyed: (flags & FLAG_DESTROYED) !== 0,
    liveBytes: readUint(buf, OFF_LIVE, 6),
    stamp: stamps[0]!,
    maxIdleStamp: stamps[flags & FLAG_IDLE_OWN_STAMP ? 1 : 0]!,
    attrs,
  };
}

// Header fields read straight from the string: O(1), no allocation (used on every operation).

export function bodyVersion(body: string): number {
  return readStr(body, OFF_VERSION, 7);
}

export function bodyCreatedAtMs(body: string): number {
  return readStr(body, OFF_CREATED, 6);
}

export function bodyMaxIdleMs(body: string): number {
  return readStr(body, OFF_IDLE, 6);
}

export function bodyDestroyed(body: string): boolean {
  return (body.charCodeAt(OFF_FLAGS) & FLAG_DESTROYED) !== 0;
}

export function bodyLiveBytes(body: string): number {
  return readStr(body, OFF_LIVE, 6);
}

/** The record stamp (which = 0) or the maxIdleStamp (which = 1), as a new Hlc. */
export function bodyStamp(body: string, which: 0 | 1): Hlc {
  const k = which === 1 && body.charCodeAt(OFF_FLAGS) & FLAG_IDLE_OWN_STAMP ? 1 : 0;
  const p = OFF_STAMPS + k * STAMP_BYTES;
  const node = readStr(body, p + 10, 2);
  let at = OFF_STAMPS + readStr(body, OFF_S, 4) * STAMP_BYTES;
  for (let i = 0; ; i++) {
    let len = 0;
    let mul = 1;
    for (;;) {
      const b = body.charCodeAt(at++);
      len += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 128) break;
    }
    if (i === node) {
      // A fresh flat string: a substring could be a slice that keeps the whole body alive.
      const nodeId = Buffer.from(body.slice(at, at + len), 'latin1').toString('utf8');
      return { wallMs: readStr(body, p, 6), logical: readStr(body, p + 6, 4), nodeId };
    }
    at += len;
  }
}

function readStr(s: string, at: number, bytes: number): number {
  let v = 0;
  for (let i = 0; i < bytes; i++) v = v * 256 + s.charCodeAt(at + i);
  return v;
}

function readUint(buf: Buffer, at: number, bytes: number): number {
  let v = 0;
  for (let i = 0; i < bytes; i++) v = v * 256 + buf[at + i]!;
  return v;
}

function writeUint(buf: Buffer, at: number, bytes: number, value: number): void {
  for (let i = bytes - 1; i >= 0; i--) {
    buf[at + i] = value % 256;
    value = Math.floor(value / 256);
  }
  if (value !== 0) throw new Error(`session body: ${bytes}-byte field overflow`);
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 128) {
    buf[at++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

function readVarint(buf: Buffer, at: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    const b = buf[at++]!;
    v += (b & 0x7f) * mul;
    mul *= 128;
    if (b < 128) return [v, at];
  }
}

/** ASCII names (the usual case) without going through the UTF-8 decoder. */
function readName(buf: Buffer, from: number, to: number): string {
  for (let i = from; i < to; i++) if (buf[i]! >= 128) return buf.toString('utf8', from, to);
  return buf.toString('latin1', from, to);
}
