/**
 * Wire-cost benchmark (issue 5 part 4). The seed's promise: traffic grows with the number of
 * copies, not with the cluster.
 *
 * 1. Bytes and messages the whole cluster sends per session update, for a 10 KiB session where one
 *    20-byte attribute changes, at 3, 5 and 9 members (real processes on loopback, replicas 2).
 *    Every member's transport counts what it sends per message type (GET /status → traffic); the
 *    benchmark reads the counters of all members before and after a batch of updates and divides.
 *    Updates go to the primary through the HTTP API (the HTTP bytes are not peer traffic).
 * 2. Membership messages per member per second at 3, 9 and 27 members, idle cluster, measured the
 *    same way over a fixed window once the cluster has settled.
 */
import { quietTable, startChildMember, stopChild, until, BENCH_TOKEN, type ChildMember } from './lib/mesh.js';
import { printTable } from './lib/table.js';
import { writePart } from './lib/results.js';
import type { NodeStatus } from '../src/node/status.js';
import type { TrafficCount } from '../src/transport/traffic.js';

const QUICK = process.env.BENCH_QUICK === '1';
const UPDATES = QUICK ? 100 : 500;
const UPDATE_SIZES = [3, 5, 9];
const MEMBERSHIP_SIZES = QUICK ? [3, 9] : [3, 9, 27];
const MEMBERSHIP_WINDOW_MS = QUICK ? 3000 : 10_000;
const REPLICAS = 2;

async function status(m: ChildMember): Promise<NodeStatus> {
  const res = await fetch(`http://${m.http}/status`, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as NodeStatus;
}

async function api(m: ChildMember, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`http://${m.http}${path}`, {
    method,
    headers: { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function startCluster(n: number, extra: string[] = []): Promise<ChildMember[]> {
  const members: ChildMember[] = [];
  const first = await startChildMember('wire-1', [], ['--replicas', String(REPLICAS), ...extra]);
  members.push(first);
  // Start the rest a few at a time: 2 cores, and each member is a Node process.
  for (let i = 2; i <= n; i += 4) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(4, n - i + 1) }, (_, k) => startChildMember(`wire-${i + k}`, [first.peer], ['--replicas', String(REPLICAS), ...extra])),
    );
    members.push(...batch);
  }
  return members;
}

/** Every member sees n alive members, and the partition table is full and quiet for a second. */
async function waitSettled(members: ChildMember[], withTable: boolean): Promise<void> {
  const quiet = quietTable(1000);
  await until(`${members.length} members to settle`, 60_000, async () => {
    const all = await Promise.all(members.map(status));
    const converged = all.every((s) => s.members.filter((m) => m.state === 'alive').length === members.length);
    if (!converged) return false;
    if (!withTable) return true;
    const p = all[0]!.partitions;
    return quiet(p !== undefined && p !== null && p.owners.every((row) => row.length === REPLICAS) && all.every((s) => s.partitions?.epoch === p.epoch), p?.epoch ?? -1);
  });
}

function sum(all: NodeStatus[], pick: (s: NodeStatus) => TrafficCount): TrafficCount {
  return all.reduce((a, s) => ({ messages: a.messages + pick(s).messages, bytes: a.bytes + pick(s).bytes }), { messages: 0, bytes: 0 });
}

async function updateCost(n: number): Promise<Record<string, number>> {
  const members = await startCluster(n);
  try {
    await waitSettled(members, true);
    // A 10 KiB session, created on member 1 (it is the primary: ids are drawn so).
    const data = { blob: 'x'.repeat(10 * 1024 - 40), flag: 'a'.repeat(20) };
    const created = await api(members[0]!, 'POST', '/v1/sessions', { data });
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.json)}`);
    const id = (created.json as { id: string }).id;
    const before = await Promise.all(members.map(status));
    const t0 = Date.now();
    for (let i = 0; i < UPDATES; i++) {
      // A 20-byte value that differs each time.
      const r = await api(members[0]!, 'PATCH', `/v1/sessions/${id}`, { set: { flag: String(i).padStart(20, '0') } });
      if (r.status !== 200) throw new Error(`update failed: ${r.status} ${JSON.stringify(r.json)}`);
    }
    const windowMs = Date.now() - t0;
    const after = await Promise.all(members.map(status));
    const repl = (s: NodeStatus) => s.traffic!.families.sent.replication;
    const memb = (s: NodeStatus) => s.traffic!.families.sent.membership;
    // The write's own messages: the delta to each backup and its ack.
    const write = (s: NodeStatus) => {
      const d = s.traffic!.sent.ReplDelta ?? { messages: 0, bytes: 0 };
      const a = s.traffic!.sent.ReplDeltaAck ?? { messages: 0, bytes: 0 };
      return { messages: d.messages + a.messages, bytes: d.bytes + a.bytes };
    };
    const w0 = sum(before, write);
    const w1 = sum(after, write);
    const r0 = sum(before, repl);
    const r1 = sum(after, repl);
    const m0 = sum(before, memb);
    const m1 = sum(after, memb);
    return {
      members: n,
      bytesPerUpdate: (w1.bytes - w0.bytes) / UPDATES,
      messagesPerUpdate: (w1.messages - w0.messages) / UPDATES,
      // Everything replication sent meanwhile (table refreshes, anti-entropy), per update.
      allReplicationBytesPerUpdate: (r1.bytes - r0.bytes) / UPDATES,
      windowMs,
      membershipBytesMeanwhile: m1.bytes - m0.bytes,
    };
  } finally {
    await Promise.all(members.map((m) => stopChild(m, 'SIGKILL')));
  }
}

async function membershipRate(n: number): Promise<Record<string, number>> {
  const members = await startCluster(n);
  try {
    await waitSettled(members, true);
    const before = await Promise.all(members.map(status));
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, MEMBERSHIP_WINDOW_MS));
    const after = await Promise.all(members.map(status));
    const seconds = (Date.now() - t0) / 1000;
    const memb = (s: NodeStatus) => s.traffic!.families.sent.membership;
    const repl = (s: NodeStatus) => s.traffic!.families.sent.replication;
    const m = { messages: sum(after, memb).messages - sum(before, memb).messages, bytes: sum(after, memb).bytes - sum(before, memb).bytes };
    const r = { messages: sum(after, repl).messages - sum(before, repl).messages, bytes: sum(after, repl).bytes - sum(before, repl).bytes };
    return {
      members: n,
      membershipMsgsPerMemberPerSec: m.messages / n / seconds,
      membershipBytesPerMemberPerSec: m.bytes / n / seconds,
      idleReplicationBytesPerMemberPerSec: r.bytes / n / seconds,
    };
  } finally {
    await Promise.all(members.map((m) => stopChild(m, 'SIGKILL')));
  }
}

async function main(): Promise<void> {
  console.log(`bench:wire — ${UPDATES} updates of one 20-byte attribute in a 10 KiB session, replicas ${REPLICAS}`);
  const updates: Array<Record<string, number>> = [];
  for (const n of UPDATE_SIZES) {
    process.stdout.write(`  ${n} members ... `);
    const r = await updateCost(n);
    console.log(`${r.bytesPerUpdate!.toFixed(0)} bytes/update`);
    updates.push(r);
  }
  const budget = (REPLICAS - 1) * 256;
  printTable(
    ['members', 'bytes / update', 'messages / update', `≤ ${budget} bytes`, 'all replication bytes in the window / update'],
    updates.map((r) => [String(r.members), r.bytesPerUpdate!, r.messagesPerUpdate!, r.bytesPerUpdate! <= budget ? 'yes' : 'NO', r.allReplicationBytesPerUpdate!]),
  );
  console.log(`\nMembership traffic, idle cluster, ${MEMBERSHIP_WINDOW_MS / 1000} s window`);
  const membership: Array<Record<string, number>> = [];
  for (const n of MEMBERSHIP_SIZES) {
    process.stdout.write(`  ${n} members ... `);
    const r = await membershipRate(n);
    console.log(`${r.membershipMsgsPerMemberPerSec!.toFixed(2)} msgs/member/s`);
    membership.push(r);
  }
  printTable(
    ['members', 'msgs / member / s', 'bytes / member / s', 'idle replication bytes / member / s'],
    membership.map((r) => [String(r.members), r.membershipMsgsPerMemberPerSec!, r.membershipBytesPerMemberPerSec!, r.idleReplicationBytesPerMemberPerSec!]),
  );
  const flat = Math.max(...updates.map((u) => u.bytesPerUpdate!)) / Math.min(...updates.map((u) => u.bytesPerUpdate!));
  console.log(`\nbytes per update, largest / smallest cluster: ${flat.toFixed(2)}x (flat means ≈ 1)`);
  writePart('wire', { quick: QUICK, replicas: REPLICAS, updates, membership, budgetBytes: budget });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
