import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clampIdleMs, cookieMaxIdleMs, koaMaxIdleMs, loadedCookie, loadedKoaData, storedCookie, storedKoaData } from '../../../src/adapters/common/ttl.js';
import { MAX_IDLE_MS } from '../../../src/session/limits.js';

const NOW = 1_700_000_000_000;

describe('adapters: session lifetimes', () => {
  it('maxAge is the idle timeout; an absolute expires gives the time left; neither gives the default', () => {
    assert.equal(cookieMaxIdleMs({ originalMaxAge: 60_000, expires: new Date(NOW + 5) }, NOW), 60_000);
    assert.equal(cookieMaxIdleMs({ originalMaxAge: null, expires: new Date(NOW + 90_000) }, NOW), 90_000);
    assert.equal(cookieMaxIdleMs({ originalMaxAge: null, expires: new Date(NOW + 90_000).toISOString() }, NOW), 90_000);
    assert.equal(cookieMaxIdleMs({ originalMaxAge: null, expires: null }, NOW), undefined);
    assert.equal(cookieMaxIdleMs(undefined, NOW), undefined);
  });

  it('uses the cookie toJSON of express-session and @fastify/session cookies', () => {
    const cookie = { toJSON: () => ({ originalMaxAge: 1234, expires: new Date(NOW) }) };
    assert.equal(cookieMaxIdleMs(cookie, NOW), 1234);
    assert.deepEqual(storedCookie(cookie), { originalMaxAge: 1234 });
  });

  it('idle timeouts are clamped to what the cluster accepts', () => {
    assert.equal(clampIdleMs(0.2), 1);
    assert.equal(clampIdleMs(-5), 1);
    assert.equal(clampIdleMs(1e20), MAX_IDLE_MS);
    assert.equal(clampIdleMs(Infinity), MAX_IDLE_MS);
    assert.equal(cookieMaxIdleMs({ expires: new Date(NOW - 10) }, NOW), 1);
  });

  it('a sliding cookie is stored without expires and gets now + maxAge back at load', () => {
    const stored = storedCookie({ originalMaxAge: 60_000, expires: new Date(NOW), originalExpires: new Date(NOW), path: '/', httpOnly: true, secure: undefined });
    assert.deepEqual(stored, { originalMaxAge: 60_000, path: '/', httpOnly: true });
    const { cookie, expired } = loadedCookie(stored, NOW + 5000);
    assert.equal(expired, false);
    assert.deepEqual(cookie, { originalMaxAge: 60_000, path: '/', httpOnly: true, expires: new Date(NOW + 65_000) });
  });

  it('an absolute expires is stored as a Date and expires the session once passed', () => {
    const stored = storedCookie({ originalMaxAge: null, expires: new Date(NOW + 1000).toISOString() });
    assert.deepEqual(stored, { originalMaxAge: null, expires: new Date(NOW + 1000) });
    assert.equal(loadedCookie(stored, NOW + 999).expired, false);
    assert.equal(loadedCookie(stored, NOW + 1000).expired, true);
    assert.equal(loadedCookie({ originalMaxAge: null, expires: null }, NOW).expired, false);
  });

  it("koa-session: _expire is derived from _maxAge; 'session' lifetimes use the default", () => {
    assert.equal(koaMaxIdleMs(86_410_000), 86_410_000);
    assert.equal(koaMaxIdleMs('session'), undefined);
    assert.deepEqual(storedKoaData({ n: 1, _expire: NOW, _maxAge: 5000 }), { n: 1, _maxAge: 5000 });
    assert.deepEqual(storedKoaData({ n: 1, _session: true }), { n: 1, _session: true });
    assert.deepEqual(loadedKoaData({ n: 1, _maxAge: 5000 }, NOW), { n: 1, _maxAge: 5000, _expire: NOW + 5000 });
  });
});
