import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ReplTable, movingPartitions } from '../../../src/replication/table.js';

const table = (owners: string[][], target: string[][]): ReplTable => ({ epoch: 1, coordinatorId: 'a', coordinatorStartedAtMs: 1, partitions: owners.length, replicas: 2, owners, target });

describe('replication table', () => {
  it('movingPartitions counts the rows whose owners are not yet the target (a new owner, another order, a missing copy)', () => {
    assert.equal(movingPartitions(table([['a', 'b'], ['b', 'a']], [['a', 'b'], ['b', 'a']])), 0, 'settled');
    assert.equal(movingPartitions(table([['a', 'b'], ['b', 'a'], ['a', 'c']], [['a', 'c'], ['a', 'b'], ['a', 'c']])), 2, 'a new backup, a new primary');
    assert.equal(movingPartitions(table([['a'], []], [['a', 'b'], ['b', 'a']])), 2, 'copies lost and being rebuilt');
  });
});
