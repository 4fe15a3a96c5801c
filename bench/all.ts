/**
 * `npm run bench`: every part in turn (each in its own process, as `npm run bench:<part>` runs it),
 * then the chart. Parts: store, http, failover, wire, memory. `BENCH_QUICK=1` shortens every part
 * (a smoke run; its numbers are not the ones the docs quote).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const parts: Array<{ name: string; file: string; nodeArgs?: string[] }> = [
  { name: 'store', file: 'store.js' },
  { name: 'http', file: 'http.js' },
  { name: 'failover', file: 'failover.js' },
  { name: 'wire', file: 'wire.js' },
  { name: 'memory', file: 'memory.js', nodeArgs: ['--expose-gc'] },
  { name: 'chart', file: 'chart.js' },
];

const only = process.argv.slice(2);
let failed = 0;
for (const p of parts.filter((x) => only.length === 0 || only.includes(x.name))) {
  console.log(`\n=== bench:${p.name} ===`);
  const r = spawnSync(process.execPath, [...(p.nodeArgs ?? []), fileURLToPath(new URL(`./${p.file}`, import.meta.url))], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench:${p.name} failed (exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed > 0 ? 1 : 0);
