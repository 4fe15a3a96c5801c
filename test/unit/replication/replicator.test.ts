import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../src/clock/clock.js';
import type { MemberRecord } from '../../../src/membership/member.js';
import type { ReplicationEvent, ReplicatorOutput } from '../../../src/replication/outputs.js';
import { Replicator } from '../../../src/replication/replicator.js';
import { partitionOf } from '../../../src/placement/partition.js';
import { isNewerTable, tableFromWire, tableToWire } from '../../../src/replication/table.js';
import { MessageType } from '../../../src/wire/message-types.js';

function member(id: string, startedAtMs: number): MemberRecord {
  return { id, name: id, address: { host: '127.0.0.1', port: 1 }, httpAddress: null, role: 'member', zone: null, startedAtMs, state: 'alive', incarnation: 0 };
}

test('a single member commits a table, creates locally and reads its write back', () => {
  const r = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(1), config: { partitions: 8, replicas: 2 } });
  r.membershipChanged(1000, [member('a', 1)]);
  assert.equal(r.currentTable()?.owners.every((row) => row[0] === 'a'), true);
  const [created] = r.submit(1001, 1, { kind: 'create', data: { x: 1 } });
  assert.ok(created?.type === 'complete' && 'result' in created && created.result.kind === 'create');
  const [got] = r.submit(1002, 2, { kind: 'get', id: created.result.id });
  assert.deepEqual(got?.type === 'complete' && 'result' in got ? got.result : got, { kind: 'get', session: { id: created.result.id, version: 1, data: { x: 1 } } });
});

test('untrusted bodies are ignored with a warning, never thrown', () => {
  const r = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(1), config: { partitions: 8 } });
  r.membershipChanged(1000, [member('a', 1), member('b', 2)]);
  const bodies: [number, unknown][] = [
    [MessageType.ReplDelta, { p: 99, s: 1, recs: [] }],
    [MessageType.ReplDelta, { p: 1, s: 'x', recs: [] }],
    [MessageType.ReplDelta, { p: 1, s: 1, recs: [[1, 2, 3]] }],
    [MessageType.ReplOp, { r: 1, op: { kind: 'update', id: 'short' } }],
    [MessageType.ReplTable, { e: -1 }],
    [MessageType.ReplChunk, null],
    [MessageType.ReplDigest, { ds: [['x', 1]] }],
    [999, {}],
  ];
  for (const [type, body] of bodies) {
    const out = r.receive(1001, 'b', type, body);
    assert.ok(out.some((o) => o.type === 'warn'), `type ${type}: ${JSON.stringify(out)}`);
  }
});

test('table wire round trip and order by (epoch, coordinator start, coordinator id)', () => {
  const t = { epoch: 3, coordinatorId: 'a', coordinatorStartedAtMs: 5, partitions: 2, replicas: 2, owners: [['a', 'b'], ['b']], target: [['a', 'b'], ['b', 'a']] };
  assert.deepEqual(tableFromWire(tableToWire(t)), t);
  assert.ok(isNewerTable({ ...t, epoch: 4 }, t));
  assert.ok(isNewerTable({ ...t, coordinatorStartedAtMs: 4 }, t));
  assert.ok(!isNewerTable({ ...t, coordinatorId: 'b' }, t));
  assert.throws(() => tableFromWire({ ...tableToWire(t), o: [[0, 0], [1]] }), /duplicate/);
});

/** Delivers every send between the replicators (no loss), ticking at their deadlines, until `done(events)` or `maxMs`. */
function pump(reps: Map<string, Replicator>, first: [string, ReplicatorOutput[]][], done: (events: [string, ReplicationEvent][]) => boolean, startMs: number, maxMs = 30_000): number {
  const queue = [...first];
  const events: [string, ReplicationEvent][] = [];
  let nowMs = startMs;
  for (;;) {
    const next = queue.shift();
    if (next === undefined) {
      if (done(events)) return nowMs;
      if (nowMs > startMs + maxMs) throw new Error('pump: not done in time');
      nowMs = Math.max(nowMs + 1, Math.min(...[...reps.values()].map((r) => r.nextDeadlineMs())));
      for (const [id, r] of reps) queue.push([id, r.tick(nowMs)]);
      continue;
    }
    const [from, outs] = next;
    for (const o of outs) {
      if (o.type === 'event') events.push([from, o.event]);
      if (o.type !== 'send') continue;
      const to = reps.get(o.to);
      if (to !== undefined) queue.push([o.to, to.receive(nowMs + 1, from, o.messageType, o.body)]);
    }
  }
}

test('leave: a member alone completes at once', () => {
  const r = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(1), config: { partitions: 8, replicas: 2 } });
  r.membershipChanged(1000, [member('a', 1)]);
  r.submit(1001, 1, { kind: 'create', data: { x: 1 } });
  const out = r.leave(1002);
  assert.ok(out.some((o) => o.type === 'event' && o.event.type === 'leaveComplete'));
  assert.equal(r.isLeaving(), true);
});

for (const leaver of ['b', 'a'] as const) {
  test(`leave: ${leaver === 'a' ? 'the coordinator' : 'a member'} hands every copy to the other member, then completes`, () => {
    const reps = new Map(['a', 'b'].map((id, i) => [id, new Replicator({ selfId: id, startedAtMs: i + 1, random: new SeededRandom(i + 7), config: { partitions: 8, replicas: 2 } })]));
    const view = [member('a', 1), member('b', 2)];
    const a = reps.get('a')!;
    const b = reps.get('b')!;
    const settled = () => a.currentTable()?.owners.every((row) => row.length === 2) === true && b.currentTable()?.epoch === a.currentTable()!.epoch;
    let nowMs = pump(reps, [...reps].map(([id, r]) => [id, r.membershipChanged(1000, view)] as [string, ReplicatorOutput[]]), settled, 1000);
    // Sessions created through both members (each is primary of the ids it draws), acknowledged.
    const ids: string[] = [];
    for (const [id, r] of reps) {
      for (let k = 0; k < 5; k++) {
        let created: string | null = null;
        const outs = r.submit(nowMs, ids.length + 1, { kind: 'create', data: { k } });
        const grab = (os: ReplicatorOutput[]) => os.forEach((o) => o.type === 'complete' && 'result' in o && o.result.kind === 'create' && (created = o.result.id));
        grab(outs);
        nowMs = pump(reps, [[id, outs]], () => created !== null || a.store.size === b.store.size, nowMs);
        ids.push(...[...r.store.partitionIds()].flatMap((p) => [...r.store.records(p)].map((x) => x.id)).filter((x) => !ids.includes(x)));
      }
    }
    assert.ok(ids.length >= 10 && a.store.size === ids.length && b.store.size === ids.length);
    const l = reps.get(leaver)!;
    const stay = leaver === 'a' ? b : a;
    const stayId = leaver === 'a' ? 'b' : 'a';
    pump(reps, [[leaver, l.leave(nowMs)]], (events) => events.some(([from, e]) => from === leaver && e.type === 'leaveComplete'), nowMs);
    assert.equal(l.store.size, 0);
    const t = stay.currentTable()!;
    assert.deepEqual(t.owners, t.owners.map(() => [stayId]));
    assert.deepEqual(l.currentTable()!.owners, t.owners);
    for (const id of ids) assert.equal(stay.store.get(id)?.destroyed, false, `session ${id} kept`);
  });
}

test('the primary records accesses to 1/1000 of the idle timeout, at most 1 s; exactly below 1 s of idle timeout', () => {
  const a = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(1), config: { partitions: 8, replicas: 1 } });
  a.membershipChanged(1000, [member('a', 1)]);
  const create = (opId: number, maxIdleMs: number) => {
    const [out] = a.submit(1000, opId, { kind: 'create', data: { x: 1 }, maxIdleMs });
    assert.ok(out?.type === 'complete' && 'result' in out && out.result.kind === 'create');
    return out.result.id;
  };
  const hot = create(1, 30 * 60 * 1000); // resolution 1000 ms
  const short = create(2, 500); // resolution 0: every access
  const tenSeconds = create(3, 10_000); // resolution 10 ms
  const last = (id: string) => a.store.get(id)!.lastAccessMs;
  // (The replicator's clock only moves forward: the steps below go in time order.)
  a.readLocal(1001, short);
  assert.equal(last(short), 1001);
  a.readLocal(1009, tenSeconds);
  assert.equal(last(tenSeconds), 1000);
  a.submit(1010, 4, { kind: 'get', id: tenSeconds });
  assert.equal(last(tenSeconds), 1010);
  assert.equal(last(hot), 1000);
  a.readLocal(1999, hot);
  a.submit(1999, 5, { kind: 'touch', id: hot });
  assert.equal(last(hot), 1000, 'within 1 s of the recorded access: not recorded');
  a.readLocal(2000, hot);
  assert.equal(last(hot), 2000);
});

test('readLocal answers a read on the primary like submit, and declines elsewhere', () => {
  const a = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(1), config: { partitions: 8, replicas: 1 } });
  assert.equal(a.readLocal(999, 'x'.repeat(22)), undefined, 'no table yet: through submit()');
  a.membershipChanged(1000, [member('a', 1)]);
  const [created] = a.submit(1001, 1, { kind: 'create', data: { x: 1 } });
  assert.ok(created?.type === 'complete' && 'result' in created && created.result.kind === 'create');
  const id = created.result.id;
  const [viaSubmit] = a.submit(1002, 2, { kind: 'get', id });
  assert.ok(viaSubmit?.type === 'complete' && 'result' in viaSubmit);
  assert.deepEqual(a.readLocal(1003, id), viaSubmit.result);
  assert.deepEqual(a.readLocal(1003, 'A'.repeat(22)), { kind: 'get', session: null }, 'missing session: null, as submit says');
  assert.equal(a.readLocal(1003, 'bad id'), undefined, 'invalid id: submit() reports the error');
  // The copy handed out is the caller's: changing it changes nothing stored.
  (a.readLocal(1004, id)!.session!.data as { x: number }).x = 99;
  assert.deepEqual(a.readLocal(1005, id)!.session!.data, { x: 1 });
  // Where another member is the primary, readLocal declines (submit() routes it there).
  const c = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(3), config: { partitions: 8, replicas: 1 } });
  c.membershipChanged(1000, [member('a', 1), member('b', 2)]);
  const owners = c.currentTable()!.owners;
  const remote = Array.from({ length: 200 }, (_, i) => `remote-session-id-${String(i).padStart(4, '0')}`).find((sid) => owners[partitionOf(sid, 8)]![0] === 'b');
  assert.ok(remote !== undefined, 'some partition has b as primary');
  assert.equal(c.readLocal(1001, remote), undefined);
});
