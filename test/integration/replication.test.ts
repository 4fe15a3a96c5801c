/**
 * The replicated session store on real processes: sessions written through the HTTP API of
 * every member survive a `kill -9` with their last acknowledged data, a joining member takes its
 * share, and replicas 3 survives two simultaneous kills.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { getStatus, startMember, stopAll, waitFor, type MemberProcess } from '../helpers/cluster.js';
import { TEST_API_TOKEN, api, pool } from '../helpers/session-client.js';

const SESSIONS = 300;

async function startCluster(n: number, replicas: number, prefix: string): Promise<MemberProcess[]> {
  const args = ['--replicas', String(replicas), '--api-token', TEST_API_TOKEN];
  const first = await startMember({ name: `${prefix}1`, extraArgs: args });
  const rest = await Promise.all(Array.from({ length: n - 1 }, (_, i) => startMember({ name: `${prefix}${i + 2}`, seeds: [first.peer], extraArgs: args })));
  const members = [first, ...rest];
  await waitFor(`${n} members alive with a settled partition table`, 10_000, async () => {
    const all = await Promise.all(members.map((m) => getStatus(m)));
    return all.every((s) => s.members.filter((x) => x.state === 'alive').length === n && s.partitions !== null && s.partitions.owners.every((row) => row.length === Math.min(replicas, n)));
  }, 100);
  return members;
}

/** Creates sessions through every member in turn, then updates each through another member; returns the expected data. */
async function writeSessions(members: MemberProcess[]): Promise<Map<string, Record<string, unknown>>> {
  const expected = new Map<string, Record<string, unknown>>();
  await pool(Array.from({ length: SESSIONS }, (_, i) => i), 16, async (i) => {
    const c = await api(members[i % members.length]!, 'POST', '/v1/sessions', { data: { user: `u${i}`, n: 0 } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const id = c.body.id as string;
    const u = await api(members[(i + 1) % members.length]!, 'PATCH', `/v1/sessions/${id}`, { set: { n: i, cart: [i, 'x'] } });
    assert.equal(u.status, 200, JSON.stringify(u.body));
    expected.set(id, { user: `u${i}`, n: i, cart: [i, 'x'] });
  });
  return expected;
}

async function readAll(members: MemberProcess[], expected: Map<string, Record<string, unknown>>): Promise<string[]> {
  const wrong: string[] = [];
  await pool([...expected], 16, async ([id, data], i) => {
    const r = await api(members[i % members.length]!, 'GET', `/v1/sessions/${id}`);
    if (r.status !== 200) wrong.push(`${id}: ${r.status} ${JSON.stringify(r.body)}`);
    else if (!isDeepStrictEqual(r.body.data, data)) wrong.push(`${id}: ${JSON.stringify(r.body.data)}`);
  });
  return wrong;
}

describe('replicated sessions on real processes', () => {
  const all: MemberProcess[] = [];
  after(async () => {
    await stopAll(all);
  });

  it('replicas 2: kill -9 loses nothing; survivors serve reads and writes within 3 s; a fourth member takes its share', async () => {
    const members = await startCluster(3, 2, 'r');
    all.push(...members);
    const expected = await writeSessions(members);

    const victim = members[1]!;
    const survivors = members.filter((m) => m !== victim);
    victim.child.kill('SIGKILL');
    const killedAt = performance.now();
    await victim.exited;
    const { elapsedMs } = await waitFor('every session readable with its last acknowledged data, and writable, through the survivors', 3000, async () => {
      const wrong = await readAll(survivors, expected);
      if (wrong.length > 0) return false;
      const [id] = expected.keys();
      const w = await api(survivors[0]!, 'PATCH', `/v1/sessions/${id}`, { set: { afterKill: true } }, 2000);
      if (w.status !== 200) return false;
      expected.get(id!)!.afterKill = true;
      return true;
    }, 100);
    console.log(`# all ${SESSIONS} sessions readable and writable ${(performance.now() - killedAt).toFixed(0)} ms after kill -9 (${elapsedMs.toFixed(0)} ms of polling)`);
    // Every session is writable, not just one.
    await pool([...expected.keys()], 16, async (id) => {
      const w = await api(survivors[0]!, 'PATCH', `/v1/sessions/${id}`, { set: { post: 1 } });
      assert.equal(w.status, 200, `${id}: ${JSON.stringify(w.body)}`);
      expected.get(id)!.post = 1;
    });

    const fourth = await startMember({ name: 'r4', seeds: [survivors[0]!.peer], extraArgs: ['--replicas', '2', '--api-token', TEST_API_TOKEN] });
    all.push(fourth);
    const now = [...survivors, fourth];
    await waitFor('the fourth member to be primary for about a quarter of the partitions, with two copies everywhere', 20_000, async () => {
      const s = await getStatus(fourth);
      if (!s.partitions) return false;
      const mine = s.partitions.owners.filter((row) => row[0] === fourth.id).length;
      const fair = s.partitions.count / 3;
      return s.partitions.owners.every((row) => row.length === 2) && Math.abs(mine - fair) <= 2 ? { mine, count: s.partitions.count } : false;
    }, 200);
    const counts = await Promise.all(now.map((m) => getStatus(m)));
    const copies = counts.reduce((sum, s) => sum + s.sessions.primary + s.sessions.backup, 0);
    assert.equal(copies, 2 * expected.size, 'every session has exactly two copies');
    assert.deepEqual(await readAll(now, expected), []);
  });

  it('replicas 3 survives two simultaneous kill -9', async () => {
    const members = await startCluster(4, 3, 't');
    all.push(...members);
    const expected = await writeSessions(members);
    const [a, b] = [members[1]!, members[2]!];
    a.child.kill('SIGKILL');
    b.child.kill('SIGKILL');
    await Promise.all([a.exited, b.exited]);
    const survivors = [members[0]!, members[3]!];
    await waitFor('every session readable through the two survivors', 5000, async () => (await readAll(survivors, expected)).length === 0, 100);
    assert.deepEqual(await readAll(survivors, expected), []);
  });
});
