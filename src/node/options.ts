/**
 * Options for createNode() and `sessionmesh start`. Every value has a documented default
 * (README "Configuration"), and everything is validated here, once, into ResolvedOptions.
 */
import { hostname } from 'node:os';
import { SessionMeshError } from '../errors.js';
import type { Logger } from '../log.js';
import { parseAddress, type PeerAddress } from '../transport/address.js';
import type { MemberRole } from '../membership/member.js';
import { resolveReplicationConfig, type ReplicationConfig } from '../replication/index.js';
import { resolveMembershipConfig, type MembershipConfig } from '../membership/config.js';
import { DEFAULT_MULTICAST_GROUP, DEFAULT_MULTICAST_PORT } from './discovery/multicast.js';

export const DEFAULT_PEER_PORT = 7400;
export const DEFAULT_CLUSTER = 'sessionmesh';
export const DEFAULT_LEAVE_TIMEOUT_MS = 20_000;
export const DEFAULT_DRAIN_MS = 2_000;
/** Near cache bounds when `nearCache: true` (docs/configuration.md). */
export const DEFAULT_NEAR_CACHE_ENTRIES = 10_000;
export const DEFAULT_NEAR_CACHE_MAX_AGE_MS = 10_000;

export interface NodeOptions {
  /** Human-readable member name, shown in status and logs. Default: `<hostname>-<pid>`. */
  name?: string;
  /** Cluster name; members of other clusters are refused at the handshake. Default `sessionmesh`. */
  cluster?: string;
  /** Interface for the peer (TCP) listener. Default `127.0.0.1`. */
  host?: string;
  /** Peer port. Default 7400; 0 picks a free port. */
  port?: number;
  /** Host other members should dial, when `host` is a wildcard like 0.0.0.0. Default: `host`. */
  advertiseHost?: string;
  /** HTTP port for /healthz, /status (and the session API). Default: none (no HTTP server). */
  httpPort?: number | null;
  /** HTTP interface. Default: `host`. */
  httpHost?: string;
  /** Known members to join through ("host:port"); any one reachable seed is enough. */
  seeds?: Array<string | PeerAddress>;
  /** UDP multicast discovery: `true` for the default group 239.255.77.77:7399, or "group:port". */
  multicast?: boolean | string;
  /** DNS name whose SRV or A/AAAA answers are seeds (re-resolved every `dnsIntervalMs`). */
  dns?: string;
  dnsIntervalMs?: number;
  /** DNS servers to query instead of the system's (mainly for tests). */
  dnsServers?: string[];
  /** Shared cluster secret for the HMAC handshake. Required unless `insecure: true`. */
  secret?: string;
  /** Run without a secret (development only): any process that can reach the port may join. */
  insecure?: boolean;
  /** `member` holds sessions; `client` only takes part in membership. Default `member`. */
  role?: MemberRole;
  /** Zone/rack label; placement spreads copies of a session across zones. */
  zone?: string | null;
  /** Fine-tuning of failure detection (see docs/configuration.md). */
  membership?: Partial<MembershipConfig>;
  /** Largest frame accepted from a peer. Default 8 MiB. */
  maxFrameBytes?: number;
  /** How long a joining member waits for a first seed answer before createNode rejects with ERR_JOIN. Default 0: don't wait (keep retrying in the background). */
  joinTimeoutMs?: number;
  /** Copies of each session: primary + backups, 1..7 or 'all'. Default 2. */
  replicas?: number | 'all';
  /** When a write is acknowledged: after every backup (`all`, default), one backup, or none. */
  ack?: 'all' | 'one' | 'none';
  /** `majority`: the minority side of a network split refuses writes (ERR_NO_QUORUM). Default `none`. */
  quorum?: 'none' | 'majority';
  /** Partitions in the cluster; must be the same on every member. Default 271. */
  partitions?: number;
  /** Upper bound for one session operation, including waiting for a new partition table. Default 5000. */
  opTimeoutMs?: number;
  /**
   * Graceful leave (`close()`, SIGTERM): how long to wait for this member's partitions to be handed
   * off before leaving anyway (logged as a warning with what was still held). Default 20000 (fits in
   * Kubernetes' default 30 s grace period together with the HTTP drain); 0 skips the hand-off
   * (the member leaves like before: its copies are re-replicated from the survivors).
   */
  leaveTimeoutMs?: number;
  /**
   * Graceful leave: the HTTP server keeps answering for at least this long after /healthz turned
   * 503, so load balancers notice before it stops accepting connections. Set it to your load
   * balancer's detection time (health-check interval × failures to mark down). Default 2000.
   */
  drainMs?: number;
  /**
   * Near cache: this member keeps the answer of a `get` it sent to another member (the session's
   * primary), answers later gets of that id itself, and drops it when the primary invalidates it
   * (every write), when the partition's primary changes, the primary dies or the connection to it
   * closes, and after `maxAgeMs` at most. `true` = { maxEntries: 10000, maxAgeMs: 10000 }.
   * Default off. See docs/architecture.md "Near cache" for what a read may miss.
   */
  nearCache?: boolean | { maxEntries?: number; maxAgeMs?: number };
  /** Enables the HTTP session API (/v1/sessions); callers send `Authorization: Bearer <token>`. */
  apiToken?: string;
  /** Largest session (encoded). Default 1 MiB. */
  maxSessionBytes?: number;
  /** Replication fine-tuning (see docs/configuration.md). */
  replication?: Partial<ReplicationConfig>;
  /** A pino-compatible logger. Default: pino at `logLevel` to stdout. */
  logger?: Logger;
  /** Log level for the default logger. Default `info`. */
  logLevel?: string;
}

export interface ResolvedOptions {
  name: string;
  cluster: string;
  host: string;
  port: number;
  advertiseHost: string;
  httpPort: number | null;
  httpHost: string;
  seeds: PeerAddress[];
  multicast: { group: string; port: number } | null;
  dns: string | null;
  dnsIntervalMs: number;
  dnsServers: string[];
  secret: string | null;
  role: MemberRole;
  zone: string | null;
  membership: Partial<MembershipConfig>;
  maxFrameBytes: number;
  joinTimeoutMs: number;
  logLevel: string;
  replication: Partial<ReplicationConfig>;
  apiToken: string | null;
  maxSessionBytes: number;
  leaveTimeoutMs: number;
  drainMs: number;
  /** Bound for one session operation (the resolved replication.opTimeoutMs). */
  opTimeoutMs: number;
}

function fail(message: string): never {
  throw new SessionMeshError('ERR_CONFIG', message);
}

function port(name: string, v: unknown, allowZero = true): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < (allowZero ? 0 : 1) || v > 65535) {
    fail(`${name} must be an integer port ${allowZero ? 0 : 1}..65535, got ${JSON.stringify(v)}`);
  }
  return v;
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function nonNegativeInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v;
}

function text(name: string, v: unknown, maxLength = 128): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLength) fail(`${name} must be a non-empty string of at most ${maxLength} characters`);
  return v;
}

export function resolveOptions(o: NodeOptions): ResolvedOptions {
  if (o === null || typeof o !== 'object') fail('options must be an object');
  const host = o.host === undefined ? '127.0.0.1' : text('host', o.host, 255);
  const p = o.port === undefined ? DEFAULT_PEER_PORT : port('port', o.port);
  const httpPort = o.httpPort === undefined || o.httpPort === null ? null : port('httpPort', o.httpPort);
  if (httpPort !== null && httpPort !== 0 && httpPort === p) fail(`httpPort and port must differ (both ${p})`);
  const seeds = (o.seeds ?? []).map((s) => (typeof s === 'string' ? parseAddress(s, DEFAULT_PEER_PORT) : { host: text('seed host', s.host, 255), port: port('seed port', s.port, false) }));
  let multicast: ResolvedOptions['multicast'] = null;
  if (o.multicast === true || o.multicast === '') multicast = { group: DEFAULT_MULTICAST_GROUP, port: DEFAULT_MULTICAST_PORT };
  else if (typeof o.multicast === 'string') {
    const a = parseAddress(o.multicast, DEFAULT_MULTICAST_PORT);
    if (!isMulticastGroup(a.host)) fail(`multicast group ${a.host} is not a multicast address (224.0.0.0/4 or ff00::/8)`);
    multicast = { group: a.host, port: port('multicast port', a.port, false) };
  } else if (o.multicast !== undefined && o.multicast !== false) fail('multicast must be true, false or "group:port"');
  const secret = o.secret === undefined || o.secret === '' ? null : text('secret', o.secret, 4096);
  if (secret === null && !o.insecure) {
    fail('no cluster secret: pass --secret (or SESSIONMESH_SECRET / options.secret), or --insecure for development without authentication');
  }
  if (secret !== null && secret.length < 8) fail('secret must be at least 8 characters');
  const role = o.role ?? 'member';
  if (role !== 'member' && role !== 'client') fail(`role must be "member" or "client", got ${JSON.stringify(role)}`);
  const membership = { ...(o.membership ?? {}) };
  resolveMembershipConfig(membership); // throws ERR_CONFIG naming the bad or unknown setting
  const replication: Partial<ReplicationConfig> = {
    ...(o.replication ?? {}),
    ...(o.replicas === undefined ? {} : { replicas: o.replicas as ReplicationConfig['replicas'] }),
    ...(o.ack === undefined ? {} : { ack: o.ack }),
    ...(o.quorum === undefined ? {} : { quorum: o.quorum }),
    ...(o.partitions === undefined ? {} : { partitions: o.partitions }),
    ...(o.opTimeoutMs === undefined ? {} : { opTimeoutMs: o.opTimeoutMs }),
    ...nearCacheSettings(o.nearCache),
  };
  const resolvedReplication = resolveReplicationConfig(replication); // throws ERR_CONFIG naming the bad value
  const apiToken = o.apiToken === undefined || o.apiToken === '' ? null : text('apiToken', o.apiToken, 4096);
  if (apiToken !== null && apiToken.length < 8) fail('apiToken must be at least 8 characters');
  return {
    replication,
    apiToken,
    leaveTimeoutMs: o.leaveTimeoutMs === undefined ? DEFAULT_LEAVE_TIMEOUT_MS : nonNegativeInt('leaveTimeoutMs', o.leaveTimeoutMs),
    opTimeoutMs: resolvedReplication.opTimeoutMs,
    drainMs: o.drainMs === undefined ? DEFAULT_DRAIN_MS : nonNegativeInt('drainMs', o.drainMs),
    maxSessionBytes: o.maxSessionBytes === undefined ? 1024 * 1024 : positiveInt('maxSessionBytes', o.maxSessionBytes),
    name: o.name === undefined ? `${hostname()}-${process.pid}` : text('name', o.name, 64),
    cluster: o.cluster === undefined ? DEFAULT_CLUSTER : text('cluster', o.cluster),
    host,
    port: p,
    advertiseHost: o.advertiseHost === undefined ? host : text('advertiseHost', o.advertiseHost, 255),
    httpPort,
    httpHost: o.httpHost === undefined ? host : text('httpHost', o.httpHost, 255),
    seeds,
    multicast,
    dns: o.dns === undefined ? null : text('dns', o.dns, 255),
    dnsIntervalMs: o.dnsIntervalMs === undefined ? 5000 : positiveInt('dnsIntervalMs', o.dnsIntervalMs),
    dnsServers: o.dnsServers ?? [],
    secret,
    role,
    zone: o.zone === undefined || o.zone === null ? null : text('zone', o.zone, 64),
    membership,
    maxFrameBytes: o.maxFrameBytes === undefined ? 8 * 1024 * 1024 : positiveInt('maxFrameBytes', o.maxFrameBytes),
    joinTimeoutMs: o.joinTimeoutMs === undefined ? 0 : Math.max(0, Math.floor(Number(o.joinTimeoutMs)) || 0),
    logLevel: o.logLevel ?? 'info',
  };
}

function nearCacheSettings(v: NodeOptions['nearCache']): Partial<ReplicationConfig> {
  if (v === undefined || v === false) return {};
  if (v === true) return { nearCacheEntries: DEFAULT_NEAR_CACHE_ENTRIES, nearCacheMaxAgeMs: DEFAULT_NEAR_CACHE_MAX_AGE_MS };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail('nearCache must be true, false or { maxEntries, maxAgeMs }');
  for (const k of Object.keys(v)) if (k !== 'maxEntries' && k !== 'maxAgeMs') fail(`nearCache: unknown setting ${JSON.stringify(k)} (maxEntries, maxAgeMs)`);
  return {
    nearCacheEntries: v.maxEntries === undefined ? DEFAULT_NEAR_CACHE_ENTRIES : positiveInt('nearCache.maxEntries', v.maxEntries),
    nearCacheMaxAgeMs: v.maxAgeMs === undefined ? DEFAULT_NEAR_CACHE_MAX_AGE_MS : positiveInt('nearCache.maxAgeMs', v.maxAgeMs),
  };
}

function isMulticastGroup(host: string): boolean {
  const m = /^(\d+)\./.exec(host);
  if (m) {
    const first = Number(m[1]);
    return first >= 224 && first <= 239;
  }
  return host.toLowerCase().startsWith('ff');
}
