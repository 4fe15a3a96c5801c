import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MemberRecord, MemberState } from '../../../src/membership/member.js';
import { coordinatorOf, isPlacementMember } from '../../../src/placement/coordinator.js';

type Row = Pick<MemberRecord, 'id' | 'role' | 'state' | 'startedAtMs'>;
const m = (id: string, startedAtMs: number, state: MemberState = 'alive', role: 'member' | 'client' = 'member'): Row => ({ id, startedAtMs, state, role });

describe('coordinatorOf', () => {
  it('picks the oldest live data member', () => {
    assert.equal(coordinatorOf([m('b', 300), m('a', 200), m('c', 100)])?.id, 'c');
  });

  it('breaks ties on start time by the smaller id, whatever the order', () => {
    const rows = [m('y', 100), m('x', 100), m('z', 100)];
    assert.equal(coordinatorOf(rows)?.id, 'x');
    assert.equal(coordinatorOf([...rows].reverse())?.id, 'x');
  });

  it('skips dead, left and client members but keeps suspects', () => {
    const rows = [m('dead', 1, 'dead'), m('left', 2, 'left'), m('client', 3, 'alive', 'client'), m('suspect', 4, 'suspect'), m('alive', 5)];
    assert.equal(coordinatorOf(rows)?.id, 'suspect');
    assert.equal(coordinatorOf(rows.filter((r) => r.id !== 'suspect'))?.id, 'alive');
  });

  it('returns null when no member holds data', () => {
    assert.equal(coordinatorOf([]), null);
    assert.equal(coordinatorOf([m('c', 1, 'alive', 'client'), m('d', 2, 'dead')]), null);
  });

  it('agrees with isPlacementMember', () => {
    assert.equal(isPlacementMember({ role: 'member', state: 'alive' }), true);
    assert.equal(isPlacementMember({ role: 'member', state: 'suspect' }), true);
    assert.equal(isPlacementMember({ role: 'member', state: 'dead' }), false);
    assert.equal(isPlacementMember({ role: 'member', state: 'left' }), false);
    assert.equal(isPlacementMember({ role: 'client', state: 'alive' }), false);
  });
});
