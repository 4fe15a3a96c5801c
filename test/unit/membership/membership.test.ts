/**
 * One Membership machine driven by hand: every message it gets and every tick is scripted, so each
 * SWIM/Lifeguard rule is checked in isolation (the simulator in test/sim/ checks them together).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SeededRandom } from '../../../src/clock/clock.js';
import type { MembershipConfig } from '../../../src/membership/config.js';
import type { MemberInfo, MemberState } from '../../../src/membership/member.js';
import { Membership, type MembershipOutput } from '../../../src/membership/membership.js';
import type { WireMember } from '../../../src/membership/messages.js';
import { MessageType } from '../../../src/wire/message-types.js';

const address = (i: number) => ({ host: `10.0.0.${i}`, port: 7946 });
const peer = (i: number) => ({ id: `n${i}`, address: address(i) });

function info(i: number): MemberInfo {
  return { id: `n${i}`, name: `node-${i}`, address: address(i), httpAddress: null, role: 'member', zone: null, startedAtMs: 1_700_000_000_000 + i };
}

function wire(i: number, state: MemberState = 'alive', incarnation = 0, extra: Partial<WireMember> = {}): WireMember {
  return { ...info(i), state, incarnation, ...extra };
}

type Send = Extract<MembershipOutput, { kind: 'send' }>;
type Change = Extract<MembershipOutput, { kind: 'change' }>;

interface Step {
  atMs: number;
  input: string;
  outputs: MembershipOutput[];
  health: number;
}

/** Feeds one machine and records every step; peers in `autoAck` answer Pings at once. */
class Driver {
  readonly steps: Step[] = [];
  nowMs = 0;
  readonly autoAck = new Set<string>();
  readonly m: Membership;

  constructor(self = 1, config: Partial<MembershipConfig> = {}, seed = 1) {
    this.m = new Membership({ self: info(self), config, random: new SeededRandom(seed), nowMs: 0 });
  }

  call(input: string, fn: (nowMs: number) => MembershipOutput[]): MembershipOutput[] {
    const outputs = fn(this.nowMs);
    assert.ok(Array.isArray(outputs));
    this.steps.push({ atMs: this.nowMs, input, outputs, health: this.m.localHealth() });
    for (const o of outputs) {
      if (o.kind === 'send' && o.type === MessageType.Ping && o.to.id !== undefined && this.autoAck.has(o.to.id)) {
        const seq = (o.body as { seq: number }).seq;
        const i = Number(o.to.id.slice(1));
        this.call(`Ack from ${o.to.id}`, (now) => this.m.receive(now, peer(i), MessageType.Ack, { seq, updates: [] }));
      }
    }
    return outputs;
  }

  receive(from: number, type: number, body: unknown): MembershipOutput[] {
    return this.call(`${type} from n${from}`, (now) => this.m.receive(now, peer(from), type, body));
  }

  /** Ticks at every deadline up to `untilMs`, then sets the time to it. */
  advanceTo(untilMs: number): void {
    for (let i = 0; i < 100_000; i++) {
      const due = this.m.nextDeadlineMs();
      if (due > untilMs) break;
      this.nowMs = Math.max(this.nowMs, due);
      this.call('tick', (now) => this.m.tick(now));
    }
    this.nowMs = Math.max(this.nowMs, untilMs);
  }

  /** Advances until a step's outputs satisfy `match`; returns that step. */
  advanceUntil(match: (o: MembershipOutput) => boolean, limitMs = 60_000): Step {
    const from = this.steps.length;
    const end = this.nowMs + limitMs;
    while (this.nowMs < end) {
      this.advanceTo(Math.min(end, this.nowMs + 10));
      const step = this.steps.slice(from).find((s) => s.outputs.some(match));
      if (step) return step;
    }
    assert.fail('not reached');
  }

  outputsSince(stepIndex = 0): MembershipOutput[] {
    return this.steps.slice(stepIndex).flatMap((s) => s.outputs);
  }

  sends(type: number, sinceStep = 0): Send[] {
    return this.outputsSince(sinceStep).filter((o): o is Send => o.kind === 'send' && o.type === type);
  }

  changes(sinceStep = 0): Change[] {
    return this.outputsSince(sinceStep).filter((o): o is Change => o.kind === 'change');
  }

  /** Starts alone and learns members `others` (each joined through us). */
  startWith(others: number[]): void {
    this.call('start', (now) => this.m.start(now, []));
    for (const i of others) this.receive(i, MessageType.Join, { member: wire(i) });
  }
}

const isSend =
  (type: number, to?: string) =>
  (o: MembershipOutput): o is Send =>
    o.kind === 'send' && o.type === type && (to === undefined || o.to.id === to);

test('with no seeds (or only its own address) the member is a cluster of one at once', () => {
  for (const seeds of [[], [address(1)]]) {
    const d = new Driver();
    const out = d.call('start', (now) => d.m.start(now, seeds));
    assert.deepEqual(out.filter((o) => o.kind === 'send'), []);
    assert.ok(out.some((o) => o.kind === 'joined'));
    const self = d.changes()[0]!;
    assert.equal(self.member.id, 'n1');
    assert.equal(self.previous, null);
    assert.equal(self.reason, 'local member started');
    assert.ok(d.m.isJoined());
    assert.ok(d.m.nextDeadlineMs() <= 200, 'first probe within one period');
  }
});

test('a member listed among its own seeds is a seed: a cluster of one at once, merging with the other seeds by Sync', () => {
  const d = new Driver(2);
  const out = d.call('start', (now) => d.m.start(now, [address(1), address(2), address(3)]));
  assert.ok(d.m.isJoined(), 'does not wait for the other seeds (the first seed up must be able to start)');
  assert.deepEqual((out.filter(isSend(MessageType.Sync)) as Send[]).map((s) => s.to), [{ address: address(1) }, { address: address(3) }]);
  assert.deepEqual(out.filter(isSend(MessageType.Join)), []);
  // It keeps contacting seeds it has not met (every syncIntervalMs ±25%) ...
  d.advanceTo(12_500);
  assert.ok(d.sends(MessageType.Sync).filter((s) => s.to.id === undefined).length >= 4);
  // ... until a member is known at their address.
  d.receive(1, MessageType.SyncReply, { members: [wire(1), wire(3)] });
  d.autoAck.add('n1').add('n3');
  const mark = d.steps.length;
  d.advanceTo(60_000);
  assert.deepEqual(d.sends(MessageType.Sync, mark).filter((s) => s.to.id === undefined), []);
});

test('a joiner sends Join to every seed, retries every joinRetryMs ±25% until a JoinReply, then stops', () => {
  const d = new Driver(2);
  const out = d.call('start', (now) => d.m.start(now, [address(1), address(3)]));
  const joins = out.filter(isSend(MessageType.Join)) as Send[];
  assert.deepEqual(joins.map((s) => s.to), [{ address: address(1) }, { address: address(3) }]);
  assert.equal((joins[0]!.body as { member: WireMember }).member.id, 'n2');
  assert.equal(d.m.isJoined(), false);

  const retry = d.advanceUntil(isSend(MessageType.Join));
  assert.ok(retry.atMs >= 375 && retry.atMs <= 625, `retry at ${retry.atMs}`);

  const before = d.steps.length;
  d.receive(1, MessageType.JoinReply, { members: [wire(1), wire(2), wire(4, 'alive', 3), wire(5, 'dead', 1, { ageMs: 10 })] });
  const joined = d.outputsSince(before).find((o) => o.kind === 'joined');
  assert.deepEqual(joined, { kind: 'joined', via: '10.0.0.1:7946' });
  assert.equal(d.m.member('n4')?.incarnation, 3);
  assert.equal(d.m.member('n5')?.state, 'dead', 'tombstones are learned too');
  assert.match(d.changes(before).find((c) => c.member.id === 'n1')!.reason, /join reply from 10\.0\.0\.1:7946/);

  const after = d.steps.length;
  d.autoAck.add('n1').add('n4');
  d.advanceTo(d.nowMs + 5_000);
  assert.deepEqual(d.sends(MessageType.Join, after), [], 'no Join once joined');
});

test('a seed adds the joiner, answers with the full list and gossips the newcomer on its next messages', () => {
  const d = new Driver(1);
  d.startWith([3]);
  const before = d.steps.length;
  d.receive(2, MessageType.Join, { member: wire(2) });
  const change = d.changes(before)[0]!;
  assert.deepEqual([change.member.id, change.previous, change.member.state, change.reason], ['n2', null, 'alive', 'joined via 10.0.0.1:7946']);
  const reply = d.sends(MessageType.JoinReply, before)[0]!;
  assert.deepEqual(reply.to, { id: 'n2', address: address(2) });
  assert.deepEqual((reply.body as { members: WireMember[] }).members.map((m) => m.id).sort(), ['n1', 'n2', 'n3']);
  // The next Ping to n3 carries n2's record.
  const ping = d.advanceUntil(isSend(MessageType.Ping, 'n3')).outputs.find(isSend(MessageType.Ping, 'n3')) as Send;
  assert.ok((ping.body as { updates: WireMember[] }).updates.some((u) => u.id === 'n2' && u.state === 'alive'));

  const bad = d.receive(4, MessageType.Join, { member: wire(5) });
  assert.match((bad.find((o) => o.kind === 'warn') as { reason: string }).reason, /carries the record of n5/);
  assert.equal(d.m.member('n5'), undefined);
});

test('a Ping is answered with an Ack of the same seq; a Ping meant for another member is not', () => {
  const d = new Driver(1);
  d.startWith([2]);
  const out = d.receive(2, MessageType.Ping, { seq: 77, target: 'n1', updates: [] });
  const ack = out.find(isSend(MessageType.Ack)) as Send;
  assert.deepEqual(ack.to, { id: 'n2', address: address(2) });
  assert.equal((ack.body as { seq: number }).seq, 77);
  const wrong = d.receive(2, MessageType.Ping, { seq: 78, target: 'n9', updates: [] });
  assert.equal(wrong.filter(isSend(MessageType.Ack)).length, 0);
  assert.ok(wrong.some((o) => o.kind === 'warn'));
});

test('failed probe: PingReq to k helpers after probeTimeoutMs, suspect at the verdict, dead when the suspicion times out', () => {
  const d = new Driver(1, { indirectProbes: 2 });
  d.startWith([2, 3, 4, 5]);
  d.autoAck.add('n2').add('n3').add('n4');
  const pingStep = d.advanceUntil(isSend(MessageType.Ping, 'n5'));
  const t0 = pingStep.atMs;
  const seq = ((pingStep.outputs.find(isSend(MessageType.Ping, 'n5')) as Send).body as { seq: number }).seq;

  const mark = d.steps.length;
  d.advanceTo(t0 + 149);
  assert.deepEqual(d.sends(MessageType.PingReq, mark), [], 'not before probeTimeoutMs');
  d.advanceTo(t0 + 150);
  const reqs = d.sends(MessageType.PingReq, mark);
  assert.equal(reqs.length, 2);
  for (const r of reqs) {
    assert.ok(['n2', 'n3', 'n4'].includes(r.to.id!));
    assert.deepEqual(r.body, { seq, target: { id: 'n5', address: address(5) }, timeoutMs: 200, updates: (r.body as { updates: unknown }).updates });
  }
  d.receive(Number(reqs[0]!.to.id!.slice(1)), MessageType.Nack, { seq, updates: [] });

  const verdict = d.advanceUntil((o) => o.kind === 'change' && o.member.id === 'n5');
  assert.equal(verdict.atMs, t0 + 400, 'verdict after probeTimeoutMs + indirectProbeTimeoutMs');
  const suspect = verdict.outputs.find((o) => o.kind === 'change') as Change;
  assert.equal(suspect.member.state, 'suspect');
  assert.equal(suspect.reason, 'probe got no ack in 150 ms and 2 indirect probes failed (1 nacks)');
  assert.equal(verdict.health, 1, 'Lifeguard: one helper sent no Nack → health +1');
  const notice = verdict.outputs.find(isSend(MessageType.Gossip, 'n5')) as Send;
  assert.equal((notice.body as { updates: WireMember[] }).updates[0]!.state, 'suspect', 'the suspect hears it at once');

  // 5 live members: K = 2 confirmations expected; none come, so the full 4.8 s (6 × 800 ms).
  const death = d.advanceUntil((o) => o.kind === 'change' && o.member.id === 'n5' && o.member.state === 'dead');
  assert.equal(death.atMs, verdict.atMs + 4_800);
  assert.equal((death.outputs.find((o) => o.kind === 'change') as Change).reason, 'suspicion timed out after 4800 ms (0 confirmations)');
});

test('independent confirmations shorten the suspicion timeout to its minimum (Lifeguard)', () => {
  const d = new Driver(1);
  d.startWith([2, 3, 4, 5]);
  d.autoAck.add('n2').add('n3').add('n4').add('n5');
  d.receive(2, MessageType.Gossip, { updates: [wire(5, 'suspect', 0, { by: 'n2' })] });
  const start = d.nowMs;
  assert.equal(d.m.member('n5')?.state, 'suspect');
  d.advanceTo(start + 100);
  d.receive(3, MessageType.Gossip, { updates: [wire(5, 'suspect', 0, { by: 'n3' })] });
  d.receive(4, MessageType.Gossip, { updates: [wire(5, 'suspect', 0, { by: 'n2' })] }); // same accuser again: no confirmation
  d.advanceTo(start + 300);
  d.receive(4, MessageType.Gossip, { updates: [wire(5, 'suspect', 0, { by: 'n4' })] });
  const death = d.advanceUntil((o) => o.kind === 'change' && o.member.state === 'dead');
  assert.equal(death.atMs, start + 800);
  assert.equal((death.outputs.find((o) => o.kind === 'change') as Change).reason, 'suspicion timed out after 800 ms (2 confirmations)');
});

test('a suspected member refutes with a higher incarnation and tells its accuser directly', () => {
  const d = new Driver(1);
  d.startWith([2, 3]);
  const out = d.receive(3, MessageType.Gossip, { updates: [wire(1, 'suspect', 0, { by: 'n2' })] });
  assert.equal(d.m.member('n1')?.incarnation, 1);
  assert.equal(d.m.member('n1')?.state, 'alive');
  assert.equal(d.m.localHealth(), 1, 'Lifeguard: a refutation raises local health');
  const told = out.filter(isSend(MessageType.Gossip)) as Send[];
  assert.deepEqual(told.map((s) => s.to.id).sort(), ['n2', 'n3'], 'the accuser and the messenger');
  for (const s of told) assert.deepEqual((s.body as { updates: WireMember[] }).updates.map((u) => [u.id, u.state, u.incarnation]), [['n1', 'alive', 1]]);

  // Declared dead at a higher incarnation: jump above it.
  d.receive(2, MessageType.Gossip, { updates: [wire(1, 'dead', 4, { by: 'n2' })] });
  assert.equal(d.m.member('n1')?.incarnation, 5);
  // A stale claim (already refuted) does not raise it again; and nobody can make us "left".
  const stale = d.receive(2, MessageType.Ping, { seq: 1, target: 'n1', updates: [wire(1, 'suspect', 2, { by: 'n2' })] });
  assert.equal(d.m.member('n1')?.incarnation, 5);
  const ack = stale.find(isSend(MessageType.Ack)) as Send;
  assert.ok((ack.body as { updates: WireMember[] }).updates.some((u) => u.id === 'n1' && u.incarnation === 5), 'the Ack carries our current record');
  const left = d.receive(2, MessageType.Gossip, { updates: [wire(1, 'left', 5, { by: 'n1' })] });
  assert.ok(left.some((o) => o.kind === 'warn'));
  assert.equal(d.m.member('n1')?.state, 'alive');
  assert.ok(d.changes().every((c) => c.member.id !== 'n1' || c.member.state === 'alive'), 'never reports itself non-alive');
});

test('observers: refutation revives a suspect; dead needs a strictly higher incarnation; left is final', () => {
  const d = new Driver(1);
  d.startWith([2, 3]);
  d.receive(3, MessageType.Gossip, { updates: [wire(2, 'suspect', 0, { by: 'n3' })] });
  const before = d.steps.length;
  d.receive(3, MessageType.Gossip, { updates: [wire(2, 'alive', 1)] });
  assert.equal(d.changes(before)[0]!.reason, 'refuted suspicion with incarnation 1 (gossip from n3)');
  d.receive(3, MessageType.Gossip, { updates: [wire(2, 'dead', 1, { by: 'n3' })] });
  assert.equal(d.m.member('n2')?.state, 'dead');
  d.receive(3, MessageType.Gossip, { updates: [wire(2, 'alive', 1)] });
  assert.equal(d.m.member('n2')?.state, 'dead', 'alive at the same incarnation does not revive');
  d.receive(3, MessageType.Gossip, { updates: [wire(2, 'alive', 2)] });
  assert.equal(d.m.member('n2')?.state, 'alive');
  d.receive(3, MessageType.Gossip, { updates: [wire(3, 'left', 0, { by: 'n3' })] });
  d.receive(2, MessageType.Gossip, { updates: [wire(3, 'alive', 9)] });
  assert.equal(d.m.member('n3')?.state, 'left');
});

test('a stale dead claim in a Sync list only makes us suspect a live member (push-pull rule)', () => {
  const d = new Driver(1);
  d.startWith([2, 3]);
  const out = d.receive(3, MessageType.Sync, { members: [wire(2, 'dead', 0, { ageMs: 5_000 }), wire(3)] });
  assert.equal(d.m.member('n2')?.state, 'suspect');
  const reply = out.find(isSend(MessageType.SyncReply, 'n3')) as Send;
  assert.deepEqual((reply.body as { members: WireMember[] }).members.map((m) => m.id).sort(), ['n1', 'n2', 'n3']);
});

test('indirect probe for another member: relays the Ack, or answers Nack at its timeout or when unreachable', () => {
  const d = new Driver(1);
  d.startWith([2, 3]);
  const out = d.receive(2, MessageType.PingReq, { seq: 42, target: { id: 'n3', address: address(3) }, timeoutMs: 100, updates: [] });
  const ping = out.find(isSend(MessageType.Ping, 'n3')) as Send;
  const ourSeq = (ping.body as { seq: number; target: string }).seq;
  assert.equal((ping.body as { target: string }).target, 'n3');
  const relayed = d.receive(3, MessageType.Ack, { seq: ourSeq, updates: [] }).find(isSend(MessageType.Ack, 'n2')) as Send;
  assert.equal((relayed.body as { seq: number }).seq, 42);

  const mark = d.steps.length;
  d.receive(2, MessageType.PingReq, { seq: 43, target: { id: 'n3', address: address(3) }, timeoutMs: 100, updates: [] });
  const t = d.nowMs;
  d.advanceTo(t + 99);
  assert.deepEqual(d.sends(MessageType.Nack, mark), []);
  d.advanceTo(t + 100);
  assert.deepEqual(d.sends(MessageType.Nack, mark).map((s) => [s.to.id, (s.body as { seq: number }).seq]), [['n2', 43]]);

  const mark2 = d.steps.length;
  d.receive(2, MessageType.PingReq, { seq: 44, target: { id: 'n3', address: address(3) }, timeoutMs: 100, updates: [] });
  d.call('unreachable', (now) => d.m.peerUnreachable(now, { id: 'n3', address: address(3) }));
  assert.deepEqual(d.sends(MessageType.Nack, mark2).map((s) => (s.body as { seq: number }).seq), [44], 'at once');
});

test('disconnect hint probes at once (out of turn); unreachable skips the direct timeout', () => {
  const d = new Driver(1);
  d.startWith([2, 3, 4]);
  d.autoAck.add('n2').add('n3').add('n4');
  d.advanceTo(1_000);
  d.autoAck.clear();
  const mark = d.steps.length;
  const out = d.call('disconnected', (now) => d.m.peerDisconnected(now, 'n3'));
  assert.equal(out.filter(isSend(MessageType.Ping, 'n3')).length, 1);
  assert.deepEqual(d.call('disconnected again', (now) => d.m.peerDisconnected(now, 'n3')), [], 'one probe at a time');
  const reqs = d.call('unreachable', (now) => d.m.peerUnreachable(now, { id: 'n3', address: address(3) })).filter(isSend(MessageType.PingReq));
  assert.deepEqual(reqs.map((s) => s.to.id).sort(), ['n2', 'n4'], 'indirect round now, not after probeTimeoutMs');
  // Both helpers can't reach it either: the verdict comes without waiting for the period to end.
  const seq = (reqs[0]!.body as { seq: number }).seq;
  d.receive(2, MessageType.Nack, { seq, updates: [] });
  const verdict = d.receive(4, MessageType.Nack, { seq, updates: [] });
  const change = verdict.find((o) => o.kind === 'change') as Change;
  assert.equal(change.member.state, 'suspect');
  assert.equal(change.reason, 'probe failed (unreachable) and 2 indirect probes failed (2 nacks)');
  assert.equal(d.steps.at(-1)!.health, 0, 'every helper answered: no evidence against ourselves');
  assert.ok(d.steps.slice(mark).every((s) => s.atMs === 1_000), 'all within the same millisecond');
});

test('a tick that comes long after its deadline (own stall) makes the probe inconclusive, not a suspicion', () => {
  const run = (stall: boolean) => {
    const d = new Driver(1, {}, 5);
    d.startWith([2, 3]);
    const ping = d.advanceUntil(isSend(MessageType.Ping));
    const mark = d.steps.length;
    if (stall) {
      // The event loop was blocked: the next tick only comes 1 s later.
      d.nowMs = ping.atMs + 1_000;
      d.call('late tick', (now) => d.m.tick(now));
    } else {
      d.advanceTo(ping.atMs + 1_000);
    }
    return { d, mark };
  };
  const normal = run(false);
  assert.equal(normal.d.changes(normal.mark).filter((c) => c.member.state === 'suspect').length >= 1, true, 'on time: the unanswered probe suspects');
  const stalled = run(true);
  assert.deepEqual(stalled.d.changes(stalled.mark), [], 'after a stall: no verdict against the peer');
  assert.equal(stalled.d.m.localHealth(), 1, 'the stall counts against our own health');
});

test('leave: the left record goes directly to every live member, then the machine is inert', () => {
  const d = new Driver(1);
  d.startWith([2, 3, 4]);
  d.receive(2, MessageType.Gossip, { updates: [wire(4, 'dead', 0, { by: 'n2' })] });
  const out = d.call('leave', (now) => d.m.leave(now));
  const sends = out.filter(isSend(MessageType.Gossip)) as Send[];
  assert.deepEqual(sends.map((s) => s.to.id).sort(), ['n2', 'n3']);
  for (const s of sends) assert.deepEqual((s.body as { updates: WireMember[] }).updates.map((u) => [u.id, u.state, u.by]), [['n1', 'left', 'n1']]);
  const change = out.find((o) => o.kind === 'change') as Change;
  assert.deepEqual([change.previous, change.member.state, change.reason], ['alive', 'left', 'announced leave']);
  assert.equal(d.m.nextDeadlineMs(), Infinity);
  assert.deepEqual(d.receive(2, MessageType.Ping, { seq: 1, target: 'n1', updates: [] }), []);
  assert.deepEqual(d.call('tick', (now) => d.m.tick(now + 10_000)), []);
});

test('dead records are forgotten after deadRetentionMs, counted from the age the claim carried', () => {
  const d = new Driver(1, { deadRetentionMs: 10_000 });
  d.startWith([2]);
  d.autoAck.add('n2');
  d.receive(2, MessageType.Gossip, { updates: [wire(3, 'dead', 0, { by: 'n2', ageMs: 6_000 }), wire(4, 'dead', 0, { by: 'n2' })] });
  d.advanceTo(3_999);
  assert.ok(d.m.member('n3'));
  d.advanceTo(4_000);
  assert.equal(d.m.member('n3'), undefined);
  assert.ok(d.m.member('n4'));
  d.advanceTo(10_000);
  assert.equal(d.m.member('n4'), undefined);
});

test('periodic Sync goes to a random member, dead ones included (gossip to the dead)', () => {
  const d = new Driver(1, { syncIntervalMs: 1_000 });
  d.startWith([2, 3]);
  d.autoAck.add('n2').add('n3');
  d.receive(2, MessageType.Gossip, { updates: [wire(4, 'dead', 0, { by: 'n2' })] });
  d.advanceTo(60_000);
  const targets = new Set(d.sends(MessageType.Sync).map((s) => s.to.id));
  assert.deepEqual([...targets].sort(), ['n2', 'n3', 'n4']);
});

test('untrusted bodies: anything invalid is ignored with a warning, and nothing ever throws', () => {
  const d = new Driver(1);
  d.startWith([2]);
  const warn = d.receive(2, MessageType.Ack, { seq: 'x', updates: [] });
  assert.deepEqual(warn, [{ kind: 'warn', reason: 'ignored Ack from n2: body.seq: expected an integer in 0..9007199254740991' }]);
  assert.equal(d.receive(2, 99, {}).at(0)?.kind, 'warn');
  const types = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 99];
  fc.assert(
    fc.property(fc.constantFrom(...types), fc.anything(), fc.integer({ min: 2, max: 9 }), (type, body, from) => {
      const out = d.m.receive(d.nowMs, peer(from), type, body);
      assert.ok(Array.isArray(out));
    }),
    { numRuns: 500 },
  );
  const before = d.m.members().length;
  d.receive(2, MessageType.Gossip, { updates: [wire(2), { ...wire(7), incarnation: -1 }] });
  assert.equal(d.m.members().length, before, 'one bad entry rejects the whole message');
});

test('before start() messages are ignored with a warning', () => {
  const d = new Driver(1);
  const out = d.receive(2, MessageType.Ping, { seq: 1, target: 'n1', updates: [] });
  assert.equal(out.length, 1);
  assert.equal(out[0]!.kind, 'warn');
});
