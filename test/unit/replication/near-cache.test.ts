import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NearCache } from '../../../src/replication/near-cache.js';
import { clonePlain } from '../../../src/session/plain-copy.js';
import { NearReaders, type Invalidations } from '../../../src/replication/near-readers.js';

const view = (id: string, version: number, data: Record<string, unknown> = { n: version }) => ({ id, version, data });

function filled(cache: NearCache, id: string, p: number, primary: string, version: number, sentAtMs = 0): void {
  cache.beginFill(id, p);
  cache.endFill(id, { view: view(id, version), primary, sentAtMs });
}

test('near cache: a filled entry is answered while its primary is the same and it is younger than maxAgeMs', () => {
  const c = new NearCache({ maxEntries: 10, maxAgeMs: 1000 });
  assert.equal(c.lookup('a', 'P', 0), undefined);
  filled(c, 'a', 1, 'P', 3, 100);
  assert.deepEqual(c.lookup('a', 'P', 500), view('a', 3));
  assert.deepEqual(c.lookup('a', 'P', 1099), view('a', 3));
  assert.equal(c.lookup('a', 'P', 1100), undefined, 'maxAgeMs counts from when the filling get was sent');
  filled(c, 'a', 1, 'P', 4, 2000);
  assert.equal(c.lookup('a', 'Q', 2001), undefined, 'another primary now: dropped');
  assert.equal(c.lookup('a', 'P', 2002), undefined, 'and gone');
  assert.deepEqual(c.stats(), { hits: 2, misses: 2, entries: 0, invalidations: 2, evictions: 0 });
});

test('near cache: least recently used entries are evicted beyond maxEntries', () => {
  const c = new NearCache({ maxEntries: 2, maxAgeMs: 1000 });
  filled(c, 'a', 0, 'P', 1);
  filled(c, 'b', 0, 'P', 1);
  assert.ok(c.lookup('a', 'P', 1)); // a is now the most recently used
  filled(c, 'c', 0, 'P', 1);
  assert.ok(c.lookup('a', 'P', 2));
  assert.equal(c.lookup('b', 'P', 2), undefined);
  assert.ok(c.lookup('c', 'P', 2));
  assert.equal(c.stats().evictions, 1);
  assert.equal(c.stats().entries, 2);
});

test('near cache: a fill in flight when the id is invalidated is not kept (fence), a later one is', () => {
  const c = new NearCache({ maxEntries: 10, maxAgeMs: 1000 });
  c.beginFill('a', 0);
  c.beginFill('a', 0);
  c.invalidate('a'); // e.g. the primary's invalidation overtook the get's answer
  c.endFill('a', { view: view('a', 1), primary: 'P', sentAtMs: 0 });
  assert.equal(c.lookup('a', 'P', 1), undefined);
  c.endFill('a', { view: view('a', 2), primary: 'P', sentAtMs: 0 });
  assert.equal(c.lookup('a', 'P', 1), undefined, 'both gets were in flight at the invalidation');
  filled(c, 'a', 0, 'P', 3); // no get in flight any more: the fence is gone
  assert.deepEqual(c.lookup('a', 'P', 1), view('a', 3));
  c.beginFill('b', 0);
  c.endFill('b', null); // not registered at the primary (or not found): nothing kept
  assert.equal(c.lookup('b', 'P', 1), undefined);
});

test('near cache: flushes by partition and by primary drop entries and fence fills', () => {
  const c = new NearCache({ maxEntries: 10, maxAgeMs: 1000 });
  filled(c, 'a', 1, 'P', 1);
  filled(c, 'b', 2, 'P', 1);
  filled(c, 'c', 3, 'Q', 1);
  c.beginFill('d', 1);
  c.flushPartitions((p) => p === 1);
  c.endFill('d', { view: view('d', 1), primary: 'P', sentAtMs: 0 });
  assert.equal(c.lookup('a', 'P', 1), undefined);
  assert.equal(c.lookup('d', 'P', 1), undefined);
  assert.ok(c.lookup('b', 'P', 1));
  c.beginFill('e', 3);
  c.flushPrimary((m) => m === 'P');
  c.endFill('e', { view: view('e', 1), primary: 'Q', sentAtMs: 0 });
  assert.equal(c.lookup('b', 'P', 1), undefined);
  assert.ok(c.lookup('c', 'Q', 1));
  assert.equal(c.lookup('e', 'Q', 1), undefined, 'fills in flight are fenced by any flush');
});

test('near cache: callers get copies (changing one does not change the cache); Date and binary keep their types', () => {
  const c = new NearCache({ maxEntries: 10, maxAgeMs: 1000 });
  const data = { cart: [{ sku: 'x', qty: 1 }], at: new Date(5), bin: Buffer.from([1, 2]), u8: new Uint8Array([3]), n: null };
  c.beginFill('a', 0);
  c.endFill('a', { view: { id: 'a', version: 1, data }, primary: 'P', sentAtMs: 0 });
  const first = c.lookup('a', 'P', 1)!;
  (first.data.cart as { qty: number }[])[0]!.qty = 99;
  (first.data.at as Date).setTime(0);
  (first.data.bin as Buffer)[0] = 9;
  const second = c.lookup('a', 'P', 1)!;
  assert.deepEqual(second.data, { cart: [{ sku: 'x', qty: 1 }], at: new Date(5), bin: Buffer.from([1, 2]), u8: new Uint8Array([3]), n: null });
  assert.ok(Buffer.isBuffer(second.data.bin));
  assert.ok(second.data.at instanceof Date);
  assert.deepEqual(clonePlain([1, 'x', true]), [1, 'x', true]);
});

test('near readers: registered once per (session, member); a change takes every reader of the session', () => {
  const r = new NearReaders(100);
  const out: Invalidations = new Map();
  assert.equal(r.register('a', 1, 'Y', out), true);
  assert.equal(r.register('a', 1, 'Y', out), true);
  assert.equal(r.register('a', 1, 'Z', out), true);
  assert.equal(r.register('b', 2, 'Y', out), true);
  assert.equal(out.size, 0);
  assert.deepEqual(r.stats(), { sessions: 2, pairs: 3, evictions: 0, invalidationsSent: 0 });
  r.take('a', out);
  assert.deepEqual([...out], [['Y', ['a']], ['Z', ['a']]]);
  r.countSent(out);
  assert.deepEqual(r.stats(), { sessions: 1, pairs: 1, evictions: 0, invalidationsSent: 2 });
  r.take('a', out); // nobody left: nothing more
  assert.equal(out.get('Y')!.length, 1);
});

test('near readers: beyond maxPairs the longest-unread sessions are forgotten and their readers returned to invalidate', () => {
  const r = new NearReaders(3);
  const out: Invalidations = new Map();
  r.register('a', 0, 'Y', out);
  r.register('b', 0, 'Y', out);
  r.register('c', 0, 'Z', out);
  r.register('a', 0, 'Z', out); // a read again: now the most recent; b is the oldest
  assert.deepEqual([...out], [['Y', ['b']]]);
  assert.deepEqual(r.stats(), { sessions: 2, pairs: 3, evictions: 1, invalidationsSent: 0 });
  const one = new NearReaders(1);
  const o2: Invalidations = new Map();
  one.register('a', 0, 'Y', o2);
  one.register('a', 0, 'Z', o2); // a single session: its oldest reader goes, the new one stays
  assert.deepEqual([...o2], [['Y', ['a']]]);
  assert.equal(one.stats().pairs, 1);
  assert.equal(new NearReaders(0).register('a', 0, 'Y', o2), false, 'maxPairs 0: readers are told not to cache');
});

test('near readers: losing a partition takes its readers; dead readers are forgotten without a message', () => {
  const r = new NearReaders(100);
  const out: Invalidations = new Map();
  r.register('a', 1, 'Y', out);
  r.register('b', 2, 'Y', out);
  r.register('c', 2, 'Z', out);
  r.takePartitions((p) => p === 2, out);
  assert.deepEqual([...out], [['Y', ['b']], ['Z', ['c']]]);
  r.register('d', 1, 'Z', out);
  r.forgetReaders((m) => m === 'Y');
  assert.deepEqual(r.stats().pairs, 1);
  const o2: Invalidations = new Map();
  r.take('a', o2);
  assert.equal(o2.size, 0);
});
