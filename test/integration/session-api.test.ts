/**
 * The HTTP session API on a real two-member cluster: the contract's error answers for bad input,
 * and that none of it hurts the members.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getStatus, healthz, startMember, stopAll, waitFor, type MemberProcess } from '../helpers/cluster.js';
import { TEST_API_TOKEN, api } from '../helpers/session-client.js';

describe('HTTP session API on a real cluster', () => {
  const members: MemberProcess[] = [];
  before(async () => {
    const args = ['--api-token', TEST_API_TOKEN];
    members.push(await startMember({ name: 'h1', extraArgs: args }));
    members.push(await startMember({ name: 'h2', seeds: [members[0]!.peer], extraArgs: args }));
    await waitFor('a settled two-member table', 10_000, async () => {
      const all = await Promise.all(members.map((m) => getStatus(m)));
      return all.every((s) => s.partitions !== null && s.partitions.owners.every((row) => row.length === 2));
    }, 100);
  });
  after(() => stopAll(members));

  it('answers version conflicts, unknown sessions, oversized and invalid bodies with clear errors', async () => {
    const [a, b] = members as [MemberProcess, MemberProcess];
    const c = await api(a, 'POST', '/v1/sessions', { data: { n: 1 } });
    assert.equal(c.status, 201);
    const id = c.body.id as string;
    assert.equal((await api(b, 'PATCH', `/v1/sessions/${id}`, { set: { n: 2 }, ifVersion: c.body.version })).status, 200);
    const conflict = await api(b, 'PATCH', `/v1/sessions/${id}`, { set: { n: 3 }, ifVersion: c.body.version });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.error.code, 'ERR_VERSION_CONFLICT');
    assert.deepEqual((await api(a, 'GET', `/v1/sessions/${id}`)).body.data, { n: 2 });

    const unknown = 'AAAAAAAAAAAAAAAAAAAAAA';
    assert.equal((await api(a, 'GET', `/v1/sessions/${unknown}`)).status, 404);
    assert.equal((await api(b, 'PATCH', `/v1/sessions/${unknown}`, { set: { x: 1 } })).status, 404);

    // 1.5 MiB of data: over maxSessionBytes (1 MiB) but under the body limit → the store refuses it.
    const tooBig = await api(a, 'POST', '/v1/sessions', { data: { blob: 'x'.repeat(1024 * 1024 + 1000) } });
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.body.error.code, 'ERR_SESSION_TOO_LARGE');
    const tooBigUpdate = await api(b, 'PATCH', `/v1/sessions/${id}`, { set: { blob: 'y'.repeat(1024 * 1024 + 1000) } });
    assert.equal(tooBigUpdate.status, 413);
    assert.deepEqual((await api(a, 'GET', `/v1/sessions/${id}`)).body.data, { n: 2 }, 'a refused write changes nothing');
    // 3 MiB body: refused before it is read in full.
    const huge = await api(a, 'POST', '/v1/sessions', { data: { blob: 'z'.repeat(3 * 1024 * 1024) } });
    assert.equal(huge.status, 413);

    const bad = await fetch(`http://${a.http}/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' }, body: '{"data": {' });
    assert.equal(bad.status, 400);
    const noToken = await fetch(`http://${a.http}/v1/sessions/${id}`);
    assert.equal(noToken.status, 401);

    const proto = await api(a, 'POST', '/v1/sessions', JSON.parse('{"data":{"__proto__":{"admin":true}}}'));
    assert.equal(proto.status, 400, JSON.stringify(proto.body));
    assert.equal(proto.body.error.code, 'ERR_INVALID_VALUE');

    for (const m of members) assert.equal(await healthz(m), 200, `${m.name} still healthy`);
  });
});
