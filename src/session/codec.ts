/**
 * Wire form of a session record or delta (deltas are record fragments), used by replication,
 * anti-entropy and migration. A msgpack tuple, no field names:
 *
 *   [format = 2, id, version, createdAtMs, lastAccessMs, maxIdleMs, destroyed,
 *    nodes: string[],                     // distinct stamp node ids
 *    stamps: number[],                    // flat (epoch, wallMs, logical, nodeIndex) quads
 *    stampIndex, maxIdleStampIndex,
 *    attrs: unknown[]]                    // flat (name, stampIndex*2 + deleted, value|null), sorted by name
 *
 * A delta carrying one update has one stamp and one node id however many attributes it sets.
 * Format 1 had no epoch in its stamps (triples); format 2 ranks stamps by table epoch first
 * (hlc.ts), and a format-1 tuple is refused.
 * Decoding validates everything (types, ranges, sort order, stamp invariants, every value
 * re-checked and copied by the value rules) and fails only with ERR_BAD_FRAME.
 */
import { type Hlc, compareHlc, hlcOf, isValidNodeId } from '../clock/hlc.js';
import { SessionMeshError, isSessionMeshError } from '../errors.js';
import { type AttrTable, EMPTY_TABLE, STRIDE, TOMBSTONE } from './attrs.js';
import { isValidSessionId } from './id.js';
import { DEFAULT_SESSION_LIMITS, type SessionLimits, isValidMaxIdleMs } from './limits.js';
import { type BodyParts, bodyData, msgpackStrHeaderBytes, unpackBody } from './packed.js';
import { type SessionRecord, recordFromParts } from './record.js';
import { MAX_STAMP_NODES, StampTable } from './stamp-table.js';
import { RESERVED_KEYS, ValueCloner, encodeValue, flatString, isWellFormed, sessionPackr } from './values.js';

const FORMAT = 2;
const FIELDS = 12;
/** Numbers per stamp in the flat stamps array: epoch, wallMs, logical, node index. */
const STAMP_FIELDS = 4;
const MAX_TIME_MS = 2 ** 48 - 1;

export function recordToWire(record: SessionRecord): unknown[] {
  // The body numbers stamps and node ids exactly as this form does (packed.ts), so its tables
  // are the wire tables; values are decoded to be packed inline with the rest of the message.
  const r = unpackBody(record.body);
  const data = r.attrs.length === 0 ? {} : bodyData(record.body); // one decode for all values
  return wireFromParts(record.id, record.lastAccessMs, r, (name) => data[name]);
}

/**
 * The wire form of a record given as parts; `valueOf(name)` gives each live attribute's decoded
 * value. The primary's writes use it for their deltas with the values they just checked and
 * encoded: a delta is never packed into a body only to be unpacked again for the wire.
 */
export function wireFromParts(id: string, lastAccessMs: number, r: BodyParts, valueOf: (name: string) => unknown): unknown[] {
  const table = wireTable; // (synchronous, never re-entered: valueOf only looks a value up)
  table.reset();
  const stampI = table.indexOf(r.stamp);
  const idleI = table.indexOf(r.maxIdleStamp);
  const t = r.attrs;
  const attrs = new Array<unknown>(t.length);
  for (let i = 0; i < t.length; i += STRIDE) {
    const dead = t[i + 1] === TOMBSTONE;
    attrs[i] = t[i];
    attrs[i + 1] = table.indexOf(t[i + 2] as Hlc) * 2 + (dead ? 1 : 0);
    attrs[i + 2] = dead ? null : valueOf(t[i] as string);
  }
  const stamps = new Array<number>(table.size * STAMP_FIELDS);
  for (let k = 0; k < table.size; k++) {
    const h = table.stamps[k]!;
    stamps[STAMP_FIELDS * k] = h.epoch;
    stamps[STAMP_FIELDS * k + 1] = h.wallMs;
    stamps[STAMP_FIELDS * k + 2] = h.logical;
    stamps[STAMP_FIELDS * k + 3] = table.nodeOf[k]!;
  }
  const nodes = table.nodes.slice(0, table.nodeCount);
  table.reset(); // let go of the stamps
  return [FORMAT, id, r.version, r.createdAtMs, lastAccessMs, r.maxIdleMs, r.destroyed, nodes, stamps, stampI, idleI, attrs];
}

const wireTable = new StampTable();

/** The decoder's cloner, restarted per record (see ValueCloner.begin). */
const wireCloner = new ValueCloner({ maxValueDepth: 1, budgetBytes: 0, strict: true });

/**
 * encodeRecord(record).length, computed from the body without decoding or encoding any value
 * (migration sizes every record it streams). Follows msgpackr's choices: the smallest header
 * for strings, arrays and unsigned integers, and 9 bytes for integers of 2^32 and above.
 */
export function wireSize(record: SessionRecord): number {
  const r = unpackBody(record.body);
  const nodes: string[] = [];
  const stamps: Hlc[] = [];
  let size = 1 + 1 + strSize(record.id) + uintSize(r.version) + uintSize(r.createdAtMs) + uintSize(record.lastAccessMs) + uintSize(r.maxIdleMs) + 1;
  let stampBytes = 0;
  const indexOf = (h: Hlc): number => {
    let i = stamps.indexOf(h); // unpackBody shares one object per distinct stamp
    if (i < 0) {
      let n = nodes.indexOf(h.nodeId);
      if (n < 0) n = nodes.push(h.nodeId) - 1;
      i = stamps.push(h) - 1;
      stampBytes += uintSize(h.epoch) + uintSize(h.wallMs) + uintSize(h.logical) + uintSize(n);
    }
    return i;
  };
  size += uintSize(indexOf(r.stamp)) + uintSize(indexOf(r.maxIdleStamp));
  const t = r.attrs;
  for (let i = 0; i < t.length; i += STRIDE) {
    const dead = t[i + 1] === TOMBSTONE;
    size += strSize(t[i] as string) + uintSize(indexOf(t[i + 2] as Hlc) * 2 + (dead ? 1 : 0)) + (dead ? 1 : (t[i + 1] as string).length);
  }
  size += arraySize(t.length) + arraySize(nodes.length) + arraySize(stamps.length * STAMP_FIELDS) + stampBytes;
  for (const n of nodes) size += strSize(n);
  return size;
}

function uintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n <= 0xffffffff ? 5 : 9;
}

function strSize(s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  return msgpackStrHeaderBytes(n) + n;
}

function arraySize(length: number): number {
  return length < 16 ? 1 : length < 0x10000 ? 3 : 5;
}

/**
 * The encoding is a view into the packer's shared buffer, valid until the caller is done with
 * it (msgpackr never rewrites bytes it handed out); copy it to keep it for long.
 */
export function encodeRecord(record: SessionRecord): Uint8Array {
  return sessionPackr.pack(recordToWire(record));
}

export function decodeRecord(bytes: Uint8Array, limits: SessionLimits = DEFAULT_SESSION_LIMITS): SessionRecord {
  let wire: unknown;
  try {
    wire = sessionPackr.unpack(bytes);
  } catch (err) {
    throw bad(`not msgpack (${err instanceof Error ? err.message.slice(0, 100) : 'error'})`, err);
  }
  return recordFromWire(wire, limits);
}

/** Validates an untrusted tuple (e.g. one embedded in a larger message). */
export function recordFromWire(wire: unknown, limits: SessionLimits = DEFAULT_SESSION_LIMITS): SessionRecord {
  return recordFromWireParts(partsFromWire(wire, limits));
}

/** The record of validated wire parts (packing them can only fail on input, never with another error kind). */
export function recordFromWireParts(w: WireParts): SessionRecord {
  try {
    return recordFromParts(w.id, w.lastAccessMs, w.parts);
  } catch (err) {
    throw bad(err instanceof Error ? err.message : 'invalid', err);
  }
}

/** A validated record tuple, not packed into a body (a backup merges a delta's parts straight in). */
export interface WireParts {
  readonly id: string;
  readonly lastAccessMs: number;
  readonly parts: BodyParts;
}

/** recordFromWire without packing: the same validation, the record's parts. */
export function partsFromWire(wire: unknown, limits: SessionLimits = DEFAULT_SESSION_LIMITS): WireParts {
  try {
    return fromWire(wire, limits);
  } catch (err) {
    if (isSessionMeshError(err, 'ERR_BAD_FRAME')) throw err;
    throw bad(err instanceof Error ? err.message : 'invalid', err);
  }
}

function fromWire(wire: unknown, limits: SessionLimits): WireParts {
  if (!Array.isArray(wire) || wire.length !== FIELDS) throw bad('not a record tuple');
  const [format, id, version, createdAtMs, lastAccessMs, maxIdleMs, destroyed, nodes, flatStamps, stampI, idleI, flatAttrs] = wire as unknown[];
  if (format !== FORMAT) throw bad(`unknown record format ${String(format)}`);
  if (!isValidSessionId(id)) throw bad('bad id');
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) throw bad('bad version');
  if (!isTime(createdAtMs) || !isTime(lastAccessMs)) throw bad('bad times');
  if (!isValidMaxIdleMs(maxIdleMs)) throw bad('bad maxIdleMs');
  if (typeof destroyed !== 'boolean') throw bad('bad destroyed');
  if (!Array.isArray(nodes) || !Array.isArray(flatStamps) || !Array.isArray(flatAttrs)) throw bad('bad tables');
  if (flatStamps.length === 0 || flatStamps.length % STAMP_FIELDS !== 0 || flatAttrs.length % STRIDE !== 0) throw bad('bad table lengths');

  if (nodes.length === 0 || nodes.length > flatStamps.length / STAMP_FIELDS || nodes.length > MAX_STAMP_NODES) throw bad('bad node table');
  const nodeIds = (nodes as unknown[]).map((n) => {
    if (!isValidNodeId(n)) throw bad('bad node id');
    return n;
  });
  const stamps: Hlc[] = [];
  for (let i = 0; i < flatStamps.length; i += STAMP_FIELDS) {
    const n = flatStamps[i + 3] as unknown;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= nodeIds.length) throw bad('bad stamp node index');
    // hlcOf validates each part (epoch: a safe non-negative integer) with ERR_BAD_FRAME.
    stamps.push(hlcOf(flatStamps[i], flatStamps[i + 1], flatStamps[i + 2], nodeIds[n]));
  }
  const stampAt = (i: unknown): Hlc => {
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= stamps.length) throw bad('bad stamp index');
    return stamps[i]!;
  };
  const stamp = stampAt(stampI);
  const maxIdleStamp = stampAt(idleI);
  if (compareHlc(maxIdleStamp, stamp) > 0) throw bad('maxIdleStamp newer than the record stamp');
  if (destroyed && flatAttrs.length > 0) throw bad('destroyed record with attributes');

  // Values are checked and normalised by the same rules as the primary's writes, then stored
  // encoded (packed.ts); nothing of the decoded frame is kept.
  const cloner: ValueCloner = wireCloner.begin({ maxValueDepth: limits.maxValueDepth, budgetBytes: Number.MAX_SAFE_INTEGER, strict: true });
  const attrs = new Array<unknown>(flatAttrs.length); // exactly sized, see attrs.ts
  let previous: string | undefined;
  for (let i = 0; i < flatAttrs.length; i += STRIDE) {
    const name = flatAttrs[i] as unknown;
    if (typeof name !== 'string' || RESERVED_KEYS.has(name) || !isWellFormed(name)) throw bad('bad attribute name');
    if (previous !== undefined && !(previous < name)) throw bad('attributes not sorted or not unique');
    previous = name;
    const kind = flatAttrs[i + 1] as unknown;
    if (typeof kind !== 'number' || !Number.isInteger(kind) || kind < 0) throw bad('bad attribute stamp');
    const attrStamp = stampAt(Math.floor(kind / 2));
    if (compareHlc(attrStamp, stamp) > 0) throw bad('attribute stamp newer than the record stamp');
    const dead = kind % 2 === 1;
    if (dead && flatAttrs[i + 2] !== null) throw bad('deleted attribute with a value');
    attrs[i] = name;
    attrs[i + 1] = dead ? TOMBSTONE : encodeValue(cloner.clone(name, flatAttrs[i + 2]));
    attrs[i + 2] = attrStamp;
  }
  const table: AttrTable = attrs.length === 0 ? EMPTY_TABLE : attrs;
  // flatString: the id is kept (store key); a slice of the frame's string would pin the frame.
  return { id: flatString(id), lastAccessMs, parts: { version, createdAtMs, maxIdleMs, maxIdleStamp, stamp, destroyed, attrs: table } };
}

function isTime(ms: unknown): ms is number {
  return typeof ms === 'number' && Number.isInteger(ms) && ms >= 0 && ms <= MAX_TIME_MS;
}

function bad(reason: string, cause?: unknown): SessionMeshError {
  return new SessionMeshError('ERR_BAD_FRAME', `invalid session record: ${reason}`, undefined, cause === undefined ? undefined : { cause });
}
