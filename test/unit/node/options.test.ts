import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions } from '../../../src/node/options.js';
import { isSessionMeshError } from '../../../src/errors.js';

const configError = (re: RegExp) => (err: unknown) => isSessionMeshError(err, 'ERR_CONFIG') && re.test(err.message);

describe('resolveOptions', () => {
  it('fills defaults', () => {
    const o = resolveOptions({ secret: 'a-long-secret' });
    assert.equal(o.host, '127.0.0.1');
    assert.equal(o.port, 7400);
    assert.equal(o.cluster, 'sessionmesh');
    assert.equal(o.httpPort, null);
    assert.equal(o.role, 'member');
    assert.deepEqual(o.seeds, []);
    assert.equal(o.multicast, null);
    assert.equal(o.maxFrameBytes, 8 * 1024 * 1024);
  });

  it('requires a secret unless insecure', () => {
    assert.throws(() => resolveOptions({}), configError(/no cluster secret/));
    assert.equal(resolveOptions({ insecure: true }).secret, null);
  });

  it('parses seeds (IPv4, IPv6, default port) and multicast', () => {
    const o = resolveOptions({ insecure: true, seeds: ['127.0.0.1:7001', '[::1]:7002', 'localhost'], multicast: '239.9.9.9:9999' });
    assert.deepEqual(o.seeds, [
      { host: '127.0.0.1', port: 7001 },
      { host: '::1', port: 7002 },
      { host: 'localhost', port: 7400 },
    ]);
    assert.deepEqual(o.multicast, { group: '239.9.9.9', port: 9999 });
    assert.deepEqual(resolveOptions({ insecure: true, multicast: true }).multicast, { group: '239.255.77.77', port: 7399 });
  });

  it('refuses bad values with ERR_CONFIG', () => {
    assert.throws(() => resolveOptions({ insecure: true, port: 70000 }), configError(/port/));
    assert.throws(() => resolveOptions({ insecure: true, port: 7000, httpPort: 7000 }), configError(/must differ/));
    assert.throws(() => resolveOptions({ insecure: true, seeds: ['::1:80'] }), configError(/IPv6/));
    assert.throws(() => resolveOptions({ insecure: true, multicast: '10.1.1.1:1' }), configError(/not a multicast address/));
    assert.throws(() => resolveOptions({ insecure: true, role: 'boss' as never }), configError(/role/));
    assert.throws(() => resolveOptions({ insecure: true, membership: { probeIntervalMs: -5 } }), configError(/probeIntervalMs/));
    assert.throws(() => resolveOptions({ secret: 'short' }), configError(/at least 8/));
  });
});

describe('resolveOptions membership settings', () => {
  it('refuses unknown membership settings by name', () => {
    assert.throws(() => resolveOptions({ insecure: true, membership: { probeIntervalMS: 5 } as never }), configError(/unknown membership setting "probeIntervalMS"/));
    assert.equal(resolveOptions({ insecure: true, membership: { probeIntervalMs: 300 } }).membership.probeIntervalMs, 300);
  });
});

describe('resolveOptions graceful leave settings', () => {
  it('defaults leaveTimeoutMs to 20 s and drainMs to 2 s, accepts 0, refuses negatives and fractions', () => {
    const d = resolveOptions({ insecure: true });
    assert.equal(d.leaveTimeoutMs, 20_000);
    assert.equal(d.drainMs, 2_000);
    assert.equal(d.opTimeoutMs, 5_000);
    const z = resolveOptions({ insecure: true, leaveTimeoutMs: 0, drainMs: 0, opTimeoutMs: 700 });
    assert.equal(z.leaveTimeoutMs, 0);
    assert.equal(z.drainMs, 0);
    assert.equal(z.opTimeoutMs, 700);
    assert.throws(() => resolveOptions({ insecure: true, leaveTimeoutMs: -1 }), configError(/leaveTimeoutMs/));
    assert.throws(() => resolveOptions({ insecure: true, drainMs: 1.5 }), configError(/drainMs/));
  });
});

describe('nearCache option', () => {
  const base = { insecure: true } as const;
  it('is off by default; true gives the documented bounds; the object overrides them', () => {
    assert.equal(resolveOptions(base).replication.nearCacheEntries, undefined);
    assert.equal(resolveOptions({ ...base, nearCache: false }).replication.nearCacheEntries, undefined);
    const on = resolveOptions({ ...base, nearCache: true }).replication;
    assert.deepEqual([on.nearCacheEntries, on.nearCacheMaxAgeMs], [10_000, 10_000]);
    const custom = resolveOptions({ ...base, nearCache: { maxEntries: 5, maxAgeMs: 700 } }).replication;
    assert.deepEqual([custom.nearCacheEntries, custom.nearCacheMaxAgeMs], [5, 700]);
  });
  it('refuses bad bounds and unknown settings with ERR_CONFIG', () => {
    for (const nearCache of [{ maxEntries: 0 }, { maxAgeMs: -1 }, { maxEntries: 1.5 }, { size: 3 }, 'yes']) {
      assert.throws(() => resolveOptions({ ...base, nearCache: nearCache as never }), (e: unknown) => isSessionMeshError(e, 'ERR_CONFIG'), JSON.stringify(nearCache));
    }
    assert.throws(() => resolveOptions({ ...base, replication: { nearCacheReaders: -1 } }), (e: unknown) => isSessionMeshError(e, 'ERR_CONFIG'));
  });
});
