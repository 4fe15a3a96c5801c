import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../../../src/clock/clock.js';
import { computeTable } from '../../../src/placement/assignment.js';
import { drawLocalSessionId, isLocalPrimary } from '../../../src/placement/local-id.js';
import { partitionOf } from '../../../src/placement/partition.js';
import type { PartitionTable } from '../../../src/placement/table.js';

const members = Array.from({ length: 10 }, (_, i) => ({ id: `m${i}`, zone: null }));
const table: PartitionTable = { epoch: 1, partitions: 271, replicas: 2, owners: computeTable(null, members, { partitions: 271, replicas: 2 }), coordinatorId: 'm0' };

function drawer(seed: number): { draw: () => string; count: () => number } {
  const random = new SeededRandom(seed);
  let n = 0;
  return {
    draw: () => {
      n++;
      return Buffer.from(random.bytes(16)).toString('base64url');
    },
    count: () => n,
  };
}

describe('isLocalPrimary', () => {
  it('is true exactly for the first owner', () => {
    const [primary, backup] = table.owners[5]!;
    assert.equal(isLocalPrimary(table, 5, primary!), true);
    assert.equal(isLocalPrimary(table, 5, backup!), false);
    assert.equal(isLocalPrimary(table, 999, primary!), false);
  });
});

describe('drawLocalSessionId', () => {
  it('draws ids until this member is the primary, about `members` draws on average', () => {
    const d = drawer(1);
    for (let i = 0; i < 500; i++) {
      const got = drawLocalSessionId(table, 'm3', d.draw, 200);
      assert.equal(got.local, true);
      assert.equal(got.partition, partitionOf(got.id, 271));
      assert.equal(table.owners[got.partition]![0], 'm3');
    }
    const mean = d.count() / 500;
    assert.ok(mean > 7 && mean < 14, `mean draws ${mean}`);
  });

  it('gives up after maxTries and says so', () => {
    const d = drawer(2);
    const got = drawLocalSessionId(table, 'client-without-partitions', d.draw, 5);
    assert.equal(got.local, false);
    assert.equal(d.count(), 5);
    assert.equal(got.partition, partitionOf(got.id, 271));
  });

  it('draws once when maxTries is 1', () => {
    const d = drawer(3);
    drawLocalSessionId(table, 'm3', d.draw, 1);
    assert.equal(d.count(), 1);
  });
});
