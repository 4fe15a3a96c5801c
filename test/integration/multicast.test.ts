/**
 * Multicast discovery: three members with --multicast and no seeds find each other. Runs inside
 * a network namespace this test creates (its own loopback with multicast switched on), so no
 * datagram leaves the namespace. Skipped, saying why, where namespaces cannot be created.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { CLI, startMember, stopAll, waitFor, type MemberProcess } from '../helpers/cluster.js';
import type { NodeStatus } from '../../src/node/status.js';

const NS = `smtest-mc-${process.pid}`;

function tryCreateNamespace(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to create a network namespace';
  try {
    execFileSync('ip', ['netns', 'add', NS], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'multicast', 'on'], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `cannot create a network namespace here: ${(err as Error).message.split('\n')[0]}`;
  }
}

function statusInNs(http: string): NodeStatus {
  const r = spawnSync('ip', ['netns', 'exec', NS, process.execPath, CLI, 'status', '--http', http, '--json'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) throw new Error(`status failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as NodeStatus;
}

describe('multicast discovery', () => {
  const skip = tryCreateNamespace();
  const members: MemberProcess[] = [];

  after(async () => {
    await stopAll(members);
    if (!skip) spawnSync('ip', ['netns', 'del', NS]);
  });

  it('three members with --multicast and no seeds see each other alive', { skip: skip ?? false }, async () => {
    for (const name of ['mc1', 'mc2', 'mc3']) {
      members.push(await startMember({ name, netns: NS, extraArgs: ['--multicast'] }));
    }
    const { elapsedMs } = await waitFor('three members to see three alive', 8000, async () => {
      const all = members.map((m) => statusInNs(m.http));
      return all.every((s) => s.members.filter((x) => x.state === 'alive').length === 3);
    }, 200);
    const s = statusInNs(members[0]!.http);
    assert.deepEqual(new Set(s.members.map((m) => m.id)), new Set(members.map((m) => m.id)));
    console.log(`# multicast discovery converged in ${elapsedMs.toFixed(0)} ms`);
  });
});
