import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../../../src/clock/clock.js';
import { isSessionMeshError } from '../../../src/errors.js';
import { DEFAULT_PARTITIONS, MAX_PARTITIONS } from '../../../src/placement/limits.js';
import { partitionOf } from '../../../src/placement/partition.js';

/** A 128-bit base64url id, as sessions use. */
function randomId(random: SeededRandom): string {
  return Buffer.from(random.bytes(16)).toString('base64url');
}

/** Pearson's chi-square statistic of `counts` against a uniform expectation. */
function chiSquare(counts: readonly number[], total: number): number {
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

describe('partitionOf', () => {
  it('is pinned: these answers are part of the cluster contract and must never change', () => {
    assert.equal(DEFAULT_PARTITIONS, 271);
    assert.equal(partitionOf(''), 0);
    assert.equal(partitionOf('abc'), 8);
    assert.equal(partitionOf('session-1'), 256);
    assert.equal(partitionOf('AAAAAAAAAAAAAAAAAAAAAA'), 129);
    assert.equal(partitionOf('hH0Bb5tTnQ8m9yW2xK3fZg'), 178);
    assert.equal(partitionOf('ünïcødé-☃'), 105);
    assert.equal(partitionOf('session-1', 7), 2);
    assert.equal(partitionOf('hH0Bb5tTnQ8m9yW2xK3fZg', 7), 4);
    assert.equal(partitionOf('anything', 1), 0);
  });

  it('spreads 100k random ids evenly over 271 partitions (chi-square)', () => {
    const random = new SeededRandom(42);
    const counts = new Array<number>(271).fill(0);
    const total = 100_000;
    for (let i = 0; i < total; i++) counts[partitionOf(randomId(random))]!++;
    // 270 degrees of freedom: mean 270, standard deviation sqrt(540) ≈ 23. Five sigma above
    // the mean is a bound a good hash essentially never exceeds and a biased one quickly does.
    assert.ok(chiSquare(counts, total) < 270 + 5 * 23.3, `chi-square ${chiSquare(counts, total)}`);
    assert.ok(Math.min(...counts) > 369 * 0.75 && Math.max(...counts) < 369 * 1.25);
  });

  it('spreads sequential, structured ids too', () => {
    const counts = new Array<number>(271).fill(0);
    const total = 100_000;
    for (let i = 0; i < total; i++) counts[partitionOf(`session-${i}`)]!++;
    assert.ok(chiSquare(counts, total) < 270 + 5 * 23.3, `chi-square ${chiSquare(counts, total)}`);
  });

  it('stays in range for any partition count', () => {
    const random = new SeededRandom(7);
    for (const partitions of [1, 2, 3, 7, 64, 271, MAX_PARTITIONS]) {
      for (let i = 0; i < 200; i++) {
        const p = partitionOf(randomId(random), partitions);
        assert.ok(Number.isInteger(p) && p >= 0 && p < partitions);
      }
    }
  });

  it('rejects invalid partition counts with ERR_CONFIG', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, MAX_PARTITIONS + 1]) {
      assert.throws(() => partitionOf('x', bad), (e: unknown) => isSessionMeshError(e, 'ERR_CONFIG'));
    }
  });
});
