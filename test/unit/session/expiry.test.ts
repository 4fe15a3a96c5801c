import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ExpiryIndex } from '../../../src/session/expiry.js';

describe('ExpiryIndex', () => {
  it('returns an id once its due time has passed, never before, at most one bucket late', () => {
    const idx = new ExpiryIndex(1000);
    idx.schedule('a', 2500);
    idx.schedule('b', 3000);
    assert.deepEqual(idx.takeDue(2999), []);
    assert.deepEqual(idx.takeDue(3000).sort(), ['a', 'b']);
    assert.equal(idx.size, 0);
    assert.deepEqual(idx.takeDue(10_000), [], 'taken ids are gone');
  });

  it('a later schedule keeps the earlier check (lazy); an earlier one moves it', () => {
    const idx = new ExpiryIndex(1000);
    idx.schedule('a', 5000);
    idx.schedule('a', 9000); // a touch: no index work
    assert.deepEqual(idx.takeDue(5000), ['a']);
    idx.schedule('b', 9000);
    idx.schedule('b', 2000); // maxIdle shortened
    assert.deepEqual(idx.takeDue(2000), ['b']);
    assert.deepEqual(idx.takeDue(9000), [], 'the stale entry in the 9 s bucket is skipped');
  });

  it('remove() cancels; re-scheduling after remove works', () => {
    const idx = new ExpiryIndex(1000);
    idx.schedule('a', 1000);
    idx.remove('a');
    assert.equal(idx.has('a'), false);
    assert.deepEqual(idx.takeDue(5000), []);
    idx.schedule('a', 1000);
    idx.remove('a');
    idx.schedule('a', 1000); // the bucket now lists 'a' twice: reported once
    assert.deepEqual(idx.takeDue(5000), ['a']);
  });

  it('takeDue honours max and resumes where it stopped; nextDueMs arms a timer', () => {
    const idx = new ExpiryIndex(100);
    for (let i = 0; i < 10; i++) idx.schedule(`s${i}`, 100 * (i + 1));
    assert.equal(idx.nextDueMs(), 100);
    const first = idx.takeDue(10_000, 4);
    const rest = idx.takeDue(10_000);
    assert.equal(first.length, 4);
    assert.deepEqual([...first, ...rest].sort(), Array.from({ length: 10 }, (_, i) => `s${i}`).sort());
    assert.deepEqual(first, ['s0', 's1', 's2', 's3'], 'earliest first');
    assert.equal(idx.nextDueMs(), undefined);
  });

  it('matches a naive model under random schedule/remove/take (property)', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('s' as const), id: fc.integer({ min: 0, max: 9 }), due: fc.integer({ min: 0, max: 5000 }) }),
      fc.record({ k: fc.constant('r' as const), id: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ k: fc.constant('t' as const), adv: fc.integer({ min: 0, max: 1500 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const idx = new ExpiryIndex(250);
        const model = new Map<number, number>(); // id → effective due (earliest scheduled)
        let now = 0;
        for (const o of ops) {
          if (o.k === 's') {
            const prev = model.get(o.id);
            idx.schedule(`${o.id}`, o.due);
            model.set(o.id, prev === undefined ? o.due : Math.min(prev, o.due));
          } else if (o.k === 'r') {
            idx.remove(`${o.id}`);
            model.delete(o.id);
          } else {
            now += o.adv;
            const got = idx.takeDue(now).map(Number).sort();
            // Due (rounded up to the bucket) at or before now, and nothing else.
            const want = [...model].filter(([, due]) => Math.ceil(due / 250) * 250 <= now).map(([id]) => id).sort();
            assert.deepEqual(got, want);
            for (const id of got) {
              assert.ok(model.get(id)! <= now, 'never early');
              model.delete(id);
            }
          }
          assert.equal(idx.size, model.size);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('handles 100k sessions quickly', () => {
    const idx = new ExpiryIndex(1000);
    const start = performance.now();
    for (let i = 0; i < 100_000; i++) idx.schedule(`id${i}`, 1_700_000_000_000 + (i % 3600) * 1000);
    for (let i = 0; i < 100_000; i++) idx.schedule(`id${i}`, 1_700_000_000_000 + 7_200_000); // touches
    let taken = 0;
    for (let t = 0; t <= 3600; t += 60) taken += idx.takeDue(1_700_000_000_000 + t * 1000).length;
    const ms = performance.now() - start;
    assert.equal(taken, 100_000);
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  });
});
