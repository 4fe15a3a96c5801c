/**
 * The attribute diff a store sends on save (DESIGN.md §9): only the attributes this request
 * changed against what it loaded. The cluster merges attributes independently (LWW per
 * attribute), so two concurrent requests that change different attributes of one session both
 * survive; sending the whole session would let the slower request write back the stale value of
 * the attribute the faster one changed.
 */
import { sameValue } from './values.js';

export interface AttributeDiff {
  /** Attributes added or changed (values as the app holds them; the cluster copies them). */
  set: Record<string, unknown>;
  /** Attributes the request removed. */
  delete: string[];
}

/** What changed from `base` (as loaded) to `next` (as the request leaves it); null if nothing. */
export function diffAttributes(base: Readonly<Record<string, unknown>>, next: Readonly<Record<string, unknown>>): AttributeDiff | null {
  const set: Record<string, unknown> = {};
  const del: string[] = [];
  let changed = false;
  // (for…in with an own-property check, not Object.keys: no key array per call, same keys)
  for (const k in next) {
    if (!Object.hasOwn(next, k)) continue;
    const v = next[k];
    if (v === undefined) continue;
    if (Object.hasOwn(base, k) && sameValue(base[k], v)) continue;
    set[k] = v;
    changed = true;
  }
  for (const k in base) {
    if (!Object.hasOwn(base, k)) continue;
    if (base[k] !== undefined && (!Object.hasOwn(next, k) || next[k] === undefined)) {
      del.push(k);
      changed = true;
    }
  }
  return changed ? { set, delete: del } : null;
}
