/**
 * SessionMeshStore inside a real express-session, on an in-memory node: how the answer reaches
 * the socket when a request only touches its session.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import { SessionMeshStore } from '../../../../src/adapters/express/store.js';
import { FakeSessions, fakeNode } from '../../../helpers/fake-sessions.js';

/** FakeSessions whose touches wait until released (or fail), like a touch crossing the network. */
class SlowTouchSessions extends FakeSessions {
  readonly pending: Array<{ resolve: (v: boolean) => void; reject: (e: Error) => void }> = [];
  override touch(id: string): Promise<boolean> {
    this.calls.push('touch');
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
}

async function app(sessions: FakeSessions) {
  const { node } = fakeNode(sessions);
  // touchIntervalMs 0: every touch goes to the (slow) cluster instead of being coalesced away.
  const store = new SessionMeshStore({ node, touchIntervalMs: 0 });
  const writes: number[] = [];
  const a = express();
  // Before express-session, which keeps the res.write it finds: counts the answers that were
  // written in more than one piece (express-session's split around a pending save or touch).
  a.use((req, res, next) => {
    const write = res.write;
    let n = 0;
    res.write = function (this: typeof res, ...args: unknown[]) {
      n++;
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof res.write;
    res.on('finish', () => writes.push(n));
    next();
  });
  a.use(session({ store, genid: store.genid, secret: 'test secret', resave: false, saveUninitialized: false }));
  a.post('/count', (req, res, next) => {
    const s = req.session as unknown as { count?: number };
    s.count = (s.count ?? 0) + 1;
    req.session.save((err) => (err ? next(err) : res.json({ count: s.count })));
  });
  a.get('/read', (req, res) => res.json({ count: (req.session as unknown as { count?: number }).count ?? 0 }));
  const server = http.createServer(a);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, store, writes, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('SessionMeshStore (express-session)', () => {
  const servers: http.Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  it('answers a touching request in one piece, without waiting for the touch', { timeout: 10_000 }, async () => {
    const sessions = new SlowTouchSessions();
    const { server, store, writes, url } = await app(sessions);
    servers.push(server);
    let res = await fetch(`${url}/count`, { method: 'POST' });
    assert.deepEqual(await res.json(), { count: 1 });
    const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
    // Saved before answering, then touched by express-session at the end: the touch is pending
    // (nobody released it), yet the answer is complete and was not split.
    res = await fetch(`${url}/count`, { method: 'POST', headers: { cookie } });
    assert.deepEqual(await res.json(), { count: 2 });
    res = await fetch(`${url}/read`, { headers: { cookie } });
    assert.deepEqual(await res.json(), { count: 2 });
    assert.equal(sessions.pending.length, 1, `one shared touch pending: ${sessions.pending.length}`);
    assert.deepEqual(writes, [0, 0, 0], 'every answer went out whole through res.end');
    // A touch that fails later is counted, never thrown into the app.
    for (const p of sessions.pending.splice(0)) p.reject(new Error('primary unreachable'));
    await new Promise((r) => setImmediate(r));
    // Two requests touched; the second shared the first's operation, and both count its failure.
    assert.equal(store.stats().touchesFailed, 2);
  });

  it('still stores a changed cookie lifetime on touch, and waits for it', async () => {
    const sessions = new FakeSessions();
    const { node } = fakeNode(sessions);
    const store = new SessionMeshStore({ node });
    await new Promise<void>((resolve, reject) => store.set('s1', { cookie: { originalMaxAge: 1000 } } as never, (e) => (e ? reject(e) : resolve())));
    await new Promise<void>((resolve, reject) => store.get('s1', (e) => (e ? reject(e) : resolve())));
    let called = false;
    store.touch('s1', { cookie: { originalMaxAge: 5000 } } as never, () => (called = true));
    assert.equal(called, false, 'a real write is awaited');
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(called, true);
    assert.equal(sessions.map.get('s1')?.maxIdleMs, 5000);
  });

  it('answers a get on the primary in the same tick, and asks the cluster otherwise', async () => {
    const sessions = new FakeSessions();
    const { node } = fakeNode(sessions);
    const store = new SessionMeshStore({ node });
    const data = () => ({ cookie: { originalMaxAge: 60_000 }, count: 3 });
    await new Promise<void>((resolve, reject) => store.set('local-1', data() as never, (e) => (e ? reject(e) : resolve())));
    await new Promise<void>((resolve, reject) => store.set('remote-1', data() as never, (e) => (e ? reject(e) : resolve())));
    sessions.primaryOf.add('local-1');
    sessions.primaryOf.add('gone-1');

    let got: unknown = 'not yet';
    store.get('local-1', (err, sess) => (got = err ?? sess));
    assert.equal((got as { count?: number }).count, 3, 'called back before get returned');
    assert.ok((got as { cookie: { expires: Date } }).cookie.expires instanceof Date);

    got = 'not yet';
    store.get('gone-1', (err, sess) => (got = err ?? sess));
    assert.equal(got, null, 'a session missing on its primary is null at once');

    got = 'not yet';
    const remote = new Promise<void>((resolve) =>
      store.get('remote-1', (err, sess) => {
        got = err ?? sess;
        resolve();
      }),
    );
    assert.equal(got, 'not yet', 'a session whose primary is elsewhere is answered later');
    await remote;
    assert.equal((got as { count?: number }).count, 3);
    assert.deepEqual(sessions.calls.filter((c) => c.startsWith('get')), ['getLocal', 'getLocal', 'get']);

    // The locally loaded session saves as a diff against what it loaded, like any other.
    const s = got as unknown as { count: number };
    s.count = 4;
    await new Promise<void>((resolve, reject) => store.set('remote-1', s as never, (e) => (e ? reject(e) : resolve())));
    assert.deepEqual(sessions.updates.at(-1), { set: { count: 4 } });
  });
});
