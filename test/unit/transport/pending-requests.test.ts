import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSessionMeshError } from '../../../src/errors.js';
import { PendingRequests } from '../../../src/transport/pending-requests.js';

describe('PendingRequests', () => {
  it('hands out distinct non-zero ids, counts per channel, and moves channels', async () => {
    const p = new PendingRequests<string>();
    const a = p.add('x', 10_000, () => 'a');
    const b = p.add('x', 10_000, () => 'b');
    const c = p.add('y', 10_000, () => 'c');
    assert.equal(new Set([a.id, b.id, c.id]).size, 3);
    assert.ok(![a.id, b.id, c.id].includes(0));
    assert.equal(p.countFor('x'), 2);
    p.moveChannel('x', 'y');
    assert.equal(p.countFor('x'), 0);
    assert.equal(p.countFor('y'), 3);
    assert.equal(p.channelOf(a.id), 'y');
    assert.equal(p.resolve(a.id, { type: 1, body: null }), true);
    assert.equal(p.resolve(a.id, { type: 1, body: null }), false, 'settles once');
    assert.deepEqual(await a.promise, { type: 1, body: null });
    const failures = [b.promise, c.promise].map((pr) => pr.catch((e: unknown) => e));
    assert.equal(p.rejectChannel('y', () => new Error('gone')), 2);
    for (const f of await Promise.all(failures)) assert.equal((f as Error).message, 'gone');
    assert.equal(p.size, 0);
    assert.equal(p.countFor('y'), 0);
  });

  it('times out with ERR_TIMEOUT and a description', async () => {
    const p = new PendingRequests<string>();
    const { promise } = p.add('x', 10, () => 'request Ping to b');
    await assert.rejects(promise, (e) => isSessionMeshError(e, 'ERR_TIMEOUT') && /request Ping to b timed out after 10 ms/.test(e.message));
    assert.equal(p.size, 0);
  });
});
