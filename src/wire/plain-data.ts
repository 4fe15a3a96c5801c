/**
 * What a message body may contain (transport.ts contract, DESIGN.md §8): null, boolean, finite
 * number, string, Uint8Array/Buffer, valid Date, arrays and plain objects (prototype
 * Object.prototype, or null when encoding). Used on both sides of the codec: before encoding, so a
 * class instance or a function fails loudly at the sender, and after decoding, as a second line of
 * defence behind msgpack-scan.ts.
 */
import { MAX_BODY_DEPTH } from './limits.js';

/** Keys that would reach a prototype if some consumer copied objects naively (`Object.assign`, merges). */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface PlainDataIssue {
  /** Where, e.g. `$.attributes.cart[2]`. */
  path: string;
  reason: string;
}

export interface PlainDataCheckOptions {
  maxDepth?: number;
  /**
   * Accept `undefined` as an object property value (the encoder then omits the property, as
   * JSON.stringify does). `undefined` anywhere else is always refused.
   */
  allowUndefinedProperties?: boolean;
}

/** Returns null when `value` is plain data, else the first problem found. */
export function findPlainDataIssue(value: unknown, options: PlainDataCheckOptions = {}): PlainDataIssue | null {
  const maxDepth = options.maxDepth ?? MAX_BODY_DEPTH;
  const allowUndefined = options.allowUndefinedProperties ?? false;
  // Every message body is checked, and nearly all are fine: the first walk keeps no path; only a
  // failed one is walked again to say where the problem is.
  if (issueAt(value, 0, maxDepth, allowUndefined, null) === null) return null;
  const path: Array<string | number> = [];
  const reason = issueAt(value, 0, maxDepth, allowUndefined, path)!;
  return { path: pathText(path), reason };
}

function pathText(path: ReadonlyArray<string | number>): string {
  let out = '$';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`;
  return out;
}

/**
 * The reason `v` is not plain data, or null. With a `path`, it is left pointing at the offending
 * value (null: no path is kept).
 */
function issueAt(v: unknown, depth: number, maxDepth: number, allowUndefined: boolean, path: Array<string | number> | null): string | null {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(v) ? null : `${String(v)} is not a finite number`;
    case 'undefined':
      return 'undefined is not allowed here';
    case 'object':
      break;
    default:
      return `a ${typeof v} is not plain data`;
  }
  if (v === null) return null;
  if (v instanceof Uint8Array) {
    const proto = Object.getPrototypeOf(v);
    return proto === Uint8Array.prototype || proto === Buffer.prototype ? null : `${describe(v)} is not plain data (only Uint8Array/Buffer)`;
  }
  if (v instanceof Date) {
    if (Object.getPrototypeOf(v) !== Date.prototype) return `${describe(v)} is not plain data`;
    return Number.isNaN(v.getTime()) ? 'an invalid Date is not allowed' : null;
  }
  // Containers: bound the depth, which also stops cycles.
  if (depth >= maxDepth) return `nesting deeper than ${maxDepth} (or a cycle)`;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return `${describe(v)} is not plain data`;
    for (let i = 0; i < v.length; i++) {
      path?.push(i);
      if (!(i in v)) return 'sparse array hole';
      const r = issueAt(v[i], depth + 1, maxDepth, allowUndefined, path);
      if (r !== null) return r;
      path?.pop();
    }
    return null;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return `${describe(v)} is not plain data`;
  const obj = v as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    path?.push(key);
    if (FORBIDDEN_KEYS.has(key)) return `key "${key}" is not allowed`;
    const item = obj[key];
    if (item === undefined && allowUndefined) {
      path?.pop();
      continue;
    }
    const r = issueAt(item, depth + 1, maxDepth, allowUndefined, path);
    if (r !== null) return r;
    path?.pop();
  }
  return null;
}

function describe(v: object): string {
  const ctor = (v as { constructor?: { name?: unknown } }).constructor;
  const name = typeof ctor?.name === 'string' && ctor.name ? ctor.name : 'object';
  return `${name === 'object' ? 'an object' : `a ${name} instance`}`;
}
