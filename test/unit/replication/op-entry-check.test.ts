/**
 * Issue #11 defect 7: a bad value submitted on a member that is not the session's primary was
 * routed unchecked, so the driver's transport.send threw ERR_INVALID_VALUE while encoding the
 * ReplOp — and again from the retry timer, where nothing caught it, which killed the process.
 * Values are now checked where the op enters (Replicator.submit → checkOp), with the primary's
 * own rules (values.ts checkChange), and what leaves for a remote primary is the checked copy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../src/clock/clock.js';
import { isSessionMeshError } from '../../../src/errors.js';
import type { MemberRecord } from '../../../src/membership/member.js';
import { opFromWire, type SessionOp } from '../../../src/replication/ops.js';
import type { ReplicatorOutput } from '../../../src/replication/outputs.js';
import { Replicator } from '../../../src/replication/replicator.js';
import { partitionOf } from '../../../src/placement/partition.js';
import { decodeBody, encodeBody } from '../../../src/wire/codec.js';
import { MessageType } from '../../../src/wire/message-types.js';

function member(id: string, startedAtMs: number): MemberRecord {
  return { id, name: id, address: { host: '127.0.0.1', port: 1 }, httpAddress: null, role: 'member', zone: null, startedAtMs, state: 'alive', incarnation: 0 };
}

const PARTITIONS = 8;
const RETRY_MS = 250;

/** Member `a` of a two-member table, and session ids whose primary is `b`. */
function nonPrimary(): { a: Replicator; remoteIds: string[] } {
  const a = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(3), config: { partitions: PARTITIONS, replicas: 1, retryMs: RETRY_MS } });
  a.membershipChanged(1000, [member('a', 1), member('b', 2)]);
  const owners = a.currentTable()!.owners;
  const remoteIds = Array.from({ length: 400 }, (_, i) => `remote-session-id-${String(i).padStart(4, '0')}`).filter((sid) => owners[partitionOf(sid, PARTITIONS)]![0] === 'b');
  assert.ok(remoteIds.length >= 20, 'enough partitions have b as primary');
  return { a, remoteIds };
}

/** What the driver does with a send: encode the body (transport.send throws when it cannot). */
function encodeSends(outs: ReplicatorOutput[]): void {
  for (const o of outs) if (o.type === 'send') assert.doesNotThrow(() => encodeBody(o.body), `a ${o.messageType} body the driver cannot encode`);
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { v };
  return v;
}

class Cart {
  items = [1];
}

const cycle: Record<string, unknown> = { a: 1 };
cycle.self = cycle;

/** [what, attribute name, value] — each refused by the primary's rules. */
const BAD: [string, string, unknown][] = [
  ['a Set', 'tags', new Set(['x'])],
  ['a Map', 'tags', new Map([['x', 1]])],
  ['a class instance', 'cart', new Cart()],
  ['NaN', 'n', Number.NaN],
  ['Infinity', 'n', Number.POSITIVE_INFINITY],
  ['a Symbol', 's', Symbol('x')],
  ['a function', 'f', () => 1],
  ['a BigInt', 'b', 10n],
  ['a cycle', 'c', cycle],
  ['a value nested deeper than maxValueDepth', 'deep', nested(40)],
  ['an invalid Date', 'd', new Date(Number.NaN)],
  ['a lone surrogate', 's', 'x\uD800'],
  ['a reserved attribute name', 'constructor', 1],
  ['an attribute name with a lone surrogate', '\uDC00', 1],
];

for (const [what, name, value] of BAD) {
  test(`on a member that is not the primary, ${what} fails the op with ERR_INVALID_VALUE at once and leaves nothing queued`, () => {
    const { a, remoteIds } = nonPrimary();
    let nowMs = 1001;
    const ops: [string, SessionOp][] = [
      ['update', { kind: 'update', id: remoteIds[0]!, update: { set: { ok: 1, [name]: value } } }],
      ['update (ifVersion)', { kind: 'update', id: remoteIds[1]!, update: { set: { [name]: value } }, ifVersion: 3 }],
      ['create', { kind: 'create', id: remoteIds[2]!, data: { ok: 1, [name]: value } }],
    ];
    for (const [label, op] of ops) {
      const opId = nowMs;
      const outs = a.submit(nowMs, opId, op);
      encodeSends(outs);
      assert.equal(outs.filter((o) => o.type === 'send' && o.messageType === MessageType.ReplOp).length, 0, `${label}: not sent to the primary`);
      const done = outs.find((o) => o.type === 'complete' && o.opId === opId);
      assert.ok(done !== undefined && 'error' in done, `${label}: completed at once with an error, got ${String(done && 'result' in done ? JSON.stringify(done.result) : done)}`);
      assert.ok(isSessionMeshError(done.error, 'ERR_INVALID_VALUE'), `${label}: ${done.error.code} ${done.error.message}`);
      nowMs++;
    }
    // Nothing is left to retry: later ticks send no op and complete nothing.
    for (let i = 1; i <= 30; i++) {
      const outs = a.tick(nowMs + i * RETRY_MS);
      encodeSends(outs);
      assert.deepEqual(outs.filter((o) => o.type === 'complete' || (o.type === 'send' && o.messageType === MessageType.ReplOp)), [], `tick ${i}`);
    }
  });
}

test('a bad value in the maxIdleMs, delete or set fields of a change is refused at entry as the primary refuses it', () => {
  const { a, remoteIds } = nonPrimary();
  const changes: unknown[] = [{ maxIdleMs: 0 }, { maxIdleMs: 1.5 }, { delete: 'x' }, { delete: [1] }, { set: [1] }, { set: new Map() }, { set: { x: 1 }, delete: ['x'] }];
  let opId = 1;
  for (const update of changes) {
    const outs = a.submit(1001, opId, { kind: 'update', id: remoteIds[0]!, update } as SessionOp);
    const done = outs.find((o) => o.type === 'complete' && o.opId === opId);
    assert.ok(done !== undefined && 'error' in done && done.error.code === 'ERR_INVALID_VALUE', `${JSON.stringify(update)}: ${JSON.stringify(outs)}`);
    assert.equal(outs.filter((o) => o.type === 'send').length, 0);
    opId++;
  }
  const bad = a.submit(1002, opId, { kind: 'create', id: remoteIds[1]!, data: {}, maxIdleMs: -5 });
  assert.ok(bad.some((o) => o.type === 'complete' && 'error' in o && o.error.code === 'ERR_INVALID_VALUE'));
});

test('an ifVersion that is not a version number is refused on every member (the primary would drop the op from the wire)', () => {
  const { a, remoteIds } = nonPrimary();
  const primary = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(1), config: { partitions: PARTITIONS, replicas: 1 } });
  primary.membershipChanged(1000, [member('a', 1)]);
  const [created] = primary.submit(1001, 1, { kind: 'create', data: { x: 1 } });
  assert.ok(created?.type === 'complete' && 'result' in created && created.result.kind === 'create');
  for (const [r, id] of [
    [a, remoteIds[0]!],
    [primary, created.result.id],
  ] as const) {
    for (const ifVersion of [-1, 1.5, Number.NaN, '1' as unknown as number]) {
      const outs = r.submit(1002, 9, { kind: 'update', id, update: { set: { y: 1 } }, ifVersion });
      assert.ok(outs.some((o) => o.type === 'complete' && 'error' in o && o.error.code === 'ERR_INVALID_VALUE'), `${String(ifVersion)}: ${JSON.stringify(outs)}`);
      assert.equal(outs.filter((o) => o.type === 'send').length, 0);
    }
  }
});

test('what leaves for a remote primary is the checked copy: normal forms, undefined as a delete, later mutations not sent', () => {
  const { a, remoteIds } = nonPrimary();
  const cart = { items: [1, 2] };
  const outs = a.submit(1001, 1, { kind: 'update', id: remoteIds[0]!, update: { set: { cart, zero: -0, gone: undefined, bin: new Uint8Array([1, 2]) }, delete: ['old'] } });
  const sent = outs.find((o) => o.type === 'send' && o.messageType === MessageType.ReplOp);
  assert.ok(sent?.type === 'send');
  const onWire = (body: unknown) => opFromWire((decodeBody(encodeBody(body)) as { op: unknown }).op);
  const op = onWire(sent.body);
  assert.ok(op.kind === 'update');
  assert.deepEqual(op.update.set, { cart: { items: [1, 2] }, zero: 0, bin: Buffer.from([1, 2]) });
  // `set: {gone: undefined}` deletes `gone` (update.ts); the codec drops undefined properties, so it travels as a delete.
  assert.deepEqual([...(op.update.delete ?? [])].sort(), ['gone', 'old']);
  // The app changes its object after the call: a retry still sends the value of the call.
  cart.items.push(3);
  const retry = a.tick(1001 + 3 * RETRY_MS).find((o) => o.type === 'send' && o.messageType === MessageType.ReplOp);
  assert.ok(retry?.type === 'send', 'retried');
  const again = onWire(retry.body);
  assert.ok(again.kind === 'update');
  assert.deepEqual(again.update.set!.cart, { items: [1, 2] });
});

test('on the primary a bad value is refused by the write itself, as before', () => {
  const a = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(1), config: { partitions: PARTITIONS, replicas: 1 } });
  a.membershipChanged(1000, [member('a', 1)]);
  const [created] = a.submit(1001, 1, { kind: 'create', data: { x: 1 } });
  assert.ok(created?.type === 'complete' && 'result' in created && created.result.kind === 'create');
  for (const [what, name, value] of BAD) {
    const outs = a.submit(1002, 2, { kind: 'update', id: created.result.id, update: { set: { [name]: value } } });
    assert.ok(outs.some((o) => o.type === 'complete' && 'error' in o && o.error.code === 'ERR_INVALID_VALUE'), `${what}: ${JSON.stringify(outs.map((o) => o.type))}`);
  }
  const [got] = a.submit(1003, 3, { kind: 'get', id: created.result.id });
  assert.deepEqual(got?.type === 'complete' && 'result' in got ? got.result : got, { kind: 'get', session: { id: created.result.id, version: 1, data: { x: 1 } } });
});
