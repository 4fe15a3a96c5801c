/** Shared fast-check generators for the session tests. */
import fc from 'fast-check';
import type { Hlc } from '../../../src/clock/hlc.js';
import { TOMBSTONE } from '../../../src/session/attrs.js';
import { type SessionRecord, recordFromParts } from '../../../src/session/record.js';
import { ValueCloner, encodeValue } from '../../../src/session/values.js';

export const SESSION_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

const keyArb = fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__' && k !== 'constructor' && k !== 'prototype');

/** JSON-ish values with Dates and binaries inside, as the app would write them. */
export const rawValueArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 8 }),
    fc.string({ unit: 'grapheme', maxLength: 4 }),
    fc.date({ noInvalidDate: true }),
    fc.uint8Array({ maxLength: 6 }).map((u) => (u.length % 2 === 0 ? Buffer.from(u) : u)),
  ),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(keyArb, tie('node'), { maxKeys: 3, noNullPrototype: true }),
  ),
})).node;

/** Values in stored (normalised) form: what a record holds. */
export const valueArb: fc.Arbitrary<unknown> = rawValueArb.map((v) => normalise(v));

export function normalise(v: unknown): unknown {
  return new ValueCloner({ maxValueDepth: 64, budgetBytes: Number.MAX_SAFE_INTEGER }).clone('x', v);
}

/**
 * A small stamp domain, so that equal stamps (and ties between different values) happen; epochs
 * 0–2 so that a later epoch with an earlier wall time (a promoted primary) is common too.
 */
export const stampArb: fc.Arbitrary<Hlc> = fc
  .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 1 }), fc.constantFrom('n1', 'n2'))
  .map(([epoch, wallMs, logical, nodeId]) => ({ epoch, wallMs, logical, nodeId }));

const NAMES = ['a', 'b', 'c', 'd', 'e'];

/** Any copy of session SESSION_ID that merges could meet: arbitrary LWW contents, tombstones, destroyed. */
export const recordArb: fc.Arbitrary<SessionRecord> = fc
  .record({
    entries: fc.uniqueArray(
      fc.record({ name: fc.constantFrom(...NAMES), stamp: stampArb, dead: fc.boolean(), value: valueArb }),
      { selector: (e) => e.name, maxLength: 4 },
    ),
    version: fc.integer({ min: 1, max: 6 }),
    createdAtMs: fc.integer({ min: 0, max: 5 }),
    lastAccessMs: fc.integer({ min: 5, max: 20 }),
    maxIdleMs: fc.constantFrom(1000, 2000),
    maxIdleStamp: stampArb,
    extraStamp: stampArb,
    destroyed: fc.integer({ min: 0, max: 4 }).map((n) => n === 0), // 1 in 5
  })
  .map((r) => {
    const entries = [...r.entries].sort((x, y) => (x.name < y.name ? -1 : 1));
    const attrs: unknown[] = [];
    if (!r.destroyed) for (const e of entries) attrs.push(e.name, e.dead ? TOMBSTONE : e.value, e.stamp);
    let stamp = r.extraStamp;
    for (const s of [r.maxIdleStamp, ...entries.map((e) => e.stamp)]) if (cmp(s, stamp) > 0) stamp = s;
    return recordOf(SESSION_ID, r.version, r.createdAtMs, r.lastAccessMs, r.maxIdleMs, r.maxIdleStamp, stamp, r.destroyed, attrs);
  });

/**
 * A record from its fields, attribute values given as (normalised) plain values: the old
 * SessionRecord constructor's argument list, for tests that spell records out.
 */
export function recordOf(
  id: string,
  version: number,
  createdAtMs: number,
  lastAccessMs: number,
  maxIdleMs: number,
  maxIdleStamp: Hlc,
  stamp: Hlc,
  destroyed: boolean,
  attrs: readonly unknown[],
): SessionRecord {
  const table = attrs.map((x, i) => (i % 3 === 1 && x !== TOMBSTONE ? encodeValue(x) : x));
  return recordFromParts(id, lastAccessMs, { version, createdAtMs, maxIdleMs, maxIdleStamp, stamp, destroyed, attrs: table });
}

function cmp(a: Hlc, b: Hlc): number {
  return a.epoch - b.epoch || a.wallMs - b.wallMs || a.logical - b.logical || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0);
}

/** Asserts every Date and binary inside `v` kept its type (no Date → string, Buffer → object). */
export function typesOf(v: unknown): string {
  if (v instanceof Date) return 'Date';
  if (Buffer.isBuffer(v)) return 'Buffer';
  if (v instanceof Uint8Array) return 'Uint8Array';
  if (Array.isArray(v)) return `[${v.map(typesOf).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.keys(v).map((k) => `${k}:${typesOf((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return typeof v;
}
