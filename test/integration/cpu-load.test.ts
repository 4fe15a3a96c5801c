/**
 * "No false deaths under full CPU load": three members keep each other alive while two
 * busy-looping processes saturate both cores of the machine for a bounded time. Suspicions may
 * come and go (that is what refutation is for); a death may not.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { getStatus, startMember, stopAll, waitFor, type MemberProcess } from '../helpers/cluster.js';

const LOAD_MS = 6000;

describe('membership under full CPU load', () => {
  const members: MemberProcess[] = [];
  after(async () => {
    await stopAll(members);
  });

  it('no member is declared dead while every core is busy', async () => {
    members.push(await startMember({ name: 'l1' }));
    members.push(...(await Promise.all(['l2', 'l3'].map((name) => startMember({ name, seeds: [members[0]!.peer] })))));
    await waitFor('three alive', 5000, async () => (await Promise.all(members.map((m) => getStatus(m)))).every((s) => s.members.filter((x) => x.state === 'alive').length === 3));

    // One busy loop per core, each ending by itself after LOAD_MS.
    const burners = Array.from({ length: availableParallelism() }, () =>
      spawn(process.execPath, ['-e', `const end = Date.now() + ${LOAD_MS}; while (Date.now() < end) {}`], { stdio: 'ignore' }),
    );
    const burnersDone = Promise.all(burners.map((b) => new Promise((r) => b.once('exit', r))));
    const seen = new Set<string>();
    let samples = 0;
    try {
      const until = performance.now() + LOAD_MS;
      while (performance.now() < until) {
        for (const s of await Promise.all(members.map((m) => getStatus(m, 5000)))) {
          samples++;
          for (const x of s.members) {
            seen.add(x.state);
            assert.notEqual(x.state, 'dead', `${s.self.name} declared ${x.name} dead under CPU load`);
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      for (const b of burners) b.kill('SIGKILL');
      await burnersDone;
    }
    assert.ok(samples >= 3 * 5, `sampled the views often enough (${samples})`);
    console.log(`# states seen under load: ${[...seen].join(', ')} over ${samples} samples`);
    const all = await Promise.all(members.map((m) => getStatus(m)));
    for (const s of all) assert.equal(s.members.filter((x) => x.state === 'dead').length, 0);
  });
});
