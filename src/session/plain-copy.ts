/**
 * A deep copy of session data this process decoded itself (msgpack: plain objects, arrays, Dates,
 * binary, primitives; no cycles, accessors or other classes), for caches that hand out what they
 * keep: a caller that changes the session it got must not change the cached one.
 *
 * Copying shares the strings, which decoding has to build afresh, so it is several times cheaper
 * than decoding again (the 1 KiB bench session: ~0.3 µs against ~3.4 µs).
 */
export function clonePlain(x: unknown): unknown {
  return typeof x === 'object' && x !== null ? cloneObject(x) : x;
}

function cloneObject(x: object): unknown {
  if (Array.isArray(x)) {
    const out = x.slice();
    for (let i = 0; i < out.length; i++) {
      const v: unknown = out[i];
      if (typeof v === 'object' && v !== null) out[i] = cloneObject(v);
    }
    return out;
  }
  if (x instanceof Date) return new Date(x.getTime());
  if (Buffer.isBuffer(x)) return Buffer.from(x);
  if (x instanceof Uint8Array) return new Uint8Array(x);
  // A spread copies the own enumerable properties in one step (V8 clones the object's shape),
  // ~3x faster than adding them one by one; then only the nested objects are replaced.
  const out: Record<string, unknown> = { ...(x as Record<string, unknown>) };
  for (const k in out) {
    const v = out[k];
    // (hasOwn: a property someone added to Object.prototype is enumerable here, not in the copy.)
    if (typeof v === 'object' && v !== null && Object.hasOwn(out, k)) out[k] = cloneObject(v);
  }
  return out;
}
