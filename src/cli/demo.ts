/**
 * `sessionmesh demo` (what `npm run demo` runs): the Express demo — three example apps, each one
 * a cluster member, behind a built-in round-robin balancer on http://127.0.0.1:8080
 * (src/demo/launcher.ts). `--workload` runs the terminal-only demo over the HTTP session API
 * instead (src/demo/workload.ts).
 */
import { parseArgs } from 'node:util';
import { UsageError } from './args.js';
import { DEFAULT_DEMO_PORT, runExpressDemo } from '../demo/launcher.js';
import { runWorkloadDemo } from '../demo/workload.js';

export const DEMO_USAGE = `Usage: sessionmesh demo [--port N]
       sessionmesh demo --workload [--base-port N] [--duration-ms N]

Starts three copies of examples/express/app.js (Express + express-session with the sessionmesh
store), each one a cluster member, behind a round-robin load balancer, and prints the page to open.
Kill a member from the page (or with kill -9) and the counter goes on. Ctrl-C stops everything.

Options:
  --port N        balancer port (default ${DEFAULT_DEMO_PORT}, or SESSIONMESH_DEMO_PORT); the apps use
                  N+1..N+3 and their cluster peers N+101..N+103
  --workload      instead: three \`sessionmesh start\` members and a counter workload through
                  their HTTP API, shown in the terminal
  --help, -h      show this help
`;

export async function runDemo(argv: string[]): Promise<number> {
  if (argv.includes('--workload')) return runWorkloadDemo(argv.filter((a) => a !== '--workload'));
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(DEMO_USAGE);
    return 0;
  }
  const raw = values.port ?? process.env.SESSIONMESH_DEMO_PORT;
  const port = raw === undefined || raw === '' ? DEFAULT_DEMO_PORT : Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65432) throw new UsageError(`--port must be an integer 1..65432, got "${raw}"`);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await runExpressDemo({ port, out: process.stdout, signal: stop.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
