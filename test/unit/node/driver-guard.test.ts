/**
 * Issue #11: no exception may escape a timer, socket or transport callback of a member. Each
 * driver gets a step (or an output) that throws, and must log it at error level with a stable
 * code, fail the op involved with a SessionMeshError, and keep running.
 */
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { ManualClock, SeededRandom } from '../../../src/clock/clock.js';
import { SessionMeshError, isSessionMeshError } from '../../../src/errors.js';
import type { Logger } from '../../../src/log.js';
import type { MemberRecord } from '../../../src/membership/member.js';
import { createNode } from '../../../src/node/node.js';
import { SessionService } from '../../../src/node/session-service.js';
import { partitionOf } from '../../../src/placement/partition.js';
import type { ReplicatorOutput } from '../../../src/replication/outputs.js';
import { HandlerSet } from '../../../src/transport/handlers.js';
import type { PeerEvent, Transport } from '../../../src/transport/transport.js';
import { MessageType } from '../../../src/wire/message-types.js';
import { encodeBody } from '../../../src/wire/codec.js';

interface Line {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

function captureLogger(lines: Line[]): Logger {
  const at = (level: Line['level']) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg: msg ?? '' });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

const errors = (lines: Line[]) => lines.filter((l) => l.level === 'error');

function member(id: string, startedAtMs: number): MemberRecord {
  return { id, name: id, address: { host: '127.0.0.1', port: 1 }, httpAddress: null, role: 'member', zone: null, startedAtMs, state: 'alive', incarnation: 0 };
}

/** A transport that encodes what it is asked to send (as TcpTransport does) and records it; `failOn` makes send throw. */
function fakeTransport(sent: { type: number; body: unknown }[], failOn: (type: number) => boolean): Transport {
  return {
    self: { id: 'a', name: 'a', address: { host: '127.0.0.1', port: 1 } },
    listen: () => Promise.resolve({ host: '127.0.0.1', port: 1 }),
    send: (_to, type, body) => {
      if (failOn(type)) throw new SessionMeshError('ERR_FRAME_TOO_LARGE', 'frame of 9999999 bytes exceeds maxFrameBytes');
      encodeBody(body);
      sent.push({ type, body });
    },
    request: () => Promise.reject(new SessionMeshError('ERR_CLOSED', 'fake')),
    onMessage: () => {},
    onPeerEvent: (_h: (e: PeerEvent) => void) => {},
    connectedPeers: () => [],
    close: () => Promise.resolve(),
  };
}

function service(lines: Line[], sent: { type: number; body: unknown }[], failOn: (type: number) => boolean = () => false, onEvent: () => void = () => {}) {
  const clock = new ManualClock(1000);
  const s = new SessionService({
    selfId: 'a',
    startedAtMs: 1,
    config: { partitions: 8, replicas: 1, retryMs: 250, opTimeoutMs: 5000 },
    clock,
    random: new SeededRandom(3),
    transport: fakeTransport(sent, failOn),
    addressOf: (id) => ({ id, address: { host: '127.0.0.1', port: 2 } }),
    logger: captureLogger(lines),
    onEvent,
  });
  s.membershipChanged([member('a', 1), member('b', 2)]);
  const owners = s.replicator.currentTable()!.owners;
  const ids = Array.from({ length: 400 }, (_, i) => `driver-session-id-${String(i).padStart(4, '0')}`);
  return { s, clock, remote: ids.filter((id) => owners[partitionOf(id, 8)]![0] === 'b'), local: ids.filter((id) => owners[partitionOf(id, 8)]![0] === 'a') };
}

test('session service: a send the transport refuses fails that message and its op; the retry timer throws nothing', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const lines: Line[] = [];
  const sent: { type: number; body: unknown }[] = [];
  const { s, clock, remote, local } = service(lines, sent, (type) => type === MessageType.ReplOp);
  await assert.rejects(s.update(remote[0]!, { set: { x: 1 } }), (e) => isSessionMeshError(e, 'ERR_FRAME_TOO_LARGE'));
  assert.equal(errors(lines).length, 1, 'logged once');
  assert.equal(errors(lines)[0]!.obj.code, 'ERR_FRAME_TOO_LARGE');
  assert.equal(errors(lines)[0]!.obj.messageType, MessageType.ReplOp);
  // Nothing is retried: the timer runs the machine on, without a second failure.
  for (let i = 0; i < 40; i++) {
    clock.advance(250);
    mock.timers.tick(250);
  }
  assert.equal(errors(lines).length, 1);
  // The member still works: an op on a session it is primary of completes.
  assert.equal((await s.create({ id: local[0]!, data: { ok: true } })).version, 1);
  s.close();
});

test('session service: a step that throws is logged with ERR_INTERNAL, fails its op, and the timer keeps running', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const lines: Line[] = [];
  const sent: { type: number; body: unknown }[] = [];
  const { s, clock, local, remote } = service(lines, sent);
  const r = s.replicator as unknown as { submit: (...a: unknown[]) => ReplicatorOutput[]; tick: (...a: unknown[]) => ReplicatorOutput[] };
  const realSubmit = r.submit;
  r.submit = () => {
    throw new Error('injected: broken invariant in submit');
  };
  await assert.rejects(s.update(local[0]!, { set: { x: 1 } }), (e) => isSessionMeshError(e, 'ERR_INTERNAL') && /broken invariant/.test(e.message));
  assert.equal(errors(lines).length, 1);
  assert.equal(errors(lines)[0]!.obj.code, 'ERR_INTERNAL');
  assert.equal(errors(lines)[0]!.obj.opId, 1);
  r.submit = realSubmit;

  // A throwing tick, from the timer: logged, and the timer is armed again.
  const realTick = r.tick;
  let ticks = 0;
  r.tick = () => {
    ticks++;
    throw new Error('injected: broken invariant in tick');
  };
  const pending = s.update(remote[0]!, { set: { x: 1 } }); // keeps the machine busy: ticks every retryMs
  pending.catch(() => {});
  for (let i = 0; i < 40; i++) {
    clock.advance(100);
    mock.timers.tick(100);
  }
  // Once a second, not spinning (the machine's deadline was stale after the failed step).
  assert.ok(ticks >= 3 && ticks <= 5, `the timer kept firing, once a second (${ticks} in 4 s)`);
  assert.ok(errors(lines).slice(1).every((l) => l.obj.code === 'ERR_INTERNAL' && l.obj.where === 'replication tick'));
  r.tick = realTick;
  for (let i = 0; i < 30; i++) {
    clock.advance(250);
    mock.timers.tick(250);
  }
  await assert.rejects(pending, (e) => isSessionMeshError(e, 'ERR_TIMEOUT'), 'the op still completes (b never answers)');
  const created = await s.create({ id: local[1]!, data: { ok: true } });
  assert.equal(created.version, 1, 'the member still serves ops');
  s.close();
});

test('session service: an event listener that throws is logged; the op completes', async () => {
  const lines: Line[] = [];
  const { s, local } = service(
    lines,
    [],
    () => false,
    () => {
      throw new Error('app listener bug');
    },
  );
  // membershipChanged emitted table events through the throwing listener already.
  assert.ok(errors(lines).length > 0 && errors(lines).every((l) => l.obj.where === 'replication output event'));
  assert.equal((await s.create({ id: local[0]!, data: { a: 1 } })).version, 1);
  s.close();
});

test('node: a membership step that throws from its timer is logged; the member keeps running and serving', async () => {
  const lines: Line[] = [];
  const node = await createNode({ insecure: true, port: 0, httpPort: null, logger: captureLogger(lines), logLevel: 'silent' });
  try {
    const m = (node as unknown as { membership: { tick: (now: number) => unknown } }).membership;
    const realTick = m.tick.bind(m);
    let thrown = 0;
    m.tick = () => {
      thrown++;
      throw new Error('injected: membership tick');
    };
    const deadline = Date.now() + 5000;
    while (thrown < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(thrown >= 2, `the membership timer fired again after a throw (${thrown})`);
    const logged = errors(lines).filter((l) => l.obj.where === 'membership tick');
    assert.ok(logged.length >= 1 && logged.every((l) => l.obj.code === 'ERR_INTERNAL'), JSON.stringify(errors(lines).map((l) => l.msg)));
    m.tick = realTick;
    // A listener of the node's events that throws does not stop it either.
    node.on('replication', () => {
      throw new Error('app listener bug');
    });
    const { id } = await node.sessions.create({ data: { x: 1 } });
    assert.deepEqual((await node.sessions.get(id))?.data, { x: 1 });
    assert.equal(node.status().self.state, 'alive');
  } finally {
    await node.close();
  }
});

test('transport handlers: one that throws is logged at error level (ERR_INTERNAL) and not rethrown; the others still run', async () => {
  const lines: Line[] = [];
  const set = new HandlerSet<number>(captureLogger(lines), 'onMessage');
  const seen: number[] = [];
  set.add(() => {
    throw new Error('consumer bug');
  });
  set.add((v) => seen.push(v));
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  try {
    set.emit(7);
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('uncaughtException', onUncaught);
  }
  assert.deepEqual(seen, [7]);
  assert.deepEqual(uncaught, []);
  assert.equal(errors(lines).length, 1);
  assert.equal(errors(lines)[0]!.obj.code, 'ERR_INTERNAL');
});
