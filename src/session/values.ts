/**
 * Session values: JSON-compatible data plus Date and binary (DESIGN.md §8), checked and copied at
 * write time so that a stored value never aliases the caller's object (a later mutation by the
 * app would otherwise change the primary's copy behind the backups' back).
 *
 * Normal forms, chosen so that a value is deep-equal before and after a msgpack round trip, and
 * so encodes to the same bytes again (every copy stores the encoding, see encodeValue: the
 * primary encodes the app's value, a backup re-encodes the value decoded from the wire; they
 * must agree byte for byte):
 * - binary (Uint8Array or Buffer) → a Buffer copy (msgpackr decodes bin as Buffer);
 * - Date → a new Date with the same time; -0 → 0 (msgpack has no integer -0);
 * - objects → plain `{}` objects with the same own enumerable string keys, in the same order;
 *   a property whose value is undefined is left out, as JSON.stringify does.
 * Refused (ERR_INVALID_VALUE, with the path of the bad value, e.g. `data.cart.items[3]`):
 * functions, symbols (as values or keys), BigInt, NaN/±Infinity, invalid Dates, undefined or holes
 * inside arrays, class instances (Map, Set, RegExp, Error, boxed primitives, typed arrays other
 * than Uint8Array, …), cycles, nesting deeper than maxValueDepth, strings that are not
 * well-formed UTF-16 (a lone surrogate would not survive UTF-8), keys `__proto__`, `constructor`,
 * `prototype`.
 */
import { isDeepStrictEqual } from 'node:util';
import { Packr } from 'msgpackr';
import { SessionMeshError } from '../errors.js';
import { TOMBSTONE } from './attrs.js';
import { isValidMaxIdleMs } from './limits.js';

/**
 * The one msgpack codec for session data. No records (a self-describing map per object, so any
 * member can decode any value without shared structure state), no structured-clone references
 * (untrusted bytes must not build cycles).
 */
export const sessionPackr = new Packr({ useRecords: false, structuredClone: false });

export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Bytes of the msgpack encoding of a value (as stored and replicated). */
export function encodedSize(value: unknown): number {
  return sessionPackr.pack(value).length;
}

/**
 * An encoded value: the msgpack encoding of a normalised value held in a one-byte string, one
 * character per byte (latin1). The stored form of attribute values (packed.ts): a string is
 * cheap to slice, compare and copy into a body, where a Buffer per value would cost ~100 bytes
 * of wrapper and an allocation of its own.
 */
export type Encoded = string;

/**
 * Deterministic: equal values in equal key order give equal encodings, and
 * decodeValue(encodeValue(v)) is deep-equal to v (the normal forms above).
 */
export function encodeValue(value: unknown): Encoded {
  return sessionPackr.pack(value).toString('latin1');
}

/** A fresh copy of a stored value, for the app or the wire. */
export function decodeValue(encoded: Encoded): unknown {
  return sessionPackr.unpack(Buffer.from(encoded, 'latin1'));
}

/** Byte-wise total order on encodings (the tie-break order of compareValues). */
export function compareEncoded(a: Encoded, b: Encoded): number {
  return a === b ? 0 : a < b ? -1 : 1; // one byte per code unit: string order is byte order
}

/**
 * Equality of two stored values as valuesEqual sees the decoded ones: same bytes, or (only
 * possible with the same length) the same keys and values in another order.
 */
export function encodedEqual(a: Encoded, b: Encoded): boolean {
  if (a === b) return true;
  // Only a map, or an array (it may hold maps), can be deep-equal with other bytes.
  return a.length === b.length && isContainer(a) && isDeepStrictEqual(decodeValue(a), decodeValue(b));
}

function isContainer(e: Encoded): boolean {
  const b = e.charCodeAt(0);
  return (b >= 0x80 && b <= 0x9f) || (b >= 0xdc && b <= 0xdf); // fixmap, fixarray, array16/32, map16/32
}

/**
 * A total order on normalised values, by their encoding; used only to break exact stamp ties in
 * LWW merges (split brain with equal stamps cannot happen between honest members, but the merge
 * must stay deterministic whatever it is fed).
 */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  // Copy the first encoding: the packer reuses its buffer for the second one.
  const ea = Buffer.from(sessionPackr.pack(a));
  return Buffer.compare(ea, sessionPackr.pack(b));
}

export interface CloneLimits {
  /** Containers (objects, arrays) nested in one attribute value. */
  readonly maxValueDepth: number;
  /**
   * Encoded bytes allowed for everything cloned by this cloner. Checked against a cheap lower
   * bound while walking, so a huge or exponentially shared (DAG) value is refused with
   * ERR_SESSION_TOO_LARGE before it is copied, not after.
   */
  readonly budgetBytes: number;
  /**
   * Input from the network: undefined anywhere is refused rather than dropped.
   */
  readonly strict?: boolean;
}

type PathKey = string | number;

/**
 * Validates and copies values. It carries one operation's byte budget: a new instance per
 * operation, or one kept by a hot path and restarted with begin() (clone is synchronous, so an
 * operation never interleaves with another).
 */
export class ValueCloner {
  private budgetBytes: number;
  private readonly path: PathKey[] = [];
  private readonly ancestors: object[] = [];

  constructor(private limits: CloneLimits) {
    this.budgetBytes = limits.budgetBytes;
  }

  /** Starts a new operation with `limits` (and a full budget); returns this cloner. */
  begin(limits: CloneLimits): this {
    this.limits = limits;
    this.budgetBytes = limits.budgetBytes;
    return this;
  }

  /** Checks an attribute name (string, not reserved, well-formed). */
  checkName(name: unknown): asserts name is string {
    if (typeof name !== 'string') throw invalid(`attribute name must be a string, got ${describe(name)}`, 'data');
    if (RESERVED_KEYS.has(name)) throw invalid(`key ${JSON.stringify(name)} is not allowed`, formatPath([name]));
    if (!isWellFormed(name)) throw invalid('key is not well-formed Unicode', formatPath([name]));
  }

  /** Returns the normalised copy of an attribute value named `name`. */
  clone(name: string, value: unknown): unknown {
    // Empty unless a previous clone threw. (Only then emptied: `length = 0` frees the arrays'
    // backing stores, and every attribute would allocate them again.)
    if (this.path.length !== 0) this.path.length = 0;
    if (this.ancestors.length !== 0) this.ancestors.length = 0;
    this.path.push(name);
    if (value === undefined) throw invalid('undefined is not a value (delete the attribute instead)', formatPath(this.path));
    const copy = this.cloneAt(value);
    this.path.pop();
    return copy;
  }

  private cloneAt(value: unknown): unknown {
    this.spend(1);
    switch (typeof value) {
      case 'string':
        this.spend(value.length); // UTF-8 never takes fewer bytes than UTF-16 code units
        if (!isWellFormed(value)) throw this.fail('string is not well-formed Unicode (lone surrogate)');
        return value; // stored encoded (encodeValue): no slice of a frame outlives the write
      case 'number':
        if (!Number.isFinite(value)) throw this.fail(`${value} is not allowed (not JSON)`);
        return value === 0 ? 0 : value; // -0 → 0
      case 'boolean':
        return value;
      case 'undefined':
        throw this.fail('undefined is not allowed here');
      case 'bigint':
        throw this.fail('BigInt is not allowed');
      case 'symbol':
        throw this.fail('a symbol is not allowed');
      case 'function':
        throw this.fail('a function is not allowed');
    }
    if (value === null) return null;
    const obj = value as object;
    if (obj instanceof Date) {
      const t = obj.getTime();
      if (Number.isNaN(t)) throw this.fail('invalid Date');
      this.spend(5);
      return new Date(t);
    }
    if (obj instanceof Uint8Array) {
      this.spend(obj.length);
      // A dedicated backing store: a pooled slice could pin an 8 KiB slab for the session's life.
      const copy = Buffer.allocUnsafeSlow(obj.length);
      copy.set(obj);
      return copy;
    }
    if (Array.isArray(obj)) {
      if (Object.getPrototypeOf(obj) !== Array.prototype) throw this.fail('an Array subclass is not allowed');
      this.enter(obj);
      const out = new Array<unknown>(obj.length);
      for (let i = 0; i < obj.length; i++) {
        this.path.push(i);
        if (!(i in obj)) throw this.fail('a hole in an array is not allowed');
        const item = (obj as unknown[])[i];
        if (item === undefined) throw this.fail('undefined inside an array is not allowed');
        out[i] = this.cloneAt(item);
        this.path.pop();
      }
      this.leave();
      return out;
    }
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) throw this.fail(`${typeName(obj)} is not allowed (only plain objects, arrays, Date, Uint8Array)`);
    if (Object.getOwnPropertySymbols(obj).length > 0) throw this.fail('symbol keys are not allowed');
    this.enter(obj);
    const out: Record<string, unknown> = {};
    for (const key in obj) {
      if (!Object.hasOwn(obj, key)) continue; // (for…in: the same keys as Object.keys, no array)
      this.path.push(key);
      if (RESERVED_KEYS.has(key)) throw this.fail(`key ${JSON.stringify(key)} is not allowed`);
      if (!isWellFormed(key)) throw this.fail('key is not well-formed Unicode');
      const item = (obj as Record<string, unknown>)[key];
      if (item === undefined) {
        if (this.limits.strict) throw this.fail('undefined is not allowed here');
      } else {
        this.spend(key.length + 1);
        out[key] = this.cloneAt(item);
      }
      this.path.pop();
    }
    this.leave();
    return out;
  }

  private enter(obj: object): void {
    if (this.ancestors.includes(obj)) throw this.fail('a cycle is not allowed');
    if (this.ancestors.length >= this.limits.maxValueDepth) {
      throw this.fail(`nested deeper than maxValueDepth (${this.limits.maxValueDepth})`);
    }
    this.ancestors.push(obj);
  }

  private leave(): void {
    this.ancestors.pop();
  }

  private spend(bytes: number): void {
    this.budgetBytes -= bytes;
    if (this.budgetBytes < 0) {
      throw new SessionMeshError('ERR_SESSION_TOO_LARGE', `session data exceeds ${this.limits.budgetBytes} bytes (at ${formatPath(this.path)})`, {
        path: formatPath(this.path),
        maxSessionBytes: this.limits.budgetBytes,
      });
    }
  }

  private fail(reason: string): SessionMeshError {
    return invalid(reason, formatPath(this.path));
  }
}

/** The fields of a change (update.ts SessionUpdate), unchecked: from the app or the wire. */
export interface ChangeInput {
  readonly set?: unknown;
  readonly delete?: unknown;
  readonly maxIdleMs?: unknown;
}

/**
 * THE check of a change to a session (one set of rules for every member): its shape, its
 * attribute names and its values (cloned with `cloner`, which carries the op's byte budget).
 * Returns name → the checked, normalised copy of its new value, or TOMBSTONE to delete it
 * (`set: {a: undefined}` deletes `a`). The primary's write (update.ts write()) applies it to
 * every op it executes, local or from the wire; a member that routes an op to a remote primary
 * applies it where the op enters (replication/ops.ts checkOp), so that a bad value fails there
 * at once with ERR_INVALID_VALUE instead of travelling (or failing to encode) first.
 */
export function checkChange(update: unknown, cloner: ValueCloner): Map<string, unknown> {
  if (typeof update !== 'object' || update === null) throw invalidChange('update must be an object');
  const { set, delete: del, maxIdleMs } = update as ChangeInput;
  if (set !== undefined && !isPlainRecord(set)) throw invalidChange('set must be a plain object');
  if (del !== undefined && !Array.isArray(del)) throw invalidChange('delete must be an array of names');
  if (maxIdleMs !== undefined) checkMaxIdleMs(maxIdleMs);
  const wanted = new Map<string, unknown>();
  if (set !== undefined) {
    for (const name of Object.keys(set)) {
      cloner.checkName(name);
      const value = set[name];
      wanted.set(name, value === undefined ? TOMBSTONE : cloner.clone(name, value));
    }
  }
  if (del !== undefined) {
    for (const name of del as unknown[]) {
      cloner.checkName(name);
      if (wanted.has(name) && wanted.get(name) !== TOMBSTONE) throw invalidChange(`attribute ${JSON.stringify(name)} is both set and deleted`);
      wanted.set(name, TOMBSTONE);
    }
  }
  return wanted;
}

export function checkMaxIdleMs(ms: unknown): asserts ms is number {
  if (!isValidMaxIdleMs(ms)) throw invalidChange(`maxIdleMs must be an integer from 1 to 400 days in ms, got ${String(ms)}`);
}

function isPlainRecord(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function invalidChange(reason: string): SessionMeshError {
  return new SessionMeshError('ERR_INVALID_VALUE', `invalid session update: ${reason}`);
}

function invalid(reason: string, path: string): SessionMeshError {
  return new SessionMeshError('ERR_INVALID_VALUE', `invalid session value at ${path}: ${reason}`, { path });
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `data.cart.items[3]`, `data["odd key"]`. */
export function formatPath(keys: readonly PathKey[]): string {
  let out = 'data';
  for (const k of keys) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (IDENTIFIER.test(k)) out += `.${k}`;
    else out += `[${JSON.stringify(k)}]`;
  }
  return out;
}

function typeName(obj: object): string {
  const ctor = (obj as { constructor?: unknown }).constructor;
  const name = typeof ctor === 'function' ? ctor.name : '';
  return name ? `${name} instance` : 'object with a custom prototype';
}

function describe(x: unknown): string {
  return x === null ? 'null' : typeof x;
}

const wellFormed = (String.prototype as unknown as { isWellFormed?: (this: string) => boolean }).isWellFormed;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isWellFormed(s: string): boolean {
  return wellFormed ? wellFormed.call(s) : !LONE_SURROGATE.test(s);
}

/**
 * A copy of `s` that references no other string. msgpackr's native string extraction returns
 * slices of one string holding many fields of the frame; V8 keeps the whole parent alive for a
 * slice of 13+ characters, which measured ~190 extra bytes per stored backup copy. Shorter
 * strings are always copies already.
 */
export function flatString(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

