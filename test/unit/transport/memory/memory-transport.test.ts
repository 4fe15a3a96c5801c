import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSessionMeshError } from '../../../../src/errors.js';
import { MemoryNetwork } from '../../../../src/transport/memory/memory-network.js';
import type { MemoryTransport } from '../../../../src/transport/memory/memory-transport.js';
import { transportContract, type Harness } from '../contract.js';
import { Probe } from '../probe.js';

const PING = 100;
const PONG = 101;
const NOTE = 102;

function makeHarness(network = new MemoryNetwork()): Harness & { network: MemoryNetwork } {
  const created: MemoryTransport[] = [];
  return {
    network,
    async create(id, options = {}) {
      const t = network.createTransport({ id, name: id, address: { host: '10.0.0.1', port: 0 }, ...options });
      created.push(t);
      await t.listen();
      return t;
    },
    async deadAddress() {
      return { host: '10.9.9.9', port: 1 };
    },
    async cleanup() {
      await Promise.all(created.map((t) => t.close()));
    },
  };
}

function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  return assert.rejects(p, (e) => isSessionMeshError(e) && e.code === code);
}

transportContract('memory', () => makeHarness());

describe('memory network', () => {
  let h = makeHarness();
  afterEach(async () => {
    await h.cleanup();
    h = makeHarness();
  });

  async function trio() {
    const [a, b, c] = [await h.create('a'), await h.create('b'), await h.create('c')];
    for (const t of [a, b, c]) t.onMessage((m) => m.type === PING && m.reply?.(PONG, t.self.id));
    await Promise.all([a.request({ address: b.self.address }, PING, null, 1000), a.request({ address: c.self.address }, PING, null, 1000), b.request({ address: c.self.address }, PING, null, 1000)]);
    return { a, b, c, pa: new Probe(a), pb: new Probe(b), pc: new Probe(c) };
  }

  it('partition disconnects across the cut, fails sends and requests; heal restores', async () => {
    const { a, b, c, pa, pc } = await trio();
    const held = rejectsCode(a.request({ address: c.self.address }, NOTE, null, 5000), 'ERR_CONNECTION'); // c never answers NOTE requests
    h.network.partition(['a', 'b'], ['c']);
    await held;
    assert.equal((await pa.event('disconnected')).peer.id, 'c');
    assert.equal((await pc.event('disconnected', (e) => e.peer.id === 'a')).reason, 'network partition');
    a.send({ address: c.self.address }, NOTE, 1);
    assert.match((await pa.event('unreachable')).reason, /partition/);
    await rejectsCode(a.request({ address: c.self.address }, PING, null, 1000), 'ERR_CONNECTION');
    assert.equal((await a.request({ address: b.self.address }, PING, null, 1000)).body, 'b', 'same side still talks');
    h.network.heal();
    assert.equal((await a.request({ address: c.self.address }, PING, null, 1000)).body, 'c');
    await pa.event('connected', (e) => e.peer.id === 'c'); // the probe was made after the first connect: this is the new link
  });

  it('crash: peers get disconnected, sends become unreachable, the address can be reused', async () => {
    const { a, c, pa } = await trio();
    const pending = rejectsCode(c.request({ address: a.self.address }, NOTE, null, 5000), 'ERR_CLOSED');
    h.network.crash('c');
    await pending;
    assert.equal((await pa.event('disconnected', (e) => e.peer.id === 'c')).reason, 'connection reset: peer crashed');
    a.send({ id: 'c', address: c.self.address }, NOTE, 1);
    await pa.event('unreachable');
    const restarted = h.network.createTransport({ id: 'c2', name: 'c', address: c.self.address });
    await restarted.listen();
    restarted.onMessage((m) => m.reply?.(PONG, 'new'));
    await rejectsCode(a.request({ id: 'c', address: c.self.address }, PING, null, 1000), 'ERR_CONNECTION');
    assert.equal((await a.request({ address: c.self.address }, PING, null, 1000)).body, 'new');
    await restarted.close();
  });

  it('drops messages on a link when told to, in one direction only', async () => {
    const { a, b, pa, pb } = await trio();
    h.network.setLinkDrop('a', 'b', 1);
    a.send({ address: b.self.address }, NOTE, 'lost');
    await rejectsCode(a.request({ address: b.self.address }, PING, null, 50), 'ERR_TIMEOUT');
    b.send({ address: a.self.address }, NOTE, 'b to a');
    assert.equal((await pa.messagesOf(1, NOTE))[0]!.body, 'b to a', 'the other direction still works');
    h.network.setLinkDrop('a', 'b', 0);
    a.send({ address: b.self.address }, NOTE, 'kept');
    const [m] = await pb.messagesOf(1, NOTE);
    assert.equal(m!.body, 'kept');
    assert.throws(() => h.network.setLinkDrop('a', 'b', 2), (e) => isSessionMeshError(e, 'ERR_CONFIG'));
  });

  it('refuses two live members with one id, and two listeners on one address', async () => {
    const a = await h.create('a');
    assert.throws(() => h.network.createTransport({ id: 'a', name: 'a', address: { host: '10.0.0.1', port: 0 } }), (e) => isSessionMeshError(e, 'ERR_CONFIG'));
    const other = h.network.createTransport({ id: 'z', name: 'z', address: a.self.address });
    await assert.rejects(other.listen(), (e) => isSessionMeshError(e, 'ERR_CONFIG'));
    await other.close();
  });
});
