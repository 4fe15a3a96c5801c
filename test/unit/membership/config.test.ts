import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  defaultMembershipConfig,
  expectedConfirmations,
  resolveMembershipConfig,
  retransmitLimit,
  silentFailureDetectionBoundMs,
  suspicionRangeMs,
} from '../../../src/membership/config.js';
import { isSessionMeshError } from '../../../src/errors.js';

test('defaults resolve unchanged; partial settings override them', () => {
  assert.deepEqual(resolveMembershipConfig(), { ...defaultMembershipConfig });
  const c = resolveMembershipConfig({ probeIntervalMs: 500, probeTimeoutMs: undefined });
  assert.equal(c.probeIntervalMs, 500);
  assert.equal(c.probeTimeoutMs, defaultMembershipConfig.probeTimeoutMs);
});

test('unknown or invalid settings are ERR_CONFIG naming the setting', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ probeIntervalMS: 100 }, /unknown membership setting "probeIntervalMS"/],
    [{ probeIntervalMs: 0 }, /membership\.probeIntervalMs/],
    [{ probeTimeoutMs: 1.5 }, /membership\.probeTimeoutMs/],
    [{ indirectProbes: -1 }, /membership\.indirectProbes/],
    [{ maxUpdatesPerMessage: 65 }, /membership\.maxUpdatesPerMessage/],
    [{ syncIntervalMs: '1000' }, /membership\.syncIntervalMs/],
  ];
  for (const [partial, message] of cases) {
    assert.throws(
      () => resolveMembershipConfig(partial as never),
      (err: unknown) => isSessionMeshError(err, 'ERR_CONFIG') && message.test(err.message),
      JSON.stringify(partial),
    );
  }
});

test('suspicion range: suspicionMult × max(1, log10 n) × probeIntervalMs, max = suspicionMaxMult × min', () => {
  const c = resolveMembershipConfig();
  assert.deepEqual(suspicionRangeMs(c, 1), { minMs: 800, maxMs: 4800 });
  assert.deepEqual(suspicionRangeMs(c, 5), { minMs: 800, maxMs: 4800 }, 'log10 floored at 1 for small clusters');
  assert.deepEqual(suspicionRangeMs(c, 10), { minMs: 800, maxMs: 4800 });
  assert.deepEqual(suspicionRangeMs(c, 100), { minMs: 1600, maxMs: 9600 });
  assert.equal(suspicionRangeMs(c, 50).minMs, Math.floor(4 * Math.log10(50) * 200));
});

test('expected confirmations: suspicionMult − 2, or none when too few members could confirm', () => {
  const c = resolveMembershipConfig();
  assert.equal(expectedConfirmations(c, 3), 0);
  assert.equal(expectedConfirmations(c, 4), 2);
  assert.equal(expectedConfirmations(c, 50), 2);
});

test('retransmit limit grows with log10 of the cluster size', () => {
  const c = resolveMembershipConfig();
  assert.equal(retransmitLimit(c, 1), 5);
  assert.equal(retransmitLimit(c, 9), 5);
  assert.equal(retransmitLimit(c, 10), 10);
  assert.equal(retransmitLimit(c, 99), 10);
  assert.equal(retransmitLimit(c, 100), 15);
});

test('silent-failure bound with defaults: 7.6 s at 5 members, 9.6 s at 10, growing with n', () => {
  const c = resolveMembershipConfig();
  assert.equal(silentFailureDetectionBoundMs(c, 5), 7_600);
  assert.equal(silentFailureDetectionBoundMs(c, 10), 9_600);
  assert.ok(silentFailureDetectionBoundMs(c, 50) > silentFailureDetectionBoundMs(c, 10));
});
