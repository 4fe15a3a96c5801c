/**
 * Renders bench/results/chart.svg from bench/results/latest.json: one row per measure, one bar
 * per contender, lengths relative to sessionmesh (= 1). Plain SVG, no dependency.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readResults } from './lib/results.js';

const OUT = fileURLToPath(new URL('../../bench/results/chart.svg', import.meta.url));

interface Row {
  measure: string;
  /** Higher is better for this measure. */
  higherIsBetter: boolean;
  bars: Array<{ name: string; value: number }>;
}

type StoreResult = { scenario: string; concurrency: number; opsPerSec: number; p50Us: number };
type HttpRow = { store: string; reqPerSec: number; p99Ms: number };

function rows(): Row[] {
  const all = readResults() as { store?: { results: StoreResult[] }; http?: { summary: HttpRow[] } };
  const out: Row[] = [];
  const s = all.store?.results;
  if (s) {
    const f = (name: string, c: number) => s.find((r) => r.scenario === name && r.concurrency === c);
    const pair = (measure: string, a: string, b: string, c: number, key: 'opsPerSec' | 'p50Us', higher: boolean) => {
      const x = f(a, c);
      const y = f(b, c);
      if (x && y) out.push({ measure, higherIsBetter: higher, bars: [{ name: 'sessionmesh', value: x[key] }, { name: 'redis', value: y[key] }] });
    };
    pair('write p50 µs, 1 in flight', 'write on the primary', 'redis SET (node-redis)', 1, 'p50Us', false);
    pair('read p50 µs, 1 in flight', 'read on the primary', 'redis GET (node-redis)', 1, 'p50Us', false);
    pair('writes/s, 256 in flight', 'write on the primary', 'redis SET (node-redis)', 256, 'opsPerSec', true);
    pair('reads/s, 256 in flight', 'read on the primary', 'redis GET (node-redis)', 256, 'opsPerSec', true);
  }
  const h = all.http?.summary;
  if (h) {
    const bars = (key: 'reqPerSec' | 'p99Ms') => h.map((r) => ({ name: r.store, value: r[key] }));
    out.push({ measure: 'HTTP req/s (express-session)', higherIsBetter: true, bars: bars('reqPerSec') });
    out.push({ measure: 'HTTP p99 ms (express-session)', higherIsBetter: false, bars: bars('p99Ms') });
  }
  return out;
}

const COLORS: Record<string, string> = { sessionmesh: '#2b6cb0', redis: '#c53030', 'connect-redis': '#c53030', memorystore: '#718096' };

function render(data: Row[]): string {
  const barH = 16;
  const gap = 6;
  const left = 250;
  const width = 760;
  const scaleW = width - left - 120;
  let y = 40;
  const parts: string[] = [];
  for (const row of data) {
    parts.push(`<text x="10" y="${y + barH}" font-size="13" font-weight="bold">${row.measure}</text>`);
    parts.push(`<text x="10" y="${y + barH + 15}" font-size="11" fill="#555">${row.higherIsBetter ? 'longer is better' : 'shorter is better'}</text>`);
    const max = Math.max(...row.bars.map((b) => b.value));
    for (const b of row.bars) {
      const w = max > 0 ? Math.max(1, (b.value / max) * scaleW) : 1;
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[b.name] ?? '#999'}"/>`);
      parts.push(`<text x="${left + w + 6}" y="${y + barH - 4}" font-size="11">${b.name} ${fmt(b.value)}</text>`);
      y += barH + gap;
    }
    y += 18;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="sans-serif">
<text x="10" y="22" font-size="15" font-weight="bold">sessionmesh vs Redis-backed and in-process stores (bench/results/latest.json)</text>
${parts.join('\n')}
</svg>
`;
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

const data = rows();
if (data.length === 0) {
  console.error('bench:chart: no results yet; run npm run bench first');
  process.exit(1);
}
writeFileSync(OUT, render(data));
console.log(`bench: chart written to ${OUT}`);
