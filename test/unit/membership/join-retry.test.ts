/**
 * Regression (found by test/sim/mesh-chaos.test.ts): a joiner whose JoinReply was lost, but that
 * heard of its seed first through gossip, never joined — the seed, now seen alive, was dropped
 * from the seeds still to ask, so the Join was never sent again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../src/clock/clock.js';
import type { MemberInfo } from '../../../src/membership/member.js';
import { Membership, type MembershipOutput } from '../../../src/membership/membership.js';
import { MessageType } from '../../../src/wire/message-types.js';

const address = (i: number) => ({ host: `10.0.0.${i}`, port: 7946 });
function info(i: number): MemberInfo {
  return { id: `n${i}`, name: `node-${i}`, address: address(i), httpAddress: null, role: 'member', zone: null, startedAtMs: 1_700_000_000_000 + i };
}
const joins = (out: MembershipOutput[]) => out.filter((o) => o.kind === 'send' && o.type === MessageType.Join).length;

test('a joiner that sees its seed alive through gossip before any JoinReply keeps sending Join until one arrives', () => {
  const m = new Membership({ self: info(2), config: {}, random: new SeededRandom(1), nowMs: 0 });
  assert.equal(joins(m.start(0, [address(1)])), 1);
  // The JoinReply is lost; the seed, which did apply our Join, gossips its own record to us.
  m.receive(5, { id: 'n1', address: address(1) }, MessageType.Gossip, { updates: [{ ...info(1), state: 'alive', incarnation: 0 }] });
  assert.equal(m.member('n1')?.state, 'alive');
  assert.equal(m.isJoined(), false);
  // The seed answers every probe, so it stays alive in our view.
  const answer = (now: number, out: MembershipOutput[]): number => {
    let n = joins(out);
    for (const o of out) {
      if (o.kind === 'send' && o.type === MessageType.Ping) n += answer(now, m.receive(now, { id: 'n1', address: address(1) }, MessageType.Ack, { seq: (o.body as { seq: number }).seq, updates: [] }));
    }
    return n;
  };
  let sent = 0;
  for (let now = 10; now <= 3_000 && sent === 0; now += 10) {
    sent += answer(now, m.tick(now));
    assert.equal(m.member('n1')?.state, 'alive');
  }
  assert.ok(sent > 0, 'Join retried');
  const out = m.receive(3_100, { id: 'n1', address: address(1) }, MessageType.JoinReply, { members: [{ ...info(1), state: 'alive', incarnation: 0 }] });
  assert.ok(out.some((o) => o.kind === 'joined'));
  assert.equal(m.isJoined(), true);
});
