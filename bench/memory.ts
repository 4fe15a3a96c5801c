/**
 * Memory benchmark (issue 5 part 5): heap bytes per stored session copy beyond its encoded size,
 * at 100 000 sessions. One member with replicas 1 holds exactly one copy of each session, so the
 * heap it gains while sessions are created, divided by their number, is the cost of one copy
 * (record, attribute table, stamps, id, values, store and expiry-index entries). The encoded size
 * is what the same copy takes on the wire (src/session/codec.ts). Run with --expose-gc.
 */
import { createNode } from '../src/index.js';
import { encodeRecord } from '../src/session/codec.js';
import type { SessionRecord } from '../src/session/record.js';
import { printTable } from './lib/table.js';
import { writePart } from './lib/results.js';
import { oneKiBSession } from './lib/sessions.js';

const QUICK = process.env.BENCH_QUICK === '1';
const COUNT = QUICK ? 20_000 : 100_000;

const gc = (globalThis as { gc?: () => void }).gc;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

const shapes: Array<{ name: string; data: (i: number) => Record<string, unknown> }> = [
  // What express-session stores for a logged-in user with a counter (cookie included).
  { name: 'small (express-session, user + counter)', data: (i) => ({ cookie: { originalMaxAge: 86_400_000, expires: new Date(1_800_000_000_000 + i), httpOnly: true, path: '/' }, userId: `user-${i}`, views: i % 100 }) },
  { name: '1 KiB (user, cart, prefs)', data: oneKiBSession },
];

async function main(): Promise<void> {
  if (!gc) {
    console.error('bench:memory needs --expose-gc (npm run bench:memory passes it)');
    process.exit(2);
  }
  console.log(`bench:memory — ${COUNT.toLocaleString('en-US')} sessions per shape, one copy each (1 member, replicas 1)`);
  const rows: Array<Record<string, number | string>> = [];
  for (const shape of shapes) {
    const node = await createNode({ name: 'bench-mem', port: 0, insecure: true, replicas: 1, logLevel: 'warn' });
    try {
      // Wait for the first partition table, then create one session to warm every code path.
      const first = await retryUntilTable(() => node.sessions.create({ data: shape.data(0) }));
      void first;
      const before = await settledHeap();
      const ids: string[] = [];
      for (let i = 1; i <= COUNT; i++) {
        ids.push((await node.sessions.create({ data: shape.data(i) })).id);
        if (i % 20_000 === 0) process.stdout.write(`  ${shape.name}: ${i.toLocaleString('en-US')} created\r`);
      }
      const after = await settledHeap();
      // The id strings are held by this benchmark too (ids[]); count them once, not twice:
      // the array's slots (8 bytes each) are the benchmark's own.
      const idArrayBytes = ids.length * 8;
      const perCopy = (after - before - idArrayBytes) / COUNT;
      const store = (node as unknown as { service: { replicator: { store: { get(id: string): SessionRecord | undefined } } } }).service.replicator.store;
      let encoded = 0;
      for (const id of ids) encoded += encodeRecord(store.get(id)!).length;
      const encodedPerCopy = encoded / COUNT;
      const json = Buffer.byteLength(JSON.stringify(shape.data(1)));
      rows.push({ shape: shape.name, json, encoded: encodedPerCopy, heap: perCopy, overhead: perCopy - encodedPerCopy });
      process.stdout.write('\n');
    } finally {
      await node.close();
    }
  }
  console.log('');
  printTable(
    ['session shape', 'JSON bytes', 'encoded bytes', 'heap bytes / copy', 'overhead / copy', 'target ≤ 300'],
    rows.map((r) => [r.shape as string, r.json as number, r.encoded as number, r.heap as number, r.overhead as number, (r.overhead as number) <= 300 ? 'yes' : 'NO']),
  );
  writePart('memory', { sessions: COUNT, quick: QUICK, rows });
}

async function retryUntilTable<T>(f: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await f();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
