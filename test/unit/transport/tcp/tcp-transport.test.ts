import { PROTOCOL_VERSION } from '../../../../src/wire/version.js';
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { SeededRandom } from '../../../../src/clock/clock.js';
import { isSessionMeshError } from '../../../../src/errors.js';
import type { Logger } from '../../../../src/log.js';
import type { PeerAddress } from '../../../../src/transport/address.js';
import { backoffDelayMs } from '../../../../src/transport/tcp/backoff.js';
import { TcpTransport, type TcpTransportOptions } from '../../../../src/transport/tcp/tcp-transport.js';
import { FrameKind } from '../../../../src/wire/frame.js';
import { MessageType } from '../../../../src/wire/message-types.js';
import { transportContract, type Harness } from '../contract.js';
import { eventually, Probe } from '../probe.js';
import { rawPeer } from './raw-peer.js';

const PING = 100;
const PONG = 101;
const NOTE = 102;

async function freePort(): Promise<number> {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  s.close();
  await once(s, 'close');
  return port;
}

function makeHarness(defaults: Partial<TcpTransportOptions> = {}): Harness & { created: TcpTransport[] } {
  const created: TcpTransport[] = [];
  return {
    created,
    async create(id, options = {}) {
      const t = new TcpTransport({ id, name: id, host: '127.0.0.1', port: 0, cluster: 'test', secret: 'test-secret', handshakeTimeoutMs: 2000, ...defaults, ...options });
      created.push(t);
      await t.listen();
      return t;
    },
    async deadAddress() {
      return { host: '127.0.0.1', port: await freePort() };
    },
    async cleanup() {
      await Promise.all(created.map((t) => t.close()));
      for (const t of created) assert.equal(t.stats().connections, 0, 'every socket closed');
    },
  };
}

/** Records log lines, to check which path the code took. */
function captureLogger(lines: string[]): Logger {
  const log = (level: string) => (obj: object, msg?: string) => lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}

transportContract('tcp', () => makeHarness());

describe('tcp transport', () => {
  let h = makeHarness();
  afterEach(async () => {
    await h.cleanup();
    h = makeHarness();
  });

  function create(id: string, options: Partial<TcpTransportOptions> = {}): Promise<TcpTransport> {
    return h.create(id, options as never) as Promise<TcpTransport>;
  }

  function echo(t: TcpTransport): void {
    t.onMessage((m) => {
      if (m.type === PING) m.reply?.(PONG, m.body);
    });
  }

  async function assertServes(listener: TcpTransport): Promise<void> {
    const client = await create(`client-${Math.random().toString(36).slice(2)}`);
    const r = await client.request({ address: listener.self.address }, PING, 'still there?', 3000);
    assert.equal(r.body, 'still there?');
  }

  for (const [what, dialer, listener, code] of [
    ['a wrong secret', { secret: 'secret-one' }, { secret: 'secret-two' }, 'ERR_AUTH'],
    ['a wrong cluster', { cluster: 'blue' }, { cluster: 'green' }, 'ERR_WRONG_CLUSTER'],
    ['insecure vs secured', { secret: null }, { secret: 'secret-two' }, 'ERR_AUTH'],
    ['secured vs insecure', { secret: 'secret-one' }, { secret: null }, 'ERR_AUTH'],
  ] as const) {
    it(`refuses ${what} on both sides, with no connected event anywhere`, async () => {
      const a = await create('a', dialer);
      const b = await create('b', listener);
      const pa = new Probe(a);
      const pb = new Probe(b);
      a.send({ address: b.self.address }, NOTE, 1);
      const u = await pa.event('unreachable');
      const r = await pb.event('rejected');
      assert.equal(u.code, code, u.reason);
      assert.equal(r.code, code, r.reason);
      await rejectsCode(a.request({ address: b.self.address }, PING, null, 1000), 'ERR_CONNECTION'); // backing off now
      assert.equal(pa.eventsOf('connected').length + pb.eventsOf('connected').length, 0);
      assert.deepEqual(b.connectedPeers(), []);
      assert.equal(pb.messages.length, 0);
    });
  }

  it('counts frames and bytes per message type, the same on both ends', async () => {
    const a = await create('a');
    const b = await create('b');
    echo(b);
    const pb = new Probe(b);
    for (let i = 0; i < 5; i++) a.send({ address: b.self.address }, NOTE, { i, pad: 'x'.repeat(100) });
    await a.request({ address: b.self.address }, PING, 'hello', 3000);
    await eventually(() => pb.messages.filter((m) => m.type === NOTE).length === 5, 'five notes');
    const sa = a.trafficStats();
    const sb = b.trafficStats();
    // Names come from the registry; 100..102 are test-only types, shown as unknown(n).
    assert.equal(sa.sent['unknown(102)']?.messages, 5);
    assert.deepEqual(sb.received['unknown(102)'], sa.sent['unknown(102)']);
    assert.ok(sa.sent['unknown(102)']!.bytes > 5 * 100, 'bytes include the body');
    assert.deepEqual(sb.received['unknown(100)'], sa.sent['unknown(100)']);
    assert.deepEqual(sa.received['unknown(101)'], sb.sent['unknown(101)']);
    assert.equal(sb.sent['unknown(101)']?.messages, 1);
  });

  it('survives 10 MB of random bytes on one connection and keeps serving', async () => {
    const b = await create('b');
    echo(b);
    const pb = new Probe(b);
    const socket = net.connect(b.self.address.port, '127.0.0.1');
    socket.on('error', () => {});
    const closed = closeOf(socket);
    socket.write(randomBytes(10 * 1024 * 1024));
    await closed;
    const r = await pb.event('rejected');
    assert.ok(['ERR_FRAME_TOO_LARGE', 'ERR_BAD_FRAME', 'ERR_PROTOCOL_VERSION'].includes(r.code), r.code);
    await assertServes(b);
  });

  it('closes 200 silent connections after handshakeTimeoutMs, refusing those beyond maxPendingHandshakes', async () => {
    const b = await create('b', { handshakeTimeoutMs: 300, maxPendingHandshakes: 64 });
    echo(b);
    const pb = new Probe(b);
    const sockets = Array.from({ length: 200 }, () => {
      const s = net.connect(b.self.address.port, '127.0.0.1');
      return closeOf(s);
    });
    await Promise.all(sockets);
    await pb.until(() => (pb.eventsOf('rejected').length === 200 ? true : undefined), '200 rejections');
    const codes = pb.eventsOf('rejected').map((e) => e.code);
    const timedOut = codes.filter((c) => c === 'ERR_TIMEOUT').length;
    const refused = codes.filter((c) => c === 'ERR_BACKPRESSURE').length;
    assert.equal(timedOut + refused, 200, codes.join());
    // 136 when all 200 arrive within handshakeTimeoutMs; fewer on a very slow machine.
    assert.ok(timedOut >= 64 && refused > 0, `${timedOut} timed out, ${refused} refused`);
    assert.equal(b.stats().pendingHandshakes, 0);
    await assertServes(b);
  });

  it('keeps exactly one connection after a simultaneous dial, losing no message', async () => {
    const lines: string[] = [];
    const a = await create('member-a', { logger: captureLogger(lines) });
    const b = await create('member-b', { logger: captureLogger(lines) });
    echo(a);
    echo(b);
    const pa = new Probe(a);
    const pb = new Probe(b);
    // Same tick: both dial.
    const requests: Array<Promise<unknown>> = [];
    for (let i = 0; i < 50; i++) {
      a.send({ address: b.self.address }, NOTE, `a${i}`);
      b.send({ address: a.self.address }, NOTE, `b${i}`);
      requests.push(a.request({ address: b.self.address }, PING, i, 5000), b.request({ address: a.self.address }, PING, i, 5000));
    }
    await Promise.all(requests);
    await pa.messagesOf(50, NOTE);
    await pb.messagesOf(50, NOTE);
    await eventually(() => a.stats().connections === 1 && b.stats().connections === 1, 'one connection each');
    assert.equal(pa.eventsOf('connected').length, 1);
    assert.equal(pb.eventsOf('connected').length, 1);
    assert.equal(pa.eventsOf('disconnected').length + pb.eventsOf('disconnected').length, 0);
    assert.ok(lines.some((l) => l.includes('duplicate peer connection closed')), 'the duplicate path ran');
    // And the survivor works in both directions, with requests after the switch.
    assert.equal((await a.request({ id: b.self.id, address: b.self.address }, PING, 'x', 2000)).body, 'x');
    assert.equal((await b.request({ id: a.self.id, address: a.self.address }, PING, 'y', 2000)).body, 'y');
    assert.equal(new Set(pb.messages.filter((m) => m.type === NOTE).map((m) => m.body)).size, 50);
  });

  it('backs off after a failed dial: fast unreachable, and no new dial until the delay passed', async () => {
    const port = await freePort();
    const a = await create('a', { reconnectMinMs: 300, reconnectMaxMs: 300, handshakeTimeoutMs: 300 });
    const pa = new Probe(a);
    const dead: PeerAddress = { host: '127.0.0.1', port };
    const started = Date.now();
    a.send({ address: dead }, NOTE, 1);
    const first = await pa.event('unreachable');
    assert.ok(Date.now() - started < 1000, 'refused dial reported fast');
    assert.match(first.reason, /ECONNREFUSED/);
    // Something listens there now, but we are backing off: no dial reaches it.
    let dials = 0;
    const server = net.createServer((s) => {
      dials++;
      s.destroy();
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    try {
      a.send({ address: dead }, NOTE, 2);
      const second = await pa.event('unreachable', (e) => e !== first);
      assert.match(second.reason, /backing off/);
      await rejectsCode(a.request({ address: dead }, PING, null, 1000), 'ERR_CONNECTION');
      assert.equal(a.stats().dials, 0);
      await new Promise((r) => setTimeout(r, 350)); // the configured backoff (jittered within 150..300 ms) expires
      a.send({ address: dead }, NOTE, 3);
      assert.equal(a.stats().dials, 1, 'a new dial starts once the delay passed');
      await pa.event('unreachable', (e) => e !== first && e !== second);
      assert.equal(dials, 1);
    } finally {
      server.close();
    }
  });

  it('computes jittered exponential backoff within [d/2, d]', () => {
    const r = new SeededRandom(3);
    for (let failures = 1; failures < 40; failures++) {
      const d = Math.min(5000, 100 * 2 ** (failures - 1));
      const v = backoffDelayMs(failures, 100, 5000, r);
      assert.ok(v >= d / 2 && v <= d, `${failures}: ${v}`);
    }
  });

  it('closes only the offending connection on a bad body after authentication', async () => {
    const b = await create('b');
    echo(b);
    const pb = new Probe(b);
    const raw = await rawPeer(b.self.address, { id: 'raw', cluster: 'test', secret: 'test-secret' });
    await pb.event('connected', (e) => e.peer.id === 'raw');
    raw.socket.write(Buffer.from([0, 0, 0, 9, PROTOCOL_VERSION, FrameKind.OneWay, 0, NOTE, 0, 0, 0, 0, 0xc1]));
    await raw.closed;
    const d = await pb.event('disconnected', (e) => e.peer.id === 'raw');
    assert.match(d.reason, /bad message body/);
    assert.equal(pb.messages.length, 0);
    await assertServes(b);
  });

  it('treats a handshake message after authentication as a protocol error', async () => {
    const b = await create('b');
    const pb = new Probe(b);
    const raw = await rawPeer(b.self.address, { id: 'raw', cluster: 'test', secret: 'test-secret' });
    raw.write(FrameKind.OneWay, MessageType.Hello, {});
    await raw.closed;
    assert.match((await pb.event('disconnected')).reason, /after authentication/);
  });

  it('closes a connection whose frame exceeds maxFrameBytes after authentication', async () => {
    const b = await create('b', { maxFrameBytes: 64 * 1024 });
    const pb = new Probe(b);
    const raw = await rawPeer(b.self.address, { id: 'raw', cluster: 'test', secret: 'test-secret' });
    raw.write(FrameKind.OneWay, NOTE, Buffer.alloc(100 * 1024));
    await raw.closed;
    assert.match((await pb.event('disconnected')).reason, /exceeds maxFrameBytes/);
  });

  it('ignores application messages before authentication', async () => {
    const b = await create('b');
    echo(b);
    const pb = new Probe(b);
    const raw = await rawPeer(b.self.address, {
      id: 'raw',
      cluster: 'test',
      secret: 'test-secret',
      beforeHello: (s) => s.write(Buffer.from([0, 0, 0, 9, PROTOCOL_VERSION, FrameKind.Request, 0, PING, 0, 0, 0, 1, 0xc0])),
    });
    raw.write(FrameKind.OneWay, NOTE, 'after');
    const [m] = await pb.messagesOf(1);
    assert.equal(m!.body, 'after', 'the early request was never delivered');
    raw.socket.destroy();
  });

  it('refuses sends beyond maxSendQueueBytes (unreachable ERR_BACKPRESSURE, request ERR_BACKPRESSURE)', async () => {
    const b = await create('b', { maxFrameBytes: 64 * 1024, maxSendQueueBytes: 200_000 });
    const pb = new Probe(b);
    const raw = await rawPeer(b.self.address, { id: 'raw', cluster: 'test', secret: 'test-secret' });
    raw.socket.pause();
    await pb.event('connected');
    const to = { id: 'raw', address: { host: '127.0.0.1', port: 1 } };
    const chunk = Buffer.alloc(60_000);
    for (let i = 0; i < 10; i++) b.send(to, NOTE, chunk); // one tick: all corked, nothing flushed yet
    const u = await pb.event('unreachable');
    assert.equal(u.code, 'ERR_BACKPRESSURE');
    await rejectsCode(b.request(to, PING, chunk, 1000), 'ERR_BACKPRESSURE');
    raw.socket.destroy();
  });

  it('validates its options', () => {
    const base = { id: 'x', name: 'x', host: '127.0.0.1', port: 0, cluster: 'c', secret: 's' };
    for (const bad of [{ port: 70000 }, { id: '' }, { id: 'a b' }, { secret: '' }, { maxFrameBytes: 100 }, { reconnectMinMs: 500, reconnectMaxMs: 100 }, { maxSendQueueBytes: 10 }]) {
      assert.throws(() => new TcpTransport({ ...base, ...bad } as TcpTransportOptions), (e) => isSessionMeshError(e, 'ERR_CONFIG'), JSON.stringify(bad));
    }
  });

  it('refuses to listen on a port in use with ERR_CONFIG', async () => {
    const a = await create('a');
    const b = new TcpTransport({ id: 'b', name: 'b', host: '127.0.0.1', port: a.self.address.port, cluster: 'test', secret: 's' });
    await assert.rejects(b.listen(), (e) => isSessionMeshError(e, 'ERR_CONFIG'));
    await b.close();
  });
});

/** Resolves on 'close' (events.once would reject on the ECONNRESET that may come first). */
function closeOf(socket: net.Socket): Promise<void> {
  socket.on('error', () => {});
  return new Promise((resolve) => socket.on('close', () => resolve()));
}

function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  return assert.rejects(p, (e) => isSessionMeshError(e) && e.code === code);
}
