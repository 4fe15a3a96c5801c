/**
 * The Transport contract (src/transport/transport.ts), as one suite run against every
 * implementation: tcp/tcp-transport.test.ts and memory/memory-transport.test.ts.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSessionMeshError } from '../../../src/errors.js';
import type { PeerAddress } from '../../../src/transport/address.js';
import type { Transport } from '../../../src/transport/transport.js';
import { Probe } from './probe.js';

export interface HarnessOptions {
  maxInFlightRequests?: number;
  maxFrameBytes?: number;
}

export interface Harness {
  /** A new, listening transport. */
  create(id: string, options?: HarnessOptions): Promise<Transport>;
  /** An address where nothing listens. */
  deadAddress(): Promise<PeerAddress>;
  /** Closes everything created (transports may already be closed). */
  cleanup(): Promise<void>;
}

const PING = 100;
const PONG = 101;
const NOTE = 102;

function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  return assert.rejects(p, (e) => {
    assert.ok(isSessionMeshError(e), `not a SessionMeshError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

function echo(t: Transport): void {
  t.onMessage((m) => {
    if (m.type === PING) m.reply?.(PONG, m.body);
  });
}

export function transportContract(name: string, makeHarness: () => Harness): void {
  describe(`${name}: transport contract`, () => {
    let h: Harness;
    beforeEach(() => {
      h = makeHarness();
    });
    afterEach(() => h.cleanup());

    async function pair(options?: HarnessOptions) {
      const a = await h.create('member-a', options);
      const b = await h.create('member-b', options);
      return { a, b, pa: new Probe(a), pb: new Probe(b) };
    }

    it('delivers one-way messages with the sender identity, and reports connected on both sides', async () => {
      const { a, b, pa, pb } = await pair();
      a.send({ address: b.self.address }, NOTE, { hello: 'world', n: [1, 2], bin: Buffer.from([1]), at: new Date(5) });
      const [m] = await pb.messagesOf(1);
      assert.equal(m!.type, NOTE);
      assert.deepEqual(m!.body, { hello: 'world', n: [1, 2], bin: Buffer.from([1]), at: new Date(5) });
      assert.equal(m!.from.id, a.self.id);
      assert.deepEqual(m!.from.address, a.self.address);
      assert.equal(m!.reply, undefined);
      assert.equal((await pa.event('connected')).peer.id, b.self.id);
      assert.equal((await pb.event('connected')).peer.id, a.self.id);
      assert.deepEqual(a.connectedPeers().map((p) => p.id), [b.self.id]);
      assert.deepEqual(b.connectedPeers().map((p) => p.id), [a.self.id]);
    });

    it('answers requests, by address and by id', async () => {
      const { a, b } = await pair();
      echo(b);
      const r = await a.request({ address: b.self.address }, PING, { q: 1 }, 2000);
      assert.deepEqual(r, { type: PONG, body: { q: 1 } });
      const r2 = await a.request({ id: b.self.id, address: b.self.address }, PING, 'again', 2000);
      assert.equal(r2.body, 'again');
    });

    it('connects three members that all talk to each other', async () => {
      const ts = [await h.create('m1'), await h.create('m2'), await h.create('m3')];
      const probes = ts.map((t) => new Probe(t));
      ts.forEach(echo);
      for (const from of ts) for (const to of ts) if (from !== to) from.send({ address: to.self.address }, NOTE, from.self.id);
      const replies = await Promise.all(ts.flatMap((from) => ts.filter((to) => to !== from).map((to) => from.request({ address: to.self.address }, PING, to.self.id, 2000))));
      assert.equal(replies.length, 6);
      for (const p of probes) {
        const got = await p.messagesOf(2, NOTE);
        assert.equal(new Set(got.map((m) => m.body)).size, 2);
      }
      for (const t of ts) assert.equal(t.connectedPeers().length, 2);
    });

    it('pipelines 1000 concurrent requests and matches responses that come back out of order', async () => {
      const { a, b } = await pair();
      const held: Array<() => void> = [];
      b.onMessage((m) => {
        held.push(() => m.reply!(PONG, { echo: m.body }));
        if (held.length === 1000) for (const r of held.reverse()) r();
      });
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => a.request({ address: b.self.address }, PING, i, 5000)));
      results.forEach((r, i) => assert.deepEqual(r.body, { echo: i }));
    });

    it('keeps the order of messages between a pair', async () => {
      const { a, b, pb } = await pair();
      for (let i = 0; i < 300; i++) a.send({ address: b.self.address }, NOTE, i);
      const got = await pb.messagesOf(300);
      assert.deepEqual(got.map((m) => m.body), Array.from({ length: 300 }, (_, i) => i));
    });

    it('times out a request that gets no answer', async () => {
      const { a, b } = await pair();
      const started = Date.now();
      await rejectsWith(a.request({ address: b.self.address }, PING, null, 50), 'ERR_TIMEOUT');
      assert.ok(Date.now() - started >= 45);
    });

    it('rejects with the code given to replyError, and refuses bad codes and double replies', async () => {
      const { a, b } = await pair();
      const problems: unknown[] = [];
      b.onMessage((m) => {
        if (m.body === 'bad-code') {
          try {
            m.replyError!('not a code!', 'x');
          } catch (e) {
            problems.push(e);
          }
          try {
            m.replyError!('E'.repeat(65), 'x');
          } catch (e) {
            problems.push(e);
          }
          m.replyError!('ERR_TEST_FAILURE', 'as told');
          return;
        }
        m.replyError!('ERR_NOT_PRIMARY', 'ask the other one');
        try {
          m.reply!(PONG, 'twice');
        } catch (e) {
          problems.push(e);
        }
      });
      const err = await a.request({ address: b.self.address }, PING, 'x', 2000).catch((e: unknown) => e);
      assert.ok(isSessionMeshError(err, 'ERR_NOT_PRIMARY'));
      assert.equal(err.message, 'ask the other one');
      await rejectsWith(a.request({ address: b.self.address }, PING, 'bad-code', 2000), 'ERR_TEST_FAILURE');
      assert.equal(problems.length, 3);
      for (const p of problems) assert.ok(isSessionMeshError(p, 'ERR_INVALID_VALUE'));
    });

    it('rejects pending requests with ERR_CONNECTION and reports disconnected when the peer closes', async () => {
      const { a, b, pa } = await pair();
      let arrived!: () => void;
      const requestArrived = new Promise<void>((r) => (arrived = r));
      b.onMessage(() => arrived());
      const pending = rejectsWith(a.request({ address: b.self.address }, PING, null, 10_000), 'ERR_CONNECTION');
      await requestArrived;
      await b.close();
      await pending;
      const d = await pa.event('disconnected');
      assert.equal(d.peer.id, b.self.id);
      assert.ok(d.reason.length > 0);
      assert.deepEqual(a.connectedPeers(), []);
    });

    it('close() rejects its own pending requests with ERR_CLOSED and then refuses to work', async () => {
      const { a, b } = await pair();
      await a.request({ address: b.self.address }, PING, null, 50).catch(() => {}); // connect
      const pending = rejectsWith(a.request({ address: b.self.address }, PING, null, 10_000), 'ERR_CLOSED');
      await a.close();
      await pending;
      await rejectsWith(a.request({ address: b.self.address }, PING, null, 1000), 'ERR_CLOSED');
      assert.doesNotThrow(() => a.send({ address: b.self.address }, NOTE, 1));
      await a.close(); // idempotent
    });

    it('reports unreachable for nobody listening, and rejects requests with ERR_CONNECTION', async () => {
      const { a, pa } = await pair();
      const dead = await h.deadAddress();
      a.send({ id: 'whoever', address: dead }, NOTE, 1);
      const u = await pa.event('unreachable');
      assert.deepEqual(u.target, { id: 'whoever', address: dead });
      assert.ok(u.code.startsWith('ERR_'));
      await rejectsWith(a.request({ address: dead }, PING, null, 2000), 'ERR_CONNECTION');
    });

    it('reports unreachable when another member answers where an expected one was', async () => {
      const { a, b, pa } = await pair();
      // Not connected yet, then connected: both must notice.
      a.send({ id: 'ghost-1', address: b.self.address }, NOTE, 1);
      assert.match((await pa.event('unreachable', (e) => e.target.id === 'ghost-1')).reason, /gone/);
      echo(b);
      await a.request({ address: b.self.address }, PING, null, 2000);
      a.send({ id: 'ghost-2', address: b.self.address }, NOTE, 1);
      assert.match((await pa.event('unreachable', (e) => e.target.id === 'ghost-2')).reason, /gone/);
      await rejectsWith(a.request({ id: 'ghost-3', address: b.self.address }, PING, null, 2000), 'ERR_CONNECTION');
    });

    it('reports unreachable for a send to itself', async () => {
      const { a, pa } = await pair();
      a.send({ address: a.self.address }, NOTE, 1);
      assert.match((await pa.event('unreachable')).reason, /this member/);
    });

    it('refuses non-plain bodies and bad message types at the sender', async () => {
      const { a, b } = await pair();
      const to = { address: b.self.address };
      assert.throws(() => a.send(to, NOTE, new Map()), (e) => isSessionMeshError(e, 'ERR_INVALID_VALUE'));
      assert.throws(() => a.send(to, NOTE, { f: () => 1 }), (e) => isSessionMeshError(e, 'ERR_INVALID_VALUE'));
      assert.throws(() => a.send(to, 1, {}), (e) => isSessionMeshError(e, 'ERR_INVALID_VALUE'), 'handshake types are not for applications');
      assert.throws(() => a.send(to, 70000, {}), (e) => isSessionMeshError(e, 'ERR_INVALID_VALUE'));
      await rejectsWith(a.request(to, PING, new Set(), 1000), 'ERR_INVALID_VALUE');
      await rejectsWith(a.request(to, PING, null, -1), 'ERR_CONFIG');
    });

    it('carries a large body and refuses one over maxFrameBytes', async () => {
      const { a, b } = await pair({ maxFrameBytes: 2 * 1024 * 1024 });
      echo(b);
      const big = Buffer.alloc(1_500_000, 7);
      const r = await a.request({ address: b.self.address }, PING, { big }, 5000);
      assert.ok(Buffer.from((r.body as { big: Buffer }).big).equals(big));
      assert.throws(() => a.send({ address: b.self.address }, NOTE, Buffer.alloc(2 * 1024 * 1024)), (e) => isSessionMeshError(e, 'ERR_FRAME_TOO_LARGE'));
      await rejectsWith(a.request({ address: b.self.address }, PING, Buffer.alloc(2 * 1024 * 1024), 1000), 'ERR_FRAME_TOO_LARGE');
    });

    it('bounds requests in flight per peer (ERR_BACKPRESSURE)', async () => {
      const { a, b } = await pair({ maxInFlightRequests: 5 });
      const held: Array<() => void> = [];
      b.onMessage((m) => held.push(() => m.reply!(PONG, null)));
      const first = Array.from({ length: 5 }, () => a.request({ address: b.self.address }, PING, null, 5000));
      await rejectsWith(a.request({ address: b.self.address }, PING, null, 5000), 'ERR_BACKPRESSURE');
      await new Probe(b).until(() => (held.length === 5 ? true : undefined), 'requests to arrive');
      held.forEach((r) => r());
      await Promise.all(first);
    });

    it('hands out copies: mutating a sent body does not change what arrives', async () => {
      const { a, b, pb } = await pair();
      const body = { list: [1, 2, 3] };
      a.send({ address: b.self.address }, NOTE, body);
      body.list.push(4);
      const [m] = await pb.messagesOf(1);
      assert.deepEqual(m!.body, { list: [1, 2, 3] });
    });
  });
}
