/**
 * The framework-independent store logic against an in-memory NodeSessionsApi: what a save sends,
 * that a destroyed session is never re-created, touch coalescing, the local size check.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StoreCore } from '../../../src/adapters/common/store-core.js';
import { TouchCoalescer } from '../../../src/adapters/common/touch-coalescer.js';
import { SessionMeshError } from '../../../src/errors.js';
import { fakeNode } from '../../helpers/fake-sessions.js';

const ID = 'abcdefghijklmnopqrstuvwxyz';

describe('adapters: StoreCore', () => {
  it('a new session is created with the framework id and its lifetime', async () => {
    const { node, sessions } = fakeNode();
    const core = new StoreCore({ node }, 'cookie');
    const r = await core.save(ID, null, { n: 1, cookie: { originalMaxAge: 5000 } }, 5000);
    assert.equal(r.outcome, 'created');
    assert.equal(sessions.map.get(ID)?.maxIdleMs, 5000);
  });

  it('two requests that loaded the same session and changed different attributes both survive', async () => {
    const { node, sessions } = fakeNode();
    const core = new StoreCore({ node }, 'cookie');
    await sessions.create({ id: ID, data: { a: 0, b: 0, keep: 'x' } });
    const r1 = (await core.load(ID))!;
    const r2 = (await core.load(ID))!;
    await core.save(ID, r1.base, { ...r1.data, a: 1 }, undefined);
    await core.save(ID, r2.base, { ...r2.data, b: 2 }, undefined);
    assert.deepEqual(sessions.map.get(ID)?.data, { a: 1, b: 2, keep: 'x' });
    assert.deepEqual(sessions.updates, [{ set: { a: 1 } }, { set: { b: 2 } }], 'only the changed attribute is sent, no lifetime');
  });

  it('a save of a session destroyed meanwhile is dropped, never a re-creation', async () => {
    const { node, sessions } = fakeNode();
    const core = new StoreCore({ node }, 'cookie');
    await sessions.create({ id: ID, data: { user: 'ann' } });
    const slow = (await core.load(ID))!;
    await core.destroy(ID);
    const r = await core.save(ID, slow.base, { ...slow.data, cart: ['x'] }, undefined);
    assert.equal(r.outcome, 'gone');
    assert.equal(sessions.map.has(ID), false);
    const unchanged = await core.save(ID, slow.base, slow.data, undefined);
    assert.equal(unchanged.outcome, 'gone', 'an unchanged save (a touch) does not re-create either');
    assert.equal(sessions.map.has(ID), false);
    assert.ok(!sessions.calls.slice(1).includes('create'));
  });

  it('an unchanged save is a touch, skipped right after the load refreshed the idle clock', async () => {
    const { node, sessions } = fakeNode();
    const core = new StoreCore({ node, touchIntervalMs: 60_000 }, 'cookie');
    await sessions.create({ id: ID, data: { a: 1 } });
    const r = (await core.load(ID))!;
    sessions.calls.length = 0;
    assert.equal((await core.save(ID, r.base, { a: 1 }, undefined)).outcome, 'touched');
    assert.equal(await core.touch(ID), true);
    assert.deepEqual(sessions.calls, [], 'no operation reached the cluster');
  });

  it('a lifetime change is sent with the attribute that carries it', async () => {
    const { node, sessions } = fakeNode();
    const core = new StoreCore({ node }, 'cookie');
    await sessions.create({ id: ID, data: { cookie: { originalMaxAge: 1000 } } });
    const r = (await core.load(ID))!;
    await core.save(ID, r.base, { cookie: { originalMaxAge: 86_400_000 } }, 86_400_000);
    assert.deepEqual(sessions.updates, [{ set: { cookie: { originalMaxAge: 86_400_000 } }, maxIdleMs: 86_400_000 }]);
  });

  it('a change over maxSessionBytes is refused locally with ERR_SESSION_TOO_LARGE', async () => {
    const { node, sessions } = fakeNode(undefined, 1000);
    const core = new StoreCore({ node }, 'cookie');
    await assert.rejects(core.save(ID, null, { big: 'x'.repeat(2000) }, undefined), (e: unknown) => e instanceof SessionMeshError && e.code === 'ERR_SESSION_TOO_LARGE');
    assert.deepEqual(sessions.calls, []);
    // An object over the limit too (scalars are bounded without encoding, objects are encoded).
    await assert.rejects(core.save(ID, null, { cart: { items: ['y'.repeat(1200)] } }, undefined), (e: unknown) => e instanceof SessionMeshError && e.code === 'ERR_SESSION_TOO_LARGE');
    assert.deepEqual(sessions.calls, []);
  });

  it('a change whose cheap size bound is over maxSessionBytes but whose encoding fits is sent', async () => {
    const { node, sessions } = fakeNode(undefined, 1000);
    const core = new StoreCore({ node }, 'cookie');
    // 400 characters: bounded at 1 205 bytes (3 per character), encoded in 403.
    await core.save(ID, null, { note: 'x'.repeat(400), n: 1 }, undefined);
    assert.deepEqual(sessions.calls, ['create']);
  });

  it('lists, reads and clears through the cluster listing', async () => {
    const { node, sessions } = fakeNode();
    const core = new StoreCore({ node }, 'cookie');
    for (let i = 0; i < 40; i++) await sessions.create({ id: `${ID}${i}`, data: { i } });
    assert.equal((await core.ids()).length, 40);
    const all = await core.all();
    assert.equal(all.size, 40);
    assert.deepEqual(all.get(`${ID}7`), { i: 7 });
    await core.clear();
    assert.equal(sessions.map.size, 0);
  });

  it('refuses a missing node with ERR_CONFIG', () => {
    assert.throws(() => new StoreCore({} as never, 'cookie'), (e: unknown) => e instanceof SessionMeshError && e.code === 'ERR_CONFIG');
  });
});

describe('adapters: TouchCoalescer', () => {
  it('shares one touch between concurrent callers and skips touches within the interval', async () => {
    let now = 0;
    let calls = 0;
    let release!: (v: boolean) => void;
    const c = new TouchCoalescer(() => {
      calls++;
      return new Promise<boolean>((r) => (release = r));
    }, 1000, 10, () => now);
    const a = c.touch('s');
    const b = c.touch('s');
    assert.equal(calls, 1);
    release(true);
    assert.deepEqual(await Promise.all([a, b]), [true, true]);
    now = 999;
    assert.equal(await c.touch('s'), true);
    assert.equal(calls, 1);
    now = 1000;
    const d = c.touch('s');
    release(false);
    assert.equal(await d, false);
    assert.equal(calls, 2);
  });

  it('keeps at most maxEntries access times', () => {
    const c = new TouchCoalescer(async () => true, 1000, 3, () => 0);
    for (const id of ['a', 'b', 'c', 'd']) c.accessed(id);
    let calls = 0;
    const c2 = new TouchCoalescer(async () => (calls++, true), 1000, 3, () => 0);
    for (const id of ['a', 'b', 'c', 'd']) c2.accessed(id);
    void c2.touch('a');
    void c2.touch('d');
    assert.equal(calls, 1, "'a' was evicted, 'd' is recent");
    void c;
  });
});
