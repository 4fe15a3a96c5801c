/**
 * Real `sessionmesh start` processes on loopback: joining, crash detection, restart, graceful
 * leave, and refusing strangers. Time bounds here are the product's promises (README), measured
 * from the event to the moment every survivor's /status shows it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { getStatus, healthz, startMember, stateOf, stopAll, waitFor, type MemberProcess } from '../helpers/cluster.js';

describe('a five-member cluster on loopback', () => {
  const members: MemberProcess[] = [];
  const extra: MemberProcess[] = [];

  before(async () => {
    members.push(await startMember({ name: 'm1' }));
    const rest = await Promise.all([2, 3, 4, 5].map((i) => startMember({ name: `m${i}`, seeds: [members[0]!.peer] })));
    members.push(...rest);
  });

  after(async () => {
    await stopAll([...members, ...extra]);
  });

  it('every member lists five alive members within 5 s, and /healthz says 200', async () => {
    const { elapsedMs } = await waitFor('all five members to see five alive', 5000, async () => {
      const all = await Promise.all(members.map((m) => getStatus(m)));
      return all.every((s) => s.joined && s.members.filter((x) => x.state === 'alive').length === 5);
    });
    for (const m of members) assert.equal(await healthz(m), 200);
    const s = await getStatus(members[2]!);
    assert.deepEqual(new Set(s.members.map((x) => x.id)), new Set(members.map((m) => m.id)));
    assert.equal(s.self.id, members[2]!.id);
    for (const x of s.members) assert.match(x.address, /^127\.0\.0\.1:\d+$/);
    console.log(`# five members converged in ${elapsedMs.toFixed(0)} ms`);
  });

  it('refuses a member with the wrong secret: it never appears alive, and members log ERR_AUTH', async () => {
    const intruder = await startMember({ name: 'intruder', seeds: [members[0]!.peer, members[1]!.peer], secret: 'not-the-cluster-secret' });
    extra.push(intruder);
    // It keeps retrying its join: watch for a while that it never shows up anywhere.
    const deadline = performance.now() + 2500;
    while (performance.now() < deadline) {
      const all = await Promise.all(members.map((m) => getStatus(m)));
      for (const s of all) assert.equal(stateOf(s, intruder.id), undefined, `${s.self.name} lists the intruder`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await healthz(intruder), 503, 'the intruder must not consider itself joined');
    const refused = members[0]!.logs.some((l) => l.msg === 'refused a peer connection' && l.code === 'ERR_AUTH');
    assert.ok(refused, 'seed m1 logged the refused handshake with ERR_AUTH');
    intruder.child.kill('SIGKILL');
  });

  it('survives 10 MB of random bytes and 200 half-open handshakes on a peer port', async () => {
    const [host, portText] = members[3]!.peer.split(':');
    const port = Number(portText);
    // 1) A firehose of garbage.
    await new Promise<void>((resolve) => {
      const s = net.connect({ host, port }, () => {
        let left = 10 * 1024 * 1024;
        const pump = () => {
          while (left > 0) {
            const n = Math.min(left, 64 * 1024);
            left -= n;
            if (!s.write(randomBytes(n))) return void s.once('drain', pump);
          }
          s.end();
        };
        pump();
      });
      s.on('error', () => resolve()); // the member closes it on us: expected
      s.on('close', () => resolve());
    });
    // 2) Connections that never say hello.
    const idle: net.Socket[] = [];
    await Promise.all(
      Array.from({ length: 200 }, () => new Promise<void>((resolve) => {
        const s = net.connect({ host, port }, () => resolve());
        s.on('error', () => resolve());
        idle.push(s);
      })),
    );
    try {
      // While they hang there, the member still serves and the cluster still sees it alive.
      await waitFor('the cluster to still see five alive members', 3000, async () => {
        const all = await Promise.all(members.map((m) => getStatus(m)));
        return all.every((s) => s.members.filter((x) => x.state === 'alive').length === 5);
      });
      assert.equal(await healthz(members[3]!), 200);
    } finally {
      for (const s of idle) s.destroy();
    }
    const all = await Promise.all(members.map((m) => getStatus(m)));
    for (const s of all) assert.equal(s.members.filter((x) => x.state === 'alive').length, 5, `${s.self.name} sees five alive`);
  });

  it('kill -9: every survivor lists the member as dead within 2 s; restarted, it is a new member', async () => {
    const victim = members[4]!;
    const survivors = members.slice(0, 4);
    const killedAt = performance.now();
    victim.child.kill('SIGKILL');
    await victim.exited;
    const { elapsedMs } = await waitFor('every survivor to list the killed member as dead', 2000, async () => {
      const all = await Promise.all(survivors.map((m) => getStatus(m)));
      return all.every((s) => stateOf(s, victim.id) === 'dead');
    }, 20);
    console.log(`# kill -9 detected by all survivors in ${(performance.now() - killedAt).toFixed(0)} ms (poll ${elapsedMs.toFixed(0)} ms)`);

    const port = Number(victim.peer.split(':')[1]);
    const reborn = await startMember({ name: 'm5', seeds: [members[0]!.peer], port });
    members[4] = reborn;
    assert.notEqual(reborn.id, victim.id, 'a restarted process is a new member');
    await waitFor('every member to see the restarted member alive', 5000, async () => {
      const all = await Promise.all(members.map((m) => getStatus(m)));
      return all.every((s) => stateOf(s, reborn.id) === 'alive' && s.members.filter((x) => x.state === 'alive').length === 5);
    });
    for (const s of await Promise.all(survivors.map((m) => getStatus(m)))) {
      assert.ok(['dead', undefined].includes(stateOf(s, victim.id)), `${s.self.name}: the old id stays dead`);
    }
  });

  it('SIGTERM: the member leaves gracefully and the others mark it left', async () => {
    const leaver = members[1]!;
    leaver.child.kill('SIGTERM');
    assert.equal(await leaver.exited, 0, 'graceful stop exits 0');
    const others = members.filter((m) => m !== leaver);
    await waitFor('every member to mark the leaver as left', 1000, async () => {
      const all = await Promise.all(others.map((m) => getStatus(m)));
      return all.every((s) => stateOf(s, leaver.id) === 'left');
    }, 20);
  });
});
