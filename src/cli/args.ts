/**
 * Command-line parsing for `sessionmesh`. Bad input is a UsageError: the CLI prints its message
 * and exits with status 2, never a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { NodeOptions } from '../node/options.js';

export class UsageError extends Error {}

export const START_USAGE = `Usage: sessionmesh start [options]

Starts a cluster member and keeps it running until SIGINT/SIGTERM (then leaves gracefully).

  --name NAME              member name shown in status and logs (default: <hostname>-<pid>)
  --cluster NAME           cluster name; members of other clusters are refused (default: sessionmesh)
  --host HOST              interface for the peer listener (default: 127.0.0.1)
  --port PORT              peer port (default: 7400; 0 = any free port)
  --advertise-host HOST    host other members dial, if --host is a wildcard (default: --host)
  --http-port PORT         HTTP port for /healthz and /status (default: none)
  --http-host HOST         HTTP interface (default: --host)
  --seeds H:P,H:P          known members to join through; one reachable seed is enough
  --multicast [GROUP:PORT] find members by UDP multicast (default group 239.255.77.77:7399)
  --dns NAME               find members by DNS (SRV, else A/AAAA with --port), re-resolved periodically
  --dns-interval-ms MS     DNS re-resolve interval (default: 5000)
  --dns-servers H:P,H:P    DNS servers to ask instead of the system's
  --secret SECRET          shared cluster secret (or env SESSIONMESH_SECRET); required unless --insecure
  --insecure               run without a secret (development only)
  --role member|client     member holds sessions, client only joins membership (default: member)
  --zone ZONE              zone/rack label for placement
  --replicas N|all         copies of each session, primary included, 1..7 or all (default: 2)
  --ack all|one|none       when a write is acknowledged (default: all backups)
  --quorum none|majority   majority: the minority side of a split refuses writes (default: none)
  --partitions N           partitions in the cluster, same on every member (default: 271)
  --op-timeout-ms MS       bound for one session operation (default: 5000)
  --leave-timeout-ms MS    on SIGTERM/SIGINT, wait this long for the hand-off of this member's
                           partitions before leaving anyway (default: 20000; 0 = no hand-off)
  --drain-ms MS            on SIGTERM/SIGINT, keep answering HTTP at least this long after /healthz
                           turned 503, for load balancers to notice (default: 2000)
  --api-token TOKEN        enable the HTTP session API /v1/sessions (or env SESSIONMESH_API_TOKEN)
  --near-cache             keep reads of sessions whose primary is another member, invalidated by
                           that primary (default: off)
  --near-cache-entries N   near cache size, least recently used evicted (default: 10000)
  --near-cache-max-age-ms MS  an entry is not answered after this long (default: 10000)
  --log-level LEVEL        trace|debug|info|warn|error (default: info)
`;

export const STATUS_USAGE = `Usage: sessionmesh status --http HOST:PORT [--json]

Prints the member table of the member whose HTTP server is at HOST:PORT.
  --json    print the raw /status JSON
`;

export const MAIN_USAGE = `Usage: sessionmesh <command> [options]

Commands:
  start     run a cluster member (sessionmesh start --help)
  status    show a member's view of the cluster (sessionmesh status --help)
  demo      three Express apps sharing sessions behind a load balancer (sessionmesh demo --help)

Options:
  --help, -h     show help
  --version, -v  show the version
`;

function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>): { values: Record<string, string | boolean | undefined> } {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }) as { values: Record<string, string | boolean | undefined> };
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n').filter((l) => !l.startsWith('To specify')).join(' '));
  }
}

function intFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export interface StartCommand {
  help: boolean;
  options: NodeOptions;
}

export function parseStart(argv: string[], env: NodeJS.ProcessEnv): StartCommand {
  // `--multicast` takes an optional value; parseArgs does not support that, so give it an
  // explicit empty value when no GROUP:PORT follows.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--multicast' && (i + 1 >= argv.length || argv[i + 1]!.startsWith('--'))) args.push('--multicast=');
    else args.push(a);
  }
  const { values } = parse(args, {
    help: { type: 'boolean', short: 'h' },
    name: { type: 'string' },
    cluster: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'advertise-host': { type: 'string' },
    'http-port': { type: 'string' },
    'http-host': { type: 'string' },
    seeds: { type: 'string' },
    multicast: { type: 'string' },
    dns: { type: 'string' },
    'dns-interval-ms': { type: 'string' },
    'dns-servers': { type: 'string' },
    secret: { type: 'string' },
    insecure: { type: 'boolean' },
    role: { type: 'string' },
    zone: { type: 'string' },
    'log-level': { type: 'string' },
    replicas: { type: 'string' },
    ack: { type: 'string' },
    quorum: { type: 'string' },
    partitions: { type: 'string' },
    'op-timeout-ms': { type: 'string' },
    'leave-timeout-ms': { type: 'string' },
    'drain-ms': { type: 'string' },
    'api-token': { type: 'string' },
    'near-cache': { type: 'boolean' },
    'near-cache-entries': { type: 'string' },
    'near-cache-max-age-ms': { type: 'string' },
  });
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) return { help: true, options: {} };
  const str = (k: string) => v[k] as string | undefined;
  const role = str('role');
  if (role !== undefined && role !== 'member' && role !== 'client') throw new UsageError(`--role must be "member" or "client", got "${role}"`);
  const logLevel = str('log-level');
  if (logLevel !== undefined && !LOG_LEVELS.has(logLevel)) throw new UsageError(`--log-level must be one of ${[...LOG_LEVELS].join(', ')}`);
  const seeds = str('seeds');
  const port = intFlag('port', str('port'));
  const httpPort = intFlag('http-port', str('http-port'));
  if (port !== undefined && port > 65535) throw new UsageError(`--port must be 0..65535, got ${port}`);
  if (httpPort !== undefined && httpPort > 65535) throw new UsageError(`--http-port must be 0..65535, got ${httpPort}`);
  const secret = str('secret') ?? env.SESSIONMESH_SECRET;
  const apiToken = str('api-token') ?? env.SESSIONMESH_API_TOKEN;
  const replicasText = str('replicas');
  let replicas: number | 'all' | undefined;
  if (replicasText !== undefined) {
    if (replicasText === 'all') replicas = 'all';
    else if (/^[1-7]$/.test(replicasText)) replicas = Number(replicasText);
    else throw new UsageError(`--replicas must be 1..7 or "all", got "${replicasText}"`);
  }
  const ack = str('ack');
  if (ack !== undefined && !['all', 'one', 'none'].includes(ack)) throw new UsageError(`--ack must be all, one or none, got "${ack}"`);
  const quorum = str('quorum');
  if (quorum !== undefined && !['none', 'majority'].includes(quorum)) throw new UsageError(`--quorum must be none or majority, got "${quorum}"`);
  const nearEntries = intFlag('near-cache-entries', str('near-cache-entries'));
  const nearMaxAgeMs = intFlag('near-cache-max-age-ms', str('near-cache-max-age-ms'));
  if ((nearEntries !== undefined || nearMaxAgeMs !== undefined) && v['near-cache'] !== true) throw new UsageError('--near-cache-entries and --near-cache-max-age-ms need --near-cache');
  if (nearEntries === 0 || nearMaxAgeMs === 0) throw new UsageError('--near-cache-entries and --near-cache-max-age-ms must be at least 1');
  const options: NodeOptions = {
    name: str('name'),
    cluster: str('cluster'),
    host: str('host'),
    port,
    advertiseHost: str('advertise-host'),
    httpPort: httpPort ?? null,
    httpHost: str('http-host'),
    seeds: seeds === undefined ? [] : seeds.split(',').map((s) => s.trim()).filter(Boolean),
    multicast: v.multicast === undefined ? undefined : v.multicast === '' ? true : (v.multicast as string),
    dns: str('dns'),
    dnsIntervalMs: intFlag('dns-interval-ms', str('dns-interval-ms')),
    dnsServers: str('dns-servers')?.split(',').map((s) => s.trim()).filter(Boolean),
    secret: secret === '' ? undefined : secret,
    insecure: v.insecure === true,
    role: role as NodeOptions['role'],
    zone: str('zone'),
    logLevel,
    replicas,
    ack: ack as NodeOptions['ack'],
    quorum: quorum as NodeOptions['quorum'],
    partitions: intFlag('partitions', str('partitions')),
    opTimeoutMs: intFlag('op-timeout-ms', str('op-timeout-ms')),
    leaveTimeoutMs: intFlag('leave-timeout-ms', str('leave-timeout-ms')),
    drainMs: intFlag('drain-ms', str('drain-ms')),
    apiToken: apiToken === '' ? undefined : apiToken,
    nearCache: v['near-cache'] !== true ? undefined : nearEntries === undefined && nearMaxAgeMs === undefined ? true : { ...(nearEntries === undefined ? {} : { maxEntries: nearEntries }), ...(nearMaxAgeMs === undefined ? {} : { maxAgeMs: nearMaxAgeMs }) },
  };
  for (const k of Object.keys(options) as Array<keyof NodeOptions>) if (options[k] === undefined) delete options[k];
  return { help: false, options };
}

export interface StatusCommand {
  help: boolean;
  http: string;
  json: boolean;
}

export function parseStatus(argv: string[]): StatusCommand {
  const { values } = parse(argv, {
    help: { type: 'boolean', short: 'h' },
    http: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return { help: true, http: '', json: false };
  if (typeof values.http !== 'string' || values.http === '') throw new UsageError('status needs --http HOST:PORT (the member\'s HTTP address)');
  return { help: false, http: values.http, json: values.json === true };
}
