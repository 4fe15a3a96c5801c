import { PROTOCOL_VERSION } from '../../../src/wire/version.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../src/clock/clock.js';
import {
  computeProof,
  DialerHandshake,
  handshakeKey,
  ListenerHandshake,
  type HandshakeConfig,
  type HandshakeMessage,
  type HandshakeResult,
} from '../../../src/transport/handshake.js';
import { decodeBody, encodeBody } from '../../../src/wire/codec.js';
import { MessageType } from '../../../src/wire/message-types.js';

let seed = 1;
function config(id: string, over: Partial<HandshakeConfig> = {}): HandshakeConfig {
  return {
    self: { id, name: `name-${id}`, address: { host: '10.0.0.1', port: 7000 + id.length } },
    cluster: 'prod',
    secret: 's3cret-s3cret',
    random: new SeededRandom(seed++),
    ...over,
  };
}

/** What crosses the wire: through the real codec, so types are what a peer would see. */
function wire(m: HandshakeMessage): { type: number; body: unknown } {
  return { type: m.type, body: decodeBody(encodeBody(m.body)) };
}

function ok(r: HandshakeResult): Extract<HandshakeResult, { ok: true }> {
  assert.ok(r.ok, r.ok ? '' : `${r.code}: ${r.reason}`);
  return r;
}

function failed(r: HandshakeResult, code: string): Extract<HandshakeResult, { ok: false }> {
  assert.equal(r.ok, false);
  assert.equal((r as { code: string }).code, code, (r as { reason?: string }).reason);
  return r as Extract<HandshakeResult, { ok: false }>;
}

/** Runs a full exchange; returns each step's result. */
function run(d: DialerHandshake, l: ListenerHandshake) {
  const hello = wire(d.start());
  const r1 = l.receive(hello.type, hello.body);
  if (!r1.ok) return { r1 };
  const ack = wire(r1.send!);
  const r2 = d.receive(ack.type, ack.body);
  if (!r2.ok) return { r1, r2 };
  const auth = wire(r2.send!);
  const r3 = l.receive(auth.type, auth.body);
  if (!r3.ok) return { r1, r2, r3 };
  const authOk = wire(r3.send!);
  const r4 = d.receive(authOk.type, authOk.body);
  return { r1, r2, r3, r4 };
}

describe('handshake', () => {
  it('authenticates both sides and reports verified identities', () => {
    const dc = config('dialer');
    const lc = config('listener');
    const { r1, r2, r3, r4 } = run(new DialerHandshake(dc), new ListenerHandshake(lc));
    assert.equal(ok(r1).authenticated, false);
    assert.equal(r1.send!.type, MessageType.HelloAck);
    assert.deepEqual(ok(r2!).peer, lc.self);
    assert.equal(ok(r2!).send!.type, MessageType.Auth);
    assert.equal(ok(r3!).authenticated, true);
    assert.deepEqual(ok(r3!).peer, dc.self);
    assert.equal(ok(r3!).send!.type, MessageType.AuthOk);
    assert.equal(ok(r4!).authenticated, true);
    assert.deepEqual(ok(r4!).peer, lc.self);
  });

  it('works in insecure mode on both sides', () => {
    const { r4 } = run(new DialerHandshake(config('a', { secret: null })), new ListenerHandshake(config('b', { secret: null })));
    assert.equal(ok(r4!).authenticated, true);
  });

  it('never puts the secret on the wire', () => {
    const d = new DialerHandshake(config('dialer'));
    const l = new ListenerHandshake(config('listener'));
    const hello = d.start();
    const r1 = ok(l.receive(hello.type, wire(hello).body));
    const all = Buffer.concat([encodeBody(hello.body), encodeBody(r1.send!.body)]);
    assert.equal(all.includes(Buffer.from('s3cret')), false);
  });

  it('refuses a wrong secret, detected by whichever side checks first, and tells the peer', () => {
    // Dialer has the wrong secret: it cannot verify the listener's proof.
    const a = run(new DialerHandshake(config('d', { secret: 'other-secret' })), new ListenerHandshake(config('l')));
    const f = failed(a.r2!, 'ERR_AUTH');
    assert.equal(f.send?.type, MessageType.ErrorReply);
    // The listener, told about it, fails with the same code and sends nothing back.
    const l = new ListenerHandshake(config('l2'));
    const d = new DialerHandshake(config('d2', { secret: 'other' }));
    const hello = wire(d.start());
    const ack = wire(ok(l.receive(hello.type, hello.body)).send!);
    const notice = wire(failed(d.receive(ack.type, ack.body), 'ERR_AUTH').send!);
    const back = failed(l.receive(notice.type, notice.body), 'ERR_AUTH');
    assert.equal(back.send, undefined);
  });

  it('refuses a dialer that forges its proof (listener side)', () => {
    const d = new DialerHandshake(config('d'));
    const l = new ListenerHandshake(config('l'));
    const hello = wire(d.start());
    ok(l.receive(hello.type, hello.body));
    failed(l.receive(MessageType.Auth, { proof: Buffer.alloc(32, 7) }), 'ERR_AUTH');
  });

  it('refuses a replayed Auth and a proof made for another pair or direction', () => {
    const dc = config('d');
    const lc = config('l');
    // Record a genuine session.
    const d1 = new DialerHandshake(dc);
    const l1 = new ListenerHandshake(lc);
    const hello1 = wire(d1.start());
    const ack1 = wire(ok(l1.receive(hello1.type, hello1.body)).send!);
    const auth1 = wire(ok(d1.receive(ack1.type, ack1.body)).send!);
    ok(l1.receive(auth1.type, auth1.body));
    // Replay the same Hello and Auth to a fresh listener: its new nonce makes the old proof worthless.
    const l2 = new ListenerHandshake(lc);
    ok(l2.receive(hello1.type, hello1.body));
    failed(l2.receive(auth1.type, auth1.body), 'ERR_AUTH');
    // Reflect the listener's own proof back as the dialer's: the role label differs.
    const l3 = new ListenerHandshake(config('l'));
    const ack3 = ok(l3.receive(hello1.type, hello1.body)).send!;
    failed(l3.receive(MessageType.Auth, { proof: (ack3.body as { proof: Uint8Array }).proof }), 'ERR_AUTH');
    // A proof computed for another dialer id does not verify.
    const key = handshakeKey(lc.secret);
    const l4 = new ListenerHandshake(lc);
    const hello4 = wire(new DialerHandshake(dc).start());
    const ack4 = ok(l4.receive(hello4.type, hello4.body)).send!.body as { nonce: Uint8Array };
    const foreign = computeProof(key, 'dialer', 'prod', (hello4.body as { nonce: Uint8Array }).nonce, ack4.nonce, 'l', 'someone-else');
    failed(l4.receive(MessageType.Auth, { proof: foreign }), 'ERR_AUTH');
  });

  it('refuses a wrong cluster and a wrong version, in both directions', () => {
    failed(run(new DialerHandshake(config('d', { cluster: 'staging' })), new ListenerHandshake(config('l'))).r1, 'ERR_WRONG_CLUSTER');
    const d = new DialerHandshake(config('d'));
    const hello = wire(d.start());
    const l = new ListenerHandshake(config('l'));
    const r = failed(l.receive(hello.type, { ...(hello.body as object), version: PROTOCOL_VERSION + 1 }), 'ERR_PROTOCOL_VERSION');
    assert.equal(r.send?.type, MessageType.ErrorReply);
    assert.doesNotMatch(JSON.stringify((r.send!.body as { message: string }).message), /prod/, 'our cluster name is not revealed');
    // Dialer side: a HelloAck from another cluster / version.
    const l2 = new ListenerHandshake(config('l2', { cluster: 'other' }));
    const d2 = new DialerHandshake(config('d2', { cluster: 'other' }));
    const ack = wire(ok(l2.receive(...(Object.values(wire(d2.start())) as [number, unknown]))).send!);
    const d3 = new DialerHandshake(config('d3'));
    d3.start();
    failed(d3.receive(ack.type, ack.body), 'ERR_WRONG_CLUSTER');
    const d4 = new DialerHandshake(config('d4', { cluster: 'other' }));
    d4.start();
    failed(d4.receive(ack.type, { ...(ack.body as object), version: 9 }), 'ERR_PROTOCOL_VERSION');
  });

  it('refuses insecure vs secured members with ERR_AUTH', () => {
    const a = failed(run(new DialerHandshake(config('d', { secret: null })), new ListenerHandshake(config('l'))).r1, 'ERR_AUTH');
    assert.match(a.reason, /insecure/);
    failed(run(new DialerHandshake(config('d')), new ListenerHandshake(config('l', { secret: null }))).r1, 'ERR_AUTH');
    // Dialer side: a HelloAck from an insecure listener reaches a secured dialer.
    const insecureAck = wire(ok(new ListenerHandshake(config('l', { secret: null })).receive(...(Object.values(wire(new DialerHandshake(config('x', { secret: null })).start())) as [number, unknown]))).send!);
    const d = new DialerHandshake(config('d'));
    d.start();
    assert.match(failed(d.receive(insecureAck.type, insecureAck.body), 'ERR_AUTH').reason, /insecure/);
  });

  it('validates every Hello field', () => {
    const base = wire(new DialerHandshake(config('d')).start()).body as Record<string, unknown>;
    const variants: Array<Record<string, unknown> | unknown> = [
      null,
      [],
      'hello',
      { ...base, version: '1' },
      { ...base, version: 1.5 },
      { ...base, cluster: 5 },
      { ...base, cluster: '' },
      { ...base, id: '' },
      { ...base, id: 'x'.repeat(129) },
      { ...base, id: 'has space' },
      { ...base, id: 42 },
      { ...base, name: 'n'.repeat(257) },
      { ...base, name: null },
      { ...base, address: null },
      { ...base, address: { host: '', port: 1 } },
      { ...base, address: { host: 'h', port: 0 } },
      { ...base, address: { host: 'h', port: 70000 } },
      { ...base, address: { host: 'h', port: 1.5 } },
      { ...base, address: { host: 'h'.repeat(256), port: 1 } },
      { ...base, secure: 'yes' },
      { ...base, nonce: Buffer.alloc(31) },
      { ...base, nonce: Buffer.alloc(33) },
      { ...base, nonce: 'x'.repeat(32) },
      { ...base, nonce: undefined },
    ];
    for (const body of variants) {
      const l = new ListenerHandshake(config('l'));
      const r = failed(l.receive(MessageType.Hello, body), 'ERR_BAD_FRAME');
      assert.ok(r.reason.length > 0);
    }
  });

  it('validates HelloAck, Auth and AuthOk, and enforces the order of messages', () => {
    const d = new DialerHandshake(config('d'));
    const hello = wire(d.start());
    const l = new ListenerHandshake(config('l'));
    const ack = wire(ok(l.receive(hello.type, hello.body)).send!);
    const ackBody = ack.body as Record<string, unknown>;
    for (const proof of [undefined, Buffer.alloc(31), 'p']) {
      const d2 = new DialerHandshake(config('d'));
      d2.start();
      failed(d2.receive(MessageType.HelloAck, { ...ackBody, proof }), 'ERR_BAD_FRAME');
    }
    failed(new ListenerHandshake(config('l')).receive(MessageType.Auth, { proof: Buffer.alloc(32) }), 'ERR_BAD_FRAME'); // Auth before Hello
    const l2 = new ListenerHandshake(config('l'));
    ok(l2.receive(hello.type, hello.body));
    failed(l2.receive(MessageType.Auth, { proof: Buffer.alloc(16) }), 'ERR_BAD_FRAME');
    const d3 = new DialerHandshake(config('d'));
    d3.start();
    failed(d3.receive(MessageType.AuthOk, {}), 'ERR_BAD_FRAME'); // AuthOk before HelloAck
    // A failed machine stays failed.
    failed(d3.receive(ack.type, ack.body), 'ERR_BAD_FRAME');
  });

  it('refuses a peer that claims our own id', () => {
    const lc = config('same');
    const d = new DialerHandshake({ ...config('x'), self: lc.self });
    const hello = wire(d.start());
    failed(new ListenerHandshake(lc).receive(hello.type, hello.body), 'ERR_CONNECTION');
  });

  it('maps an unknown refusal code from the peer to ERR_CONNECTION', () => {
    const d = new DialerHandshake(config('d'));
    d.start();
    const r = failed(d.receive(MessageType.ErrorReply, { code: 'ERR_WHATEVER', message: 'm'.repeat(10_000) }), 'ERR_CONNECTION');
    assert.ok(r.reason.length < 300);
  });
});
