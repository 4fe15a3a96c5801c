/** Validators for membership message bodies: untrusted decoded msgpack in, fresh checked values out. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  isMembershipMessageType,
  validateAck,
  validateGossip,
  validateJoin,
  validateMemberList,
  validatePing,
  validatePingReq,
} from '../../../src/membership/messages.js';

const limits = { maxUpdates: 4, maxMembers: 3 };

function member(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'm1',
    name: 'node-1',
    address: { host: '10.0.0.1', port: 7946 },
    httpAddress: null,
    role: 'member',
    zone: null,
    startedAtMs: 1_700_000_000_000,
    state: 'alive',
    incarnation: 0,
    ...overrides,
  };
}

test('valid bodies pass and come out as fresh objects without unknown fields', () => {
  const body = { seq: 7, target: 'm2', updates: [member({ extra: 'ignored', state: 'suspect', by: 'm3' })], more: 1 };
  const v = validatePing(body, limits);
  assert.ok(v.ok);
  assert.deepEqual(v.value, { seq: 7, target: 'm2', updates: [{ ...member({ state: 'suspect' }), by: 'm3' }] });
  assert.notEqual(v.value.updates[0], body.updates[0]);
  assert.notEqual(v.value.updates[0]!.address, body.updates[0]!.address);

  assert.ok(validateAck({ seq: 0, updates: [] }, limits).ok);
  assert.ok(validatePingReq({ seq: 1, target: { id: 'm2', address: { host: '::1', port: 1 } }, timeoutMs: 80, updates: [] }, limits).ok);
  assert.ok(validateJoin({ member: member({ httpAddress: { host: 'a', port: 80 }, zone: 'z1', role: 'client' }) }).ok);
  assert.ok(validateMemberList({ members: [member(), member({ id: 'm2', state: 'dead', ageMs: 1000 })] }, limits).ok);
  assert.ok(validateGossip({ updates: [member({ state: 'left', by: 'm1' })] }, limits).ok);
});

test('wrong types, ranges and missing fields are rejected with the path of the field', () => {
  const bad: [unknown, RegExp][] = [
    [null, /^body: expected an object/],
    [[1, 2], /^body: expected an object/],
    [new Date(), /^body: expected an object/],
    [{ target: 'm2', updates: [] }, /^body\.seq/],
    [{ seq: -1, target: 'm2', updates: [] }, /^body\.seq/],
    [{ seq: 1.5, target: 'm2', updates: [] }, /^body\.seq/],
    [{ seq: 2 ** 53, target: 'm2', updates: [] }, /^body\.seq/],
    [{ seq: '1', target: 'm2', updates: [] }, /^body\.seq/],
    [{ seq: 1, target: '', updates: [] }, /^body\.target/],
    [{ seq: 1, target: 'x'.repeat(129), updates: [] }, /^body\.target/],
    [{ seq: 1, target: 'm2' }, /^body\.updates: expected an array/],
    [{ seq: 1, target: 'm2', updates: [member(), member(), member(), member(), member()] }, /^body\.updates: expected at most 4/],
    [{ seq: 1, target: 'm2', updates: [member({ state: 'zombie' })] }, /^body\.updates\[0\]\.state/],
    [{ seq: 1, target: 'm2', updates: [member({ incarnation: -1 })] }, /^body\.updates\[0\]\.incarnation/],
    [{ seq: 1, target: 'm2', updates: [member({ role: 'admin' })] }, /^body\.updates\[0\]\.role/],
    [{ seq: 1, target: 'm2', updates: [member({ address: { host: 'a', port: 0 } })] }, /^body\.updates\[0\]\.address\.port/],
    [{ seq: 1, target: 'm2', updates: [member({ address: { host: 'a', port: 70000 } })] }, /^body\.updates\[0\]\.address\.port/],
    [{ seq: 1, target: 'm2', updates: [member({ address: 'a:1' })] }, /^body\.updates\[0\]\.address/],
    [{ seq: 1, target: 'm2', updates: [member({ httpAddress: undefined })] }, /^body\.updates\[0\]\.httpAddress/],
    [{ seq: 1, target: 'm2', updates: [member({ zone: 7 })] }, /^body\.updates\[0\]\.zone/],
    [{ seq: 1, target: 'm2', updates: [member({ by: 5 })] }, /^body\.updates\[0\]\.by/],
    [{ seq: 1, target: 'm2', updates: [member({ ageMs: -3 })] }, /^body\.updates\[0\]\.ageMs/],
    [{ seq: 1, target: 'm2', updates: [member({ state: 'left' })] }, /^body\.updates\[0\]\.by: expected the member's own id/],
    [{ seq: 1, target: 'm2', updates: [member({ state: 'left', by: 'm9' })] }, /^body\.updates\[0\]\.by/],
  ];
  for (const [body, reason] of bad) {
    const v = validatePing(body, limits);
    assert.ok(!v.ok, JSON.stringify(body));
    assert.match(v.reason, reason);
  }
  const join = validateJoin({ member: member({ state: 'dead' }) });
  assert.ok(!join.ok && /alive/.test(join.reason), 'a Join carries the joiner alive');
  const list = validateMemberList({ members: [member(), member(), member(), member()] }, limits);
  assert.ok(!list.ok && /at most 3/.test(list.reason));
  const req = validatePingReq({ seq: 1, target: { id: 'm2', address: { host: 'a', port: 1 } }, timeoutMs: 10 ** 9, updates: [] }, limits);
  assert.ok(!req.ok && /timeoutMs/.test(req.reason));
});

test('inherited and prototype-polluting keys are never read', () => {
  const inherited = Object.create({ seq: 1, target: 'm2', updates: [] });
  assert.ok(!validatePing(inherited, limits).ok, 'fields must be own properties');
  const polluted = JSON.parse('{"seq":1,"target":"m2","updates":[],"__proto__":{"admin":true}}');
  const v = validatePing(polluted, limits);
  assert.ok(v.ok);
  assert.equal(Object.getPrototypeOf(v.value), Object.prototype);
  assert.equal((v.value as unknown as Record<string, unknown>).admin, undefined);
  assert.equal(({} as Record<string, unknown>).admin, undefined);
});

test('validators never throw, whatever they are fed', () => {
  const validators = [
    (b: unknown) => validatePing(b, limits),
    (b: unknown) => validateAck(b, limits),
    (b: unknown) => validatePingReq(b, limits),
    (b: unknown) => validateJoin(b),
    (b: unknown) => validateMemberList(b, limits),
    (b: unknown) => validateGossip(b, limits),
  ];
  const anyBody = fc.oneof(
    fc.anything(),
    fc.record({ seq: fc.anything(), target: fc.anything(), updates: fc.array(fc.anything(), { maxLength: 6 }), member: fc.anything(), members: fc.anything(), timeoutMs: fc.anything() }),
    fc.record({ updates: fc.array(fc.record({ id: fc.string(), name: fc.anything(), address: fc.anything(), state: fc.constantFrom('alive', 'suspect', 'dead', 'left', 'x'), incarnation: fc.anything() }), { maxLength: 3 }) }),
  );
  fc.assert(
    fc.property(anyBody, (body) => {
      for (const v of validators) {
        const r = v(body);
        assert.equal(typeof r.ok, 'boolean');
      }
    }),
    { numRuns: 300 },
  );
});

test('membership owns message type ids 10..29', () => {
  assert.ok(isMembershipMessageType(10) && isMembershipMessageType(18) && isMembershipMessageType(29));
  assert.ok(!isMembershipMessageType(9) && !isMembershipMessageType(30) && !isMembershipMessageType(10.5));
});
