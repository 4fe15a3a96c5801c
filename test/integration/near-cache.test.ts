/**
 * The near cache on real processes: three members started with --near-cache (replicas 2). Reads of
 * a session on the member that holds no copy of it are answered there after the first one; a
 * write on the primary invalidates that entry; a write through the reader is visible to it at
 * once; kill -9 of the primary flushes what it served.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getStatus, startMember, stopAll, waitFor, type MemberProcess } from '../helpers/cluster.js';
import { TEST_API_TOKEN, api } from '../helpers/session-client.js';
import { partitionOf } from '../../src/placement/partition.js';
import type { NodeStatus } from '../../src/node/status.js';

const near = async (m: MemberProcess): Promise<NodeStatus['nearCache']> => (await getStatus(m)).nearCache;

describe('near cache on a real cluster', () => {
  const members: MemberProcess[] = [];
  before(async () => {
    const args = ['--api-token', TEST_API_TOKEN, '--near-cache', '--replicas', '2'];
    members.push(await startMember({ name: 'nc1', extraArgs: args }));
    members.push(await startMember({ name: 'nc2', seeds: [members[0]!.peer], extraArgs: args }));
    members.push(await startMember({ name: 'nc3', seeds: [members[0]!.peer], extraArgs: args }));
    // Settled means no migration under way either: a full table whose copies are still moving
    // gets a new epoch when they arrive, and could make the test's reader an owner mid-test.
    await waitFor('a settled three-member table', 20_000, async () => {
      const all = await Promise.all(members.map((m) => getStatus(m)));
      const e = all[0]!.partitions?.epoch;
      return all.every(
        (s) => s.members.filter((m) => m.state === 'alive').length === 3 && s.partitions !== null && s.partitions.epoch === e && s.partitions.moving === 0 && s.partitions.owners.every((row) => row.length === 2),
      );
    }, 100);
  });
  after(() => stopAll(members));

  it('non-owner reads hit the cache; a write on the primary invalidates it; a write through the reader is seen at once; kill -9 of the primary flushes', async () => {
    const [primary] = members as [MemberProcess];
    const created = await api(primary, 'POST', '/v1/sessions', { data: { n: 1 } });
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    const table = (await getStatus(primary)).partitions!;
    const owners = table.owners[partitionOf(id, table.count)]!;
    assert.equal(owners[0], primary.id, 'the creating member is the primary');
    const reader = members.find((m) => !owners.includes(m.id))!;

    // 1. Reads on the member without a copy: the first goes to the primary, the next are hits.
    const before0 = await near(reader);
    assert.equal(before0.enabled, true);
    for (let i = 0; i < 5; i++) assert.deepEqual((await api(reader, 'GET', `/v1/sessions/${id}`)).body.data, { n: 1 });
    const s1 = await near(reader);
    assert.equal(s1.misses - before0.misses, 1, 'one read crossed the network');
    assert.equal(s1.hits - before0.hits, 4, 'four were answered locally');
    assert.ok(s1.entries >= 1);
    assert.ok((await near(primary)).readers.pairs >= 1, 'the primary registered the reader');

    // 2. A write on the primary: its invalidation reaches the reader (sent before the write was
    //    acknowledged; we wait for it to arrive, it may still be in flight), the next read sees it.
    assert.equal((await api(primary, 'PATCH', `/v1/sessions/${id}`, { set: { n: 2 } })).status, 200);
    await waitFor('the invalidation at the reader', 3000, async () => (await near(reader)).invalidations > s1.invalidations);
    assert.deepEqual((await api(reader, 'GET', `/v1/sessions/${id}`)).body.data, { n: 2 });
    assert.deepEqual((await api(reader, 'GET', `/v1/sessions/${id}`)).body.data, { n: 2 });
    const s2 = await near(reader);
    assert.equal(s2.misses - s1.misses, 1, 'the read after the invalidation went to the primary');
    assert.equal(s2.hits - s1.hits, 1, 'and refilled the cache');

    // 3. A write through the reader is visible on the reader as soon as it is acknowledged (no waiting).
    assert.equal((await api(reader, 'PATCH', `/v1/sessions/${id}`, { set: { n: 3 } })).status, 200);
    assert.deepEqual((await api(reader, 'GET', `/v1/sessions/${id}`)).body.data, { n: 3 });
    assert.deepEqual((await api(reader, 'GET', `/v1/sessions/${id}`)).body.data, { n: 3 }); // cached again
    assert.ok((await near(reader)).entries >= 1);

    // 4. kill -9 of the primary: the reader drops what it served (connection lost, then death).
    primary.child.kill('SIGKILL');
    await primary.exited;
    await waitFor('the reader flushed the dead primary\'s entries', 5000, async () => (await near(reader)).entries === 0);
    // The promoted backup serves the last acknowledged value; the reader caches from it again.
    await waitFor('the session readable on the reader from the new primary', 10_000, async () => {
      const r = await api(reader, 'GET', `/v1/sessions/${id}`);
      return r.status === 200 && r.body.data.n === 3;
    }, 100);
    // Tables still change for a moment (re-replication, primary balance), and each primary change
    // flushes: wait until a read right after a read is a hit again — unless balancing made the
    // reader itself the primary (then it reads its own copy, no cache involved).
    const p = partitionOf(id, table.count);
    const { value: outcome } = await waitFor('reads on the reader hitting the cache again', 10_000, async () => {
      if ((await getStatus(reader)).partitions!.owners[p]![0] === reader.id) return 'the reader is the primary now';
      await api(reader, 'GET', `/v1/sessions/${id}`);
      const s = await near(reader);
      const r = await api(reader, 'GET', `/v1/sessions/${id}`);
      assert.deepEqual(r.body.data, { n: 3 });
      return (await near(reader)).hits > s.hits ? 'hit' : false;
    }, 100);
    if (outcome === 'hit') {
      const servedId = (await getStatus(reader)).partitions!.owners[p]![0];
      const served = members.find((m) => m.id === servedId)!;
      assert.notEqual(served, primary);
      assert.ok((await near(served)).readers.pairs >= 1, 'the new primary registered the reader');
    } else {
      console.log(`# ${outcome}: no cache to check after the failover`);
    }
  });
});
