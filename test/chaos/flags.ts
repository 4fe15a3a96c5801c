/** Command line of the chaos runner (`npm run chaos -- …`). */
import { parseArgs } from 'node:util';

export const USAGE = `Usage: npm run chaos -- [options]     (node dist/test/chaos/run.js [options], as root)

Runs real sessionmesh members in network namespaces under faults and checks the history.
  --ci                 the bounded CI subset (combinations that hold today), a few minutes
  --seed N             seed of the run (default: random, printed); same seed and --only = same schedule
  --only PATTERNS      nemesis/workload/mode, comma-separated, * for any part
                       (e.g. kill9, pause/incr, */*/majority)
  --duration S         seconds of faults per scenario (default 15)
  --clients N          clients per scenario, spread over its workloads (default 9)
  --sessions N         sessions per scenario, split over its workloads (default 15)
  --out DIR            where results go (default chaos-results)
`;

export interface Flags {
  help: boolean;
  ci: boolean;
  seed: number;
  only: string[];
  durationMs: number;
  clients: number;
  sessions: number;
  outDir: string;
}

function positiveInt(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`--${name} must be a positive integer, got "${v}"`);
  return Number(v);
}

export function parseFlags(argv: string[]): Flags {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      ci: { type: 'boolean' },
      seed: { type: 'string' },
      only: { type: 'string' },
      duration: { type: 'string' },
      clients: { type: 'string' },
      sessions: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (values.seed !== undefined && !/^\d+$/.test(values.seed)) throw new Error(`--seed must be a non-negative integer, got "${values.seed}"`);
  return {
    help: values.help === true,
    ci: values.ci === true,
    seed: values.seed !== undefined ? Number(values.seed) >>> 0 : Math.floor(Math.random() * 2 ** 31),
    only: values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : [],
    durationMs: positiveInt('duration', values.duration, 15) * 1000,
    clients: positiveInt('clients', values.clients, 9),
    sessions: positiveInt('sessions', values.sessions, 15),
    outDir: values.out ?? 'chaos-results',
  };
}
