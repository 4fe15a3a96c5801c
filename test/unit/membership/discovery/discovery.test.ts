import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeAnnouncement, encodeAnnouncement } from '../../../../src/membership/discovery/announcement.js';
import { seedsFromAddresses, seedsFromSrv } from '../../../../src/membership/discovery/dns-answers.js';

describe('multicast announcement', () => {
  it('round-trips', () => {
    const a = { cluster: 'c1', id: 'abc', address: { host: '127.0.0.1', port: 7400 } };
    assert.deepEqual(decodeAnnouncement(encodeAnnouncement(a)), a);
  });

  it('ignores anything else, never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = decodeAnnouncement(bytes);
        assert.ok(r === null || typeof r.cluster === 'string');
      }),
      { numRuns: 300 },
    );
    const bad = (o: unknown) => decodeAnnouncement(Buffer.from(JSON.stringify(o)));
    assert.equal(bad({ m: 'sessionmesh', v: 2, c: 'c', i: 'i', h: 'h', p: 1 }), null);
    assert.equal(bad({ m: 'sessionmesh', v: 1, c: 'c', i: 'i', h: 'h', p: 0 }), null);
    assert.equal(bad({ m: 'sessionmesh', v: 1, c: 'c', i: 'i', h: 'h', p: '80' }), null);
    assert.equal(bad({ m: 'other', v: 1, c: 'c', i: 'i', h: 'h', p: 80 }), null);
    assert.equal(bad([1, 2]), null);
    assert.equal(decodeAnnouncement(Buffer.alloc(1000, 0x20)), null);
  });
});

describe('DNS answers to seeds', () => {
  it('uses SRV ports, dedupes and sorts', () => {
    assert.deepEqual(seedsFromSrv([{ name: 'b', port: 2 }, { name: 'a', port: 1 }, { name: 'a', port: 1 }, { name: 'c', port: 0 }]), [
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ]);
  });
  it('gives A/AAAA answers the default port', () => {
    assert.deepEqual(seedsFromAddresses(['10.0.0.2', '10.0.0.1', '10.0.0.2'], 7400), [
      { host: '10.0.0.1', port: 7400 },
      { host: '10.0.0.2', port: 7400 },
    ]);
  });
});
