/**
 * Value helpers for the framework stores: a deep copy of what a request loaded (so the app's
 * in-place mutations, e.g. `req.session.cart.push(x)`, show up as changes when it saves) and an
 * equality that matches how the cluster stores values (Dates by time, binary by bytes, a property
 * set to undefined is the same as a missing one, as in JSON).
 *
 * Objects are walked with for…in and an own-property check rather than Object.keys: the same
 * keys in the same order, without a key array per object (these run several times per request).
 */

/** Plain object: `{}` literal or null prototype (not a class instance). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * The containers being copied, outermost first: a value that is its own ancestor is a cycle. A
 * stack rather than a Set per call: most values are shallow, and this runs on every request.
 * cloneIn is synchronous and never re-entered, so one stack serves every walk.
 */
const ancestors: object[] = [];

function cloneIn(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (v instanceof Date) return new Date(v.getTime());
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (ancestors.includes(v)) return v;
  if (Array.isArray(v)) {
    ancestors.push(v);
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneIn(v[i]);
    ancestors.pop();
    return out;
  }
  if (!isPlainObject(v)) return v;
  ancestors.push(v);
  const out: Record<string, unknown> = {};
  for (const k in v) if (Object.hasOwn(v, k) && v[k] !== undefined) out[k] = cloneIn(v[k]);
  ancestors.pop();
  return out;
}

/**
 * Deep copy of the own enumerable attributes of a session object, without undefined ones (they
 * are not stored). Copies plain data (objects, arrays, Dates, Uint8Arrays/Buffers); anything else
 * (class instances, functions) is kept by reference: such values are refused by the cluster at
 * write time with ERR_INVALID_VALUE, and sameValue treats them as changed, so they are always
 * sent. Cycles are kept as references too (refused at write time as well).
 */
export function cloneData(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  ancestors.length = 0; // (left over if a previous walk threw, e.g. on a stack overflow)
  for (const k in data) if (Object.hasOwn(data, k) && data[k] !== undefined) out[k] = cloneIn(data[k]);
  return out;
}

/**
 * Whether two values would be stored the same. Class instances and functions are never equal to
 * anything (so a save sends them and the cluster names the bad value in its error).
 */
export function sameValue(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return typeof a !== 'function';
  if (depth > 64) return false;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof Uint8Array || b instanceof Uint8Array) return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  // Every defined property of a has an equal one in b, and b has no more defined properties.
  let defined = 0;
  for (const k in a) {
    if (!Object.hasOwn(a, k)) continue;
    const x = a[k];
    if (x === undefined) continue;
    defined++;
    if (!Object.hasOwn(b, k) || !sameValue(x, b[k], depth + 1)) return false;
  }
  for (const k in b) if (Object.hasOwn(b, k) && b[k] !== undefined) defined--;
  return defined === 0;
}
