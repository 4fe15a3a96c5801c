/**
 * The near-cache protocol between real Replicators with hand-delivered messages: fills, hits,
 * invalidation before acknowledgement, the fences against reordering, read-your-writes through
 * the reader itself, and the flushes (lost connection, primary change, old members).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../src/clock/clock.js';
import type { MemberRecord } from '../../../src/membership/member.js';
import type { OpResult } from '../../../src/replication/ops.js';
import type { ReplicatorOutput } from '../../../src/replication/outputs.js';
import { Replicator } from '../../../src/replication/replicator.js';
import { type ReplTable, tableFromWire, tableToWire } from '../../../src/replication/table.js';
import { partitionOf } from '../../../src/placement/partition.js';
import { MessageType } from '../../../src/wire/message-types.js';

const PARTITIONS = 8;

function member(id: string, startedAtMs: number): MemberRecord {
  return { id, name: id, address: { host: '127.0.0.1', port: 1 }, httpAddress: null, role: 'member', zone: null, startedAtMs, state: 'alive', incarnation: 0 };
}

interface Msg {
  from: string;
  to: string;
  type: number;
  body: unknown;
}

/** Three replicators a (the reader, near cache on), b, c; messages wait in `inbox` until delivered. */
class Trio {
  readonly reps = new Map<string, Replicator>();
  inbox: Msg[] = [];
  readonly done = new Map<number, OpResult | Error>();
  nowMs = 1000;
  private nextOp = 1;

  constructor() {
    const ids = ['a', 'b', 'c'];
    for (const [i, id] of ids.entries()) {
      const nearCacheEntries = id === 'a' ? 100 : 0;
      this.reps.set(id, new Replicator({ selfId: id, startedAtMs: i + 1, random: new SeededRandom(i + 1), config: { partitions: PARTITIONS, replicas: 2, nearCacheEntries, nearCacheMaxAgeMs: 60_000 } }));
    }
    const view = ids.map((id, i) => member(id, i + 1));
    for (const id of ids) this.take(id, this.rep(id).membershipChanged(this.nowMs, view));
    this.settle();
  }

  rep(id: string): Replicator {
    return this.reps.get(id)!;
  }

  take(from: string, outs: ReplicatorOutput[]): ReplicatorOutput[] {
    for (const o of outs) {
      if (o.type === 'send') this.inbox.push({ from, to: o.to, type: o.messageType, body: o.body });
      if (o.type === 'complete') this.done.set(o.opId, 'error' in o ? o.error : o.result);
    }
    return outs;
  }

  deliver(m: Msg): void {
    this.inbox = this.inbox.filter((x) => x !== m);
    this.nowMs++;
    this.take(m.to, this.rep(m.to).receive(this.nowMs, m.from, m.type, m.body));
  }

  /** Delivers everything (FIFO), ticking the machines at their deadlines, for `ms` of virtual time. */
  run(ms: number): void {
    const end = this.nowMs + ms;
    while (this.nowMs < end) {
      const m = this.inbox[0];
      if (m !== undefined) {
        this.deliver(m);
        continue;
      }
      this.nowMs = Math.min(end, Math.max(this.nowMs + 1, Math.min(...[...this.reps.values()].map((r) => r.nextDeadlineMs()))));
      for (const [id, r] of this.reps) this.take(id, r.tick(this.nowMs));
    }
  }

  settle(): void {
    for (let i = 0; i < 100; i++) {
      this.run(500);
      const t = this.rep('a').currentTable();
      const same = [...this.reps.values()].every((r) => r.currentTable()?.epoch === t?.epoch);
      if (t && same && t.owners.every((row, p) => row.length === 2 && row.join() === t.target[p]!.join())) return;
    }
    throw new Error('the trio did not settle');
  }

  submit(via: string, op: Parameters<Replicator['submit']>[2]): { opId: number; outs: ReplicatorOutput[] } {
    const opId = this.nextOp++;
    this.nowMs++;
    return { opId, outs: this.take(via, this.rep(via).submit(this.nowMs, opId, op)) };
  }

  /** Submits and delivers until the op completed (FIFO, no loss). */
  call(via: string, op: Parameters<Replicator['submit']>[2]): OpResult {
    const { opId } = this.submit(via, op);
    for (let i = 0; i < 10_000 && !this.done.has(opId); i++) {
      const m = this.inbox[0];
      if (m === undefined) this.run(10);
      else this.deliver(m);
    }
    const r = this.done.get(opId);
    if (r === undefined || r instanceof Error) throw r ?? new Error('op did not complete');
    return r;
  }

  /** A session whose primary is b and of which a holds no copy: a reads it remotely. */
  remoteSession(): string {
    const t = this.rep('a').currentTable()!;
    for (let i = 0; i < 10_000; i++) {
      const id = `near-cache-session-${String(i).padStart(6, '0')}`;
      const row = t.owners[partitionOf(id, PARTITIONS)]!;
      if (row[0] === 'b' && !row.includes('a')) {
        this.call('b', { kind: 'create', id, data: { v: 0 } });
        return id;
      }
    }
    throw new Error('no partition led by b without a');
  }
}

/** The next epoch of `t` with the two owners of partition p swapped (a primary handover). */
function swapPrimary(t: ReplTable, p: number): ReplTable {
  const copy = tableFromWire(tableToWire(t));
  const owners = copy.owners.map((row) => [...row]);
  owners[p] = [owners[p]![1]!, owners[p]![0]!];
  return { ...copy, epoch: t.epoch + 1, owners, target: owners.map((row) => [...row]) };
}

const version = (r: OpResult) => (r.kind === 'get' ? (r.session?.version ?? null) : null);

test('a non-owner keeps what it read: the second get is answered without a message and counts as a hit', () => {
  const t = new Trio();
  const id = t.remoteSession();
  assert.equal(version(t.call('a', { kind: 'get', id })), 1);
  const { opId, outs } = t.submit('a', { kind: 'get', id });
  assert.deepEqual(outs.filter((o) => o.type === 'send'), [], 'a hit sends nothing');
  assert.equal(version(t.done.get(opId) as OpResult), 1);
  const s = t.rep('a').nearCacheStatus();
  assert.deepEqual({ enabled: s.enabled, hits: s.hits, misses: s.misses, entries: s.entries }, { enabled: true, hits: 1, misses: 1, entries: 1 });
  assert.deepEqual(t.rep('b').nearCacheStatus().readers, { sessions: 1, pairs: 1, evictions: 0, invalidationsSent: 0 });
  // The hit counts as an access at the primary: a NearTouches reaches b within touchFlushMs.
  t.run(1500);
  const before = t.rep('b').store.get(id)!.lastAccessMs;
  t.call('a', { kind: 'get', id });
  t.run(1500);
  assert.ok(t.rep('b').store.get(id)!.lastAccessMs > before, 'b saw the cached read as an access');
});

test('a write at the primary invalidates the reader before it is acknowledged; the next read sees it', () => {
  const t = new Trio();
  const id = t.remoteSession();
  t.call('a', { kind: 'get', id });
  // Through c: b applies, sends the invalidation to a, and only later answers c.
  const { opId } = t.submit('c', { kind: 'update', id, update: { set: { v: 1 } } });
  let invalidatedAt = -1;
  let repliedAt = -1;
  for (let i = 0; i < 1000 && !t.done.has(opId); i++) {
    const m = t.inbox[0]!;
    if (m.from === 'b' && m.to === 'a' && m.type === MessageType.NearInvalidate) invalidatedAt = i;
    if (m.from === 'b' && m.to === 'c' && m.type === MessageType.ReplOpReply) repliedAt = i;
    t.deliver(m);
  }
  assert.ok(t.done.has(opId));
  assert.ok(invalidatedAt >= 0 && invalidatedAt < repliedAt, `invalidation (${invalidatedAt}) before the acknowledgement (${repliedAt})`);
  assert.equal(version(t.call('a', { kind: 'get', id })), 2);
  assert.equal(t.rep('a').nearCacheStatus().hits, 0);
  assert.equal(t.rep('b').nearCacheStatus().readers.invalidationsSent, 1);
  // Destroy, too.
  t.call('a', { kind: 'get', id });
  t.call('c', { kind: 'destroy', id });
  assert.deepEqual(t.call('a', { kind: 'get', id }), { kind: 'get', session: null });
});

test('an invalidation that overtakes the answer of a get in flight keeps that answer out of the cache', () => {
  const t = new Trio();
  const id = t.remoteSession();
  const get = t.submit('a', { kind: 'get', id });
  t.deliver(t.inbox.find((m) => m.to === 'b' && m.type === MessageType.ReplOp)!); // b answers v1 and registers a
  const reply = t.inbox.find((m) => m.from === 'b' && m.to === 'a' && m.type === MessageType.ReplOpReply)!;
  t.inbox = t.inbox.filter((m) => m !== reply);
  t.call('b', { kind: 'update', id, update: { set: { v: 1 } } }); // delivers the invalidation to a
  t.deliver({ ...reply });
  assert.equal(version(t.done.get(get.opId) as OpResult), 1, 'the get itself may return what b had when it read');
  assert.equal(version(t.call('a', { kind: 'get', id })), 2, 'but it was not kept');
});

test('read-your-writes through the reader: its own completed write drops its entry even if the invalidation is lost', () => {
  const t = new Trio();
  const id = t.remoteSession();
  t.call('a', { kind: 'get', id });
  const { opId } = t.submit('a', { kind: 'update', id, update: { set: { v: 7 } } });
  for (let i = 0; i < 1000 && !t.done.has(opId); i++) {
    const m = t.inbox[0]!;
    if (m.type === MessageType.NearInvalidate) t.inbox.shift(); // lost
    else t.deliver(m);
  }
  const got = t.call('a', { kind: 'get', id });
  assert.equal(got.kind === 'get' && got.session?.data.v, 7);
});

test('read-your-writes: a get that the primary answered before the reader\'s write, answered after it completed, is not kept', () => {
  const t = new Trio();
  const id = t.remoteSession();
  const write = t.submit('a', { kind: 'update', id, update: { set: { v: 8 } } });
  const get = t.submit('a', { kind: 'get', id });
  const [wOp, gOp] = t.inbox.filter((m) => m.to === 'b' && m.type === MessageType.ReplOp);
  t.deliver(gOp!); // b reads v1 before the write
  const gReply = t.inbox.find((m) => m.from === 'b' && m.to === 'a' && m.type === MessageType.ReplOpReply)!;
  t.inbox = t.inbox.filter((m) => m !== gReply);
  t.deliver(wOp!);
  for (let i = 0; i < 1000 && !t.done.has(write.opId); i++) {
    const m = t.inbox[0]!;
    if (m.type === MessageType.NearInvalidate) t.inbox.shift(); // lost
    else t.deliver(m);
  }
  assert.ok(t.done.has(write.opId));
  t.deliver({ ...gReply });
  assert.equal(version(t.done.get(get.opId) as OpResult), 1);
  const after = t.call('a', { kind: 'get', id });
  assert.equal(after.kind === 'get' && after.session?.data.v, 8, 'the write acknowledged to this member is visible here');
});

test('a closed connection to the primary flushes what it served; an old primary (no nc in its answer) is not cached', () => {
  const t = new Trio();
  const id = t.remoteSession();
  t.call('a', { kind: 'get', id });
  t.take('a', t.rep('a').peerDisconnected(t.nowMs, 'b'));
  assert.equal(t.rep('a').nearCacheStatus().entries, 0);
  // An answer without nc: true (a member that does not know the near cache) is not kept.
  const get = t.submit('a', { kind: 'get', id });
  t.deliver(t.inbox.find((m) => m.to === 'b' && m.type === MessageType.ReplOp)!);
  const reply = t.inbox.find((m) => m.from === 'b' && m.type === MessageType.ReplOpReply)!;
  const { nc, ...old } = reply.body as Record<string, unknown>;
  assert.equal(nc, true);
  t.inbox = t.inbox.filter((m) => m !== reply);
  t.deliver({ ...reply, body: old });
  assert.ok(t.done.has(get.opId));
  assert.equal(t.rep('a').nearCacheStatus().entries, 0);
});

test('a table that moves the primary flushes the reader, and the old primary invalidates its readers', () => {
  const t = new Trio();
  const id = t.remoteSession();
  t.call('a', { kind: 'get', id });
  const p = partitionOf(id, PARTITIONS);
  const cur = t.rep('b').currentTable()!;
  const moved = swapPrimary(cur, p);
  // The old primary adopts it first: it tells a.
  t.inbox = [];
  t.take('b', t.rep('b').receive(++t.nowMs, cur.coordinatorId === 'b' ? 'c' : cur.coordinatorId, MessageType.ReplTable, tableToWire(moved)));
  const inv = t.inbox.find((m) => m.from === 'b' && m.to === 'a' && m.type === MessageType.NearInvalidate);
  assert.deepEqual(inv?.body, { ids: [id] });
  assert.equal(t.rep('b').nearCacheStatus().readers.pairs, 0);
  // The reader adopts it without the invalidation: flushed all the same.
  const a = new Trio();
  const id2 = a.remoteSession();
  a.call('a', { kind: 'get', id: id2 });
  const cur2 = a.rep('a').currentTable()!;
  const m2 = swapPrimary(cur2, partitionOf(id2, PARTITIONS));
  a.take('a', a.rep('a').receive(++a.nowMs, cur2.coordinatorId === 'a' ? 'b' : cur2.coordinatorId, MessageType.ReplTable, tableToWire(m2)));
  assert.equal(a.rep('a').nearCacheStatus().entries, 0);
});
