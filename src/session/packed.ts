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
 * Layout (integers big-endian; varint = unsigned LEB128; names and node ids UTF-8):
 *
 *   0  version      7 bytes
 *   7  createdAtMs  6 bytes
 *  13  maxIdleMs    6 bytes
 *  19  flags        1 byte: 1 destroyed, 2 maxIdleStamp is stamps[1] (else stamps[0])
 *  20  digest       7 bytes: sessionDigest (digest.ts), computed once when packed
 *  27  S            4 bytes: number of distinct stamps
 *  31  N            4 bytes: number of distinct stamp node ids
 *  35  mapAt        4 bytes: offset of the data map
 *  39  stamps       S × 12 bytes: wallMs 6, logical 4, node index 2; stamps[0] is the record stamp
 *      nodes        N × (varint byte length, UTF-8)
 *      epochs       S × varint: the epoch of stamps[k] (hlc.ts; one byte below 128, two below 16384)
 *      A            varint: number of attribute entries, sorted by name as in attrs.ts
 *      entries      A × (varint stampIndex*2 + deleted, then
 *                        deleted: varint name length, UTF-8 name; live: varint value length)
 *  mapAt data       a msgpack map of the live attributes, name → value, in entry order
 *
 * The data map is exactly what the app sees: toPlainData is one msgpack decode of it, and its
 * size minus its header is liveBytes (Σ encodedSize(name) + encodedSize(value), limits.ts).
 * Live entries find their name in the map; the value follows the name there.
 *
 * Stamps and node ids are numbered in order of first use (record stamp, maxIdleStamp, then the
 * attributes in name order) and deduplicated by value, the same numbering as the wire form
 * (codec.ts). So equal contents give equal bodies: the body is canonical, and comparing two
 * bodies compares the replicated state.
 */
import { type Hlc, isValidEpoch } from '../clock/hlc.js';
import { type AttrTable, EMPTY_TABLE, STRIDE, TOMBSTONE } from './attrs.js';
import { digestOfParts } from './digest.js';
import { StampTable } from './stamp-table.js';
import { type Encoded, sessionPackr } from './values.js';

const OFF_VERSION = 0;
const OFF_CREATED = 7;
const OFF_IDLE = 13;
const OFF_FLAGS = 19;
const OFF_DIGEST = 20;
const OFF_S = 27;
const OFF_N = 31;
const OFF_MAP = 35;
const OFF_STAMPS = 39;
const STAMP_BYTES = 12;
const FLAG_DESTROYED = 1;
const FLAG_IDLE_OWN_STAMP = 2;

/** The replicated state of a copy, unpacked; transient (merge, update, codec work on it). */
export interface BodyParts {
  readonly version: number;
  readonly createdAtMs: number;
  readonly maxIdleMs: number;
  readonly destroyed: boolean;
  readonly stamp: Hlc;
  readonly maxIdleStamp: Hlc;
  /** Values are Encoded strings (values.ts) or TOMBSTONE. */
  readonly attrs: AttrTable;
}

export interface UnpackedBody extends BodyParts {
  readonly liveBytes: number;
}

/** Bytes of the msgpack header of a string of `utf8Bytes` bytes (fixstr, str8, str16, str32). */
export function msgpackStrHeaderBytes(utf8Bytes: number): number {
  return utf8Bytes < 32 ? 1 : utf8Bytes < 256 ? 2 : utf8Bytes < 65536 ? 3 : 5;
}

/** encodedSize(name) of values.ts, without encoding. */
export function encodedNameSize(name: string): number {
  const n = utf8Length(name);
  return msgpackStrHeaderBytes(n) + n;
}

function mapHeaderBytes(entries: number): number {
  return entries < 16 ? 1 : entries < 65536 ? 3 : 5;
}

function varintBytes(n: number): number {
  let bytes = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    bytes++;
  }
  return bytes;
}

/** UTF-8 length; ASCII (names, node ids) without a native call. */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

/**
 * Packs `parts` of session `id` into a body. Throws (a plain Error) on input no valid record can
 * have. The body is built as string pieces (bytes via String.fromCharCode, names, and the
 * values, which already are byte strings) joined once: Array.prototype.join yields one flat
 * one-byte string of exactly the body's size, with no intermediate buffer or copy per value.
 */
export function packBody(id: string, parts: BodyParts): string {
  const t = parts.attrs;
  // The tables and the writer are reused (packBody is synchronous and never re-entered): a
  // write packs two bodies, and allocating these each time made GC a third of its cost.
  const table = sharedTable;
  table.reset();
  table.indexOf(parts.stamp);
  const idleI = table.indexOf(parts.maxIdleStamp);
  const entries = t.length / STRIDE;
  const kinds = sharedKinds;
  const utf8Names = sharedNames;
  let indexSize = varintBytes(entries);
  let live = 0;
  let liveBytes = 0;
  for (let e = 0, i = 0; i < t.length; e++, i += STRIDE) {
    const value = t[i + 1];
    const dead = value === TOMBSTONE;
    const kind = table.indexOf(t[i + 2] as Hlc) * 2 + (dead ? 1 : 0);
    kinds[e] = kind;
    const name = utf8Bytes(t[i] as string);
    utf8Names[e] = name;
    const nb = name.length;
    indexSize += varintBytes(kind);
    if (dead) {
      indexSize += varintBytes(nb) + nb;
    } else {
      const vb = (value as Encoded).length;
      indexSize += varintBytes(vb);
      liveBytes += msgpackStrHeaderBytes(nb) + nb + vb;
      live++;
    }
  }
  const { stamps, nodes, nodeOf } = table;
  const utf8Nodes = sharedNodes;
  let nodesSize = 0;
  for (let k = 0; k < table.nodeCount; k++) {
    const node = utf8Bytes(nodes[k]!);
    utf8Nodes[k] = node;
    nodesSize += varintBytes(node.length) + node.length;
  }
  let epochsSize = 0;
  for (let k = 0; k < table.size; k++) {
    const e = stamps[k]!.epoch;
    if (!isValidEpoch(e)) throw new Error(`session body: bad stamp epoch ${e}`);
    epochsSize += varintBytes(e);
  }
  const mapAt = OFF_STAMPS + table.size * STAMP_BYTES + nodesSize + epochsSize + indexSize;

  const out = sharedWriter;
  out.reset();
  out.uint(7, parts.version);
  out.uint(6, parts.createdAtMs);
  out.uint(6, parts.maxIdleMs);
  out.byte((parts.destroyed ? FLAG_DESTROYED : 0) | (idleI === 0 ? 0 : FLAG_IDLE_OWN_STAMP));
  out.uint(7, digestOfParts(id, parts));
  out.uint(4, table.size);
  out.uint(4, table.nodeCount);
  out.uint(4, mapAt);
  for (let k = 0; k < table.size; k++) {
    out.uint(6, stamps[k]!.wallMs);
    out.uint(4, stamps[k]!.logical);
    out.uint(2, nodeOf[k]!);
  }
  for (let k = 0; k < table.nodeCount; k++) {
    out.varint(utf8Nodes[k]!.length);
    out.text(utf8Nodes[k]!);
  }
  for (let k = 0; k < table.size; k++) out.varint(stamps[k]!.epoch);
  out.varint(entries);
  for (let e = 0, i = 0; i < t.length; e++, i += STRIDE) {
    out.varint(kinds[e]!);
    if (t[i + 1] === TOMBSTONE) {
      out.varint(utf8Names[e]!.length);
      out.text(utf8Names[e]!);
    } else {
      out.varint((t[i + 1] as Encoded).length);
    }
  }
  if (out.size !== mapAt) throw new Error(`session body: index ends at ${out.size}, not ${mapAt}`);
  if (live < 16) out.byte(0x80 | live);
  else if (live < 65536) {
    out.byte(0xde);
    out.uint(2, live);
  } else {
    out.byte(0xdf);
    out.uint(4, live);
  }
  for (let e = 0, i = 0; i < t.length; e++, i += STRIDE) {
    const value = t[i + 1];
    if (value === TOMBSTONE) continue;
    // The name as a msgpack str with the smallest header (as msgpackr writes it), then the value.
    const nb = utf8Names[e]!.length;
    if (nb < 32) out.byte(0xa0 | nb);
    else if (nb < 256) {
      out.byte(0xd9);
      out.byte(nb);
    } else if (nb < 65536) {
      out.byte(0xda);
      out.uint(2, nb);
    } else {
      out.byte(0xdb);
      out.uint(4, nb);
    }
    out.text(utf8Names[e]!);
    out.text(value as Encoded);
  }
  const body = out.finish();
  table.reset(); // let go of the stamps (kinds and names are overwritten by the next body)
  if (body.length !== mapAt + mapHeaderBytes(live) + liveBytes) throw new Error('session body: size mismatch');
  return body;
}

/** `s` as UTF-8 bytes, one character per byte; ASCII strings are their own encoding. */
function utf8Bytes(s: string): string {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return Buffer.from(s, 'utf8').toString('latin1');
  return s;
}

/** Collects a body as byte-string pieces; loose bytes are batched into one piece. */
class BodyWriter {
  private readonly pieces: string[] = [];
  /** Loose bytes not yet in `pieces`. */
  private readonly bytes = Buffer.allocUnsafeSlow(4096);
  private count = 0;
  size = 0;

  reset(): void {
    this.pieces.length = 0;
    this.count = 0;
    this.size = 0;
  }

  byte(b: number): void {
    this.bytes[this.count++] = b;
    this.size++;
    if (this.count === this.bytes.length) this.flush();
  }

  /** Big-endian unsigned `value` in `n` ≤ 7 bytes; values come validated, the check is cheap. */
  uint(n: number, value: number): void {
    if (!(value >= 0 && value <= MAX_FIELD[n]!)) throw new Error(`session body: ${value} does not fit ${n} bytes`);
    const hi = Math.floor(value / 4294967296);
    const lo = value >>> 0;
    if (n === 7) this.byte(Math.floor(hi / 65536));
    if (n >= 6) {
      this.byte((hi >>> 8) & 255);
      this.byte(hi & 255);
    }
    if (n >= 4) {
      this.byte(lo >>> 24);
      this.byte((lo >>> 16) & 255);
    }
    this.byte((lo >>> 8) & 255);
    this.byte(lo & 255);
  }

  varint(n: number): void {
    while (n >= 128) {
      this.byte((n % 128) | 128);
      n = Math.floor(n / 128);
    }
    this.byte(n);
  }

  /** A byte string (characters 0–255). */
  text(s: string): void {
    if (s.length === 0) return;
    this.flush();
    this.pieces.push(s);
    this.size += s.length;
  }

  finish(): string {
    this.flush();
    const body = this.pieces.join('');
    this.pieces.length = 0; // values are slices of other bodies: do not keep them alive
    return body;
  }

  private flush(): void {
    if (this.count === 0) return;
    // One byte (a name's header) is a cached one-character string.
    this.pieces.push(this.count === 1 ? String.fromCharCode(this.bytes[0]!) : this.bytes.toString('latin1', 0, this.count));
    this.count = 0;
  }
}

const MAX_FIELD: readonly number[] = [0, 0, 0xffff, 0, 0xffffffff, 0, 2 ** 48 - 1, Number.MAX_SAFE_INTEGER];

const sharedTable = new StampTable();
const sharedKinds: number[] = [];
const sharedNames: string[] = [];
const sharedNodes: string[] = [];
const sharedWriter = new BodyWriter();

/** Read cursor of the parsers below (synchronous, never re-entered). */
let pos = 0;

function varint(s: string): number {
  let v = 0;
  let mul = 1;
  for (;;) {
    const b = s.charCodeAt(pos++);
    if (b !== b) throw new Error('session body: truncated'); // NaN past the end: never loop on it
    v += (b & 0x7f) * mul;
    if (b < 128) return v;
    mul *= 128;
  }
}

/** `len` bytes of UTF-8 at pos, as a string of its own (a slice could keep the body alive). */
function text(s: string, len: number): string {
  const from = pos;
  const to = pos + len;
  pos = to;
  for (let i = from; i < to; i++) if (s.charCodeAt(i) >= 128) return Buffer.from(s.slice(from, to), 'latin1').toString('utf8');
  if (len < 13) return s.slice(from, to); // V8 copies short substrings
  const slice = s.slice(from, to);
  const hit = interned.get(slice);
  if (hit !== undefined) return hit;
  const flat = Buffer.from(slice, 'latin1').toString('latin1');
  if (interned.size >= INTERN_MAX) interned.clear();
  interned.set(flat, flat);
  return flat;
}

/**
 * Node ids and long names recur in every body; one flat copy each, shared by all unpacked
 * tables, saves an allocation per use. Bounded: cleared when full.
 */
const INTERN_MAX = 1024;
const interned = new Map<string, string>();

/** A msgpack str at pos (a name in the data map). */
function mapName(s: string): string {
  const b = s.charCodeAt(pos);
  let len: number;
  if (b >= 0xa0 && b <= 0xbf) {
    len = b & 0x1f;
    pos += 1;
  } else if (b === 0xd9) {
    len = s.charCodeAt(pos + 1);
    pos += 2;
  } else if (b === 0xda) {
    len = readStr(s, pos + 1, 2);
    pos += 3;
  } else {
    len = readStr(s, pos + 1, 4);
    pos += 5;
  }
  return text(s, len);
}

/**
 * Everything in a body. Names, node ids and stamps are fresh; values are slices of the body
 * (Encoded strings), so hold on to them only as long as the body is held anyway.
 */
export function unpackBody(body: string): UnpackedBody {
  const s = readStr(body, OFF_S, 4);
  const n = readStr(body, OFF_N, 4);
  const mapAt = readStr(body, OFF_MAP, 4);
  pos = OFF_STAMPS + s * STAMP_BYTES;
  const nodes = new Array<string>(n);
  for (let k = 0; k < n; k++) nodes[k] = text(body, varint(body));
  const stamps = new Array<Hlc>(s);
  for (let k = 0, p = OFF_STAMPS; k < s; k++, p += STAMP_BYTES) {
    // (epoch first: the epochs follow the nodes, read in order at pos)
    stamps[k] = { epoch: varint(body), wallMs: readStr(body, p, 6), logical: readStr(body, p + 6, 4), nodeId: nodes[readStr(body, p + 10, 2)]! };
  }
  const entries = varint(body);
  const attrs: unknown[] = entries === 0 ? (EMPTY_TABLE as unknown[]) : new Array<unknown>(entries * STRIDE);
  const b0 = body.charCodeAt(mapAt);
  let m = mapAt + (b0 === 0xde ? 3 : b0 === 0xdf ? 5 : 1);
  for (let i = 0; i < entries * STRIDE; i += STRIDE) {
    const kind = varint(body);
    attrs[i + 2] = stamps[Math.floor(kind / 2)];
    if (kind % 2 === 1) {
      attrs[i] = text(body, varint(body));
      attrs[i + 1] = TOMBSTONE;
    } else {
      const valueLen = varint(body);
      const indexPos = pos;
      pos = m;
      attrs[i] = mapName(body);
      attrs[i + 1] = body.slice(pos, pos + valueLen);
      m = pos + valueLen;
      pos = indexPos;
    }
  }
  const flags = body.charCodeAt(OFF_FLAGS);
  return {
    version: readStr(body, OFF_VERSION, 7),
    createdAtMs: readStr(body, OFF_CREATED, 6),
    maxIdleMs: readStr(body, OFF_IDLE, 6),
    destroyed: (flags & FLAG_DESTROYED) !== 0,
    liveBytes: body.length - mapAt - (b0 === 0xde ? 3 : b0 === 0xdf ? 5 : 1),
    stamp: stamps[0]!,
    maxIdleStamp: stamps[flags & FLAG_IDLE_OWN_STAMP ? 1 : 0]!,
    attrs,
  };
}

/** The live attributes as the app sees them: one msgpack decode of the data map. */
export function bodyData(body: string): Record<string, unknown> {
  const mapAt = readStr(body, OFF_MAP, 4);
  const bytes = Buffer.allocUnsafe(body.length - mapAt);
  bytes.write(body.slice(mapAt), 0, bytes.length, 'latin1');
  return sessionPackr.unpack(bytes) as Record<string, unknown>;
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
  const mapAt = readStr(body, OFF_MAP, 4);
  const b0 = body.charCodeAt(mapAt);
  return body.length - mapAt - (b0 === 0xde ? 3 : b0 === 0xdf ? 5 : 1);
}

export function bodyDigest(body: string): number {
  return readStr(body, OFF_DIGEST, 7);
}

/** The record stamp (which = 0) or the maxIdleStamp (which = 1), as a new Hlc. */
export function bodyStamp(body: string, which: 0 | 1): Hlc {
  const k = which === 1 && body.charCodeAt(OFF_FLAGS) & FLAG_IDLE_OWN_STAMP ? 1 : 0;
  const p = OFF_STAMPS + k * STAMP_BYTES;
  const node = readStr(body, p + 10, 2);
  const n = readStr(body, OFF_N, 4);
  pos = OFF_STAMPS + readStr(body, OFF_S, 4) * STAMP_BYTES;
  // Every node id is passed (the epochs follow them); the stamp's own is read on the way.
  let nodeId = '';
  for (let i = 0; i < n; i++) {
    const len = varint(body); // (not `pos += varint(body)`: that reads pos before varint moves it)
    if (i === node) nodeId = text(body, len);
    else pos += len;
  }
  if (k === 1) varint(body);
  const epoch = varint(body);
  return { epoch, wallMs: readStr(body, p, 6), logical: readStr(body, p + 6, 4), nodeId };
}

function readStr(s: string, at: number, bytes: number): number {
  let v = 0;
  for (let i = 0; i < bytes; i++) v = v * 256 + s.charCodeAt(at + i);
  return v;
}
