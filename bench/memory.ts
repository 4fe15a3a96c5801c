/**
 * Memory benchmark (issue 5 part 5): heap bytes per stored session copy beyond its encoded size,
 * at 100 000 sessions. One member with replicas 1 holds exactly one copy of each session, so the
 * heap it gains while sessions are created, divided by their number, is the cost of one copy
 * (record, attribute table, stamps, id, values, store and expiry-index entries). The encoded size
 * is what the same copy takes on the wire (src/session/codec.ts). Run with --expose-gc.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

type Row = { shape: string; json: number; encoded: number; heap: number; overhead: number };

/**
 * One shape, measured in this process (started by main() with `--shape N`): a fresh process per
 * shape, because a closed member's heap may be freed only during the next shape's measurement
 * and would be subtracted from it.
 */
async function measureShape(shape: (typeof shapes)[number]): Promise<Row> {
  const node = await createNode({ name: 'bench-mem', port: 0, insecure: true, replicas: 1, logLevel: 'warn' });
  try {
    // Wait for the first partition table, then create one session to warm every code path.
    await retryUntilTable(() => node.sessions.create({ data: shape.data(0) }));
    const before = await settledHeap();
    const ids: string[] = [];
    for (let i = 1; i <= COUNT; i++) {
      ids.push((await node.sessions.create({ data: shape.data(i) })).id);
      if (i % 20_000 === 0) process.stderr.write(`  ${shape.name}: ${i.toLocaleString('en-US')} created\r`);
    }
    const after = await settledHeap();
    process.stderr.write('\n');
    // The id strings are held by this benchmark too (ids[]); count them once, not twice:
    // the array's slots (8 bytes each) are the benchmark's own.
    const idArrayBytes = ids.length * 8;
    const perCopy = (after - before - idArrayBytes) / COUNT;
    const store = (node as unknown as { service: { replicator: { store: { get(id: string): SessionRecord | undefined } } } }).service.replicator.store;
    let encoded = 0;
    for (const id of ids) encoded += encodeRecord(store.get(id)!).length;
    const encodedPerCopy = encoded / COUNT;
    const json = Buffer.byteLength(JSON.stringify(shape.data(1)));
    return { shape: shape.name, json, encoded: encodedPerCopy, heap: perCopy, overhead: perCopy - encodedPerCopy };
  } finally {
    await node.close();
  }
}

async function main(): Promise<void> {
  if (!gc) {
    console.error('bench:memory needs --expose-gc (npm run bench:memory passes it)');
    process.exit(2);
  }
  const shapeArg = process.argv.indexOf('--shape');
  if (shapeArg !== -1) {
    const row = await measureShape(shapes[Number(process.argv[shapeArg + 1])]!);
    console.log(`ROW ${JSON.stringify(row)}`);
    process.exit(0); // stdout is a pipe: written synchronously on Linux

  }
  console.log(`bench:memory — ${COUNT.toLocaleString('en-US')} sessions per shape, one copy each (1 member, replicas 1), each shape in its own process`);
  const rows: Row[] = [];
  for (let i = 0; i < shapes.length; i++) {
    const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--shape', String(i)], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env: process.env });
    const line = r.stdout.split('\n').find((l) => l.startsWith('ROW '));
    if (r.status !== 0 || line === undefined) throw new Error(`measuring "${shapes[i]!.name}" failed (exit ${r.status ?? r.signal}):\n${r.stdout}`);
    rows.push(JSON.parse(line.slice(4)) as Row);
  }
  console.log('');
  printTable(
    ['session shape', 'JSON bytes', 'encoded bytes', 'heap bytes / copy', 'overhead / copy', 'target ≤ 300'],
    rows.map((r) => [r.shape, r.json, r.encoded, r.heap, r.overhead, r.overhead <= 300 ? 'yes' : 'NO']),
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
