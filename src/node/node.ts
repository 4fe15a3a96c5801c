/**
 * The composition root: one cluster member. It owns the real clock, timers and sockets, and
 * drives the pure membership machine with them: transport messages and peer events go in,
 * the machine's sends go out through the transport, its state changes become log lines and events.
 */
import { EventEmitter } from 'node:events';
import { SessionMeshError } from '../errors.js';
import type { Logger } from '../log.js';
import { SystemRandom, monotonicClock, type Clock, type Random } from '../clock/clock.js';
import { formatAddress, type PeerAddress } from '../transport/address.js';
import type { InboundMessage, PeerEvent, Transport } from '../transport/transport.js';
import { TcpTransport } from '../transport/tcp/tcp-transport.js';
import { Membership, type MembershipOutput } from '../membership/membership.js';
import type { MemberInfo, MemberRecord, MemberState } from '../membership/member.js';
import { isMembershipMessageType } from '../membership/messages.js';
import { HttpServer, sendJson } from '../http/server.js';
import { createLogger } from './logger.js';
import { resolveOptions, type NodeOptions, type ResolvedOptions } from './options.js';
import type { MemberStatus, NodeStatus } from './status.js';
import { MulticastDiscovery } from './discovery/multicast.js';
import { DnsDiscovery } from './discovery/dns.js';
import { SessionService } from './session-service.js';
import { MachineTimer } from './machine-timer.js';
import { internalError } from './internal-error.js';
import { DEFAULT_SESSION_LIMITS } from '../session/limits.js';
import type { NodeSessionsApi } from './sessions-api.js';
import { MessageType } from '../wire/message-types.js';
import { installSessionRoutes } from '../http/session-routes.js';
import type { ReplicationEvent } from '../replication/index.js';
import { partitionOf } from '../placement/partition.js';

const NO_OUTPUTS: readonly MembershipOutput[] = [];

/** Replication message ids live in 30..79 (src/wire/message-types.ts). */
function isReplicationMessageType(type: number): boolean {
  return type >= 30 && type < 80;
}

export interface MemberChangeEvent {
  member: MemberStatus;
  previous: MemberState | null;
  reason: string;
}

/** Where a session lives, by the partition table this member routes by (`node.locate(id)`). */
export interface SessionLocation {
  partition: number;
  /** Epoch of the partition table the answer comes from. */
  epoch: number;
  /** The member that serves the session's reads and writes (null if the partition has no owner). */
  primary: MemberStatus | null;
  /** The members holding copies, in promotion order. */
  backups: MemberStatus[];
}

export interface SessionMeshNodeEvents {
  /** A member changed state (joined, suspected, died, left, recovered). */
  member: [MemberChangeEvent];
  /** This member joined the cluster. */
  joined: [];
  /** This member left the cluster (close() finished its hand-off); session ops fail with ERR_CLOSED from now on. */
  left: [];
  /** Replication: a partition table was adopted, primaries moved, a migration started/finished, a session expired. */
  replication: [ReplicationEvent];
}

function toStatus(m: MemberRecord): MemberStatus {
  return {
    id: m.id,
    name: m.name,
    address: formatAddress(m.address),
    httpAddress: m.httpAddress ? formatAddress(m.httpAddress) : null,
    state: m.state,
    incarnation: m.incarnation,
    role: m.role,
    zone: m.zone,
    startedAtMs: m.startedAtMs,
  };
}

export class SessionMeshNode extends EventEmitter<SessionMeshNodeEvents> {
  private membership!: Membership;
  private readonly timer: MachineTimer;
  /** close() was called: /healthz says 503, the hand-off runs, ops are still served. */
  private draining = false;
  /** The machines are no longer driven (after the hand-off and the HTTP drain). */
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly startedAtMs: number;
  private http: HttpServer | null = null;
  private multicast: MulticastDiscovery | null = null;
  private dnsDiscovery: DnsDiscovery | null = null;
  private joinedWaiters: Array<() => void> = [];
  private service!: SessionService;

  private constructor(
    readonly options: ResolvedOptions,
    readonly id: string,
    private readonly transport: Transport,
    readonly logger: Logger,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {
    super();
    this.startedAtMs = clock.nowMs();
    this.timer = new MachineTimer(clock, () => this.drive((now) => this.membership.tick(now), 'tick'));
  }

  get name(): string {
    return this.options.name;
  }

  /** Creates, starts and (with `joinTimeoutMs`) joins a member. Use `createNode()`. */
  static async start(input: NodeOptions): Promise<SessionMeshNode> {
    const options = resolveOptions(input);
    const random = new SystemRandom();
    const id = Buffer.from(random.bytes(12)).toString('base64url');
    const logger = (input.logger ?? createLogger(options.logLevel)).child({ member: options.name });
    const transport = new TcpTransport({
      id,
      name: options.name,
      host: options.host,
      port: options.port,
      advertiseHost: options.advertiseHost,
      cluster: options.cluster,
      secret: options.secret,
      maxFrameBytes: options.maxFrameBytes,
      logger: logger.child({ component: 'transport' }),
      random,
    });
    const node = new SessionMeshNode(options, id, transport, logger, monotonicClock, random);
    try {
      await node.boot();
    } catch (err) {
      await node.shutdown(false).catch(() => {});
      throw err;
    }
    return node;
  }

  private async boot(): Promise<void> {
    const o = this.options;
    const peerAddress = await this.transport.listen();
    let httpAddress: PeerAddress | null = null;
    if (o.httpPort !== null) {
      this.http = new HttpServer(this.logger.child({ component: 'http' }));
      this.installRoutes(this.http);
      httpAddress = await this.http.listen(o.httpHost, o.httpPort);
    }
    const self: MemberInfo = {
      id: this.id,
      name: o.name,
      address: { host: o.advertiseHost, port: peerAddress.port },
      httpAddress,
      role: o.role,
      zone: o.zone,
      // Wall-clock start time: the coordinator is the oldest member, compared across processes.
      startedAtMs: Date.now(),
    };
    const now = this.clock.nowMs();
    this.membership = new Membership({ self, config: o.membership, random: this.random, nowMs: now });
    this.service = new SessionService({
      selfId: this.id,
      startedAtMs: self.startedAtMs,
      config: o.replication,
      limits: { ...DEFAULT_SESSION_LIMITS, maxSessionBytes: o.maxSessionBytes },
      clock: this.clock,
      random: this.random,
      transport: this.transport,
      addressOf: (id) => this.membership.peerAddress(id),
      logger: this.logger.child({ component: 'replication' }),
      onEvent: (e) => this.onReplicationEvent(e),
      members: () => this.membership.members(),
    });
    if (this.http && o.apiToken !== null) {
      installSessionRoutes(this.http, this.service, { token: o.apiToken, maxBodyBytes: o.maxSessionBytes + 64 * 1024, logger: this.logger.child({ component: 'api' }) });
    }
    this.transport.onMessage((msg) => this.onMessage(msg));
    this.transport.onPeerEvent((e) => this.onPeerEvent(e));

    this.logger.info(
      { id: this.id, cluster: o.cluster, peer: formatAddress(self.address), http: httpAddress && formatAddress(httpAddress), seeds: o.seeds.map(formatAddress), secure: o.secret !== null },
      'member started',
    );
    if (o.secret === null) this.logger.warn({}, 'running WITHOUT a cluster secret (--insecure): any process that reaches the peer port can join');

    let seeds = o.seeds;
    if (o.dns) {
      this.dnsDiscovery = new DnsDiscovery({
        name: o.dns,
        defaultPort: peerAddress.port,
        intervalMs: o.dnsIntervalMs,
        servers: o.dnsServers,
        logger: this.logger.child({ component: 'dns' }),
        onSeeds: (s) => this.drive((now) => this.membership.addSeeds(now, s), 'addSeeds (dns)'),
      });
      seeds = [...seeds, ...(await this.dnsDiscovery.start())];
    }
    this.drive((t) => this.membership.start(t, seeds), 'start');
    if (o.multicast) {
      this.multicast = new MulticastDiscovery({
        group: o.multicast.group,
        port: o.multicast.port,
        cluster: o.cluster,
        selfId: this.id,
        address: self.address,
        interfaceAddress: o.host,
        intervalMs: 1000,
        ttl: 1,
        logger: this.logger.child({ component: 'multicast' }),
        onPeer: (address, peerId) => {
          if (!this.membership.member(peerId)) this.drive((t) => this.membership.addSeeds(t, [address]), 'addSeeds (multicast)', peerId);
        },
      });
      await this.multicast.start();
    }
    if (o.joinTimeoutMs > 0 && !this.membership.isJoined()) await this.waitJoined(o.joinTimeoutMs);
  }

  private waitJoined(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.joinedWaiters = this.joinedWaiters.filter((w) => w !== done);
        reject(new SessionMeshError('ERR_JOIN', `no seed answered within ${timeoutMs} ms (seeds: ${this.options.seeds.map(formatAddress).join(', ') || 'none'})`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.joinedWaiters.push(done);
    });
  }

  private installRoutes(http: HttpServer): void {
    http.route('GET', '/healthz', ({ res }) => {
      // 503 from the first moment of close(): load balancers take this member out of rotation
      // while it hands off its partitions (and still serves whatever reaches it meanwhile).
      const joined = this.membership?.isJoined() === true;
      const ok = joined && !this.draining;
      sendJson(res, ok ? 200 : 503, { ok, joined, closing: this.draining });
    });
    http.route('GET', '/status', ({ res }) => sendJson(res, 200, this.status()));
  }

  /**
   * Runs one input through the machine and carries out its outputs, then re-arms the timer. It
   * runs in timer, socket, transport and discovery callbacks, so nothing may escape it
   * (internal-error.ts): a step or an output that throws (a bug, or an app's event listener) is
   * logged at error level and the member carries on with the other outputs.
   */
  private drive(step: (nowMs: number) => MembershipOutput[], input: string, peer?: string): void {
    if (this.closed && this.closing === null) return;
    let outputs: readonly MembershipOutput[] = NO_OUTPUTS;
    let failed = false;
    try {
      outputs = step(this.clock.nowMs());
    } catch (err) {
      failed = true;
      internalError(this.logger, err, `membership ${input}`, { peer });
    }
    let changed = false;
    for (const out of outputs) {
      if (out.kind === 'change' || out.kind === 'joined') changed = true;
      try {
        this.apply(out);
      } catch (err) {
        internalError(this.logger, err, `membership output ${out.kind}`, out.kind === 'send' ? { to: out.to.id ?? formatAddress(out.to.address), messageType: out.type } : {});
      }
    }
    // A step that keeps failing must not spin the timer (its deadline may be stale): see SessionService.drive.
    this.schedule(failed);
    // Placement follows membership: every change (join, death, leave) may move partitions.
    // Only once joined: before that the view holds only this member, which would commit a
    // partition table of its own and serve ops from it (every session "not found").
    if (changed && !this.closed && this.membership.isJoined()) this.service.membershipChanged(this.membership.members());
  }

  private onReplicationEvent(e: ReplicationEvent): void {
    switch (e.type) {
      case 'table':
        this.logger.debug({ epoch: e.epoch, coordinator: this.membership.member(e.coordinatorId)?.name ?? e.coordinatorId, committedByMe: e.committedByMe }, `partition table epoch ${e.epoch} ${e.committedByMe ? 'committed' : 'adopted'}`);
        break;
      case 'primaries':
        if (e.gained.length > 0 || e.lost.length > 0) this.logger.info({ gained: e.gained.length, lost: e.lost.length }, 'primary partitions changed');
        break;
      case 'migrationStarted':
      case 'migrationFinished':
        this.logger.debug({ partition: e.partition, target: this.membership.member(e.target)?.name ?? e.target }, e.type);
        break;
      case 'sessionExpired':
        break;
      case 'unreachable':
        if (e.members.length > 0) this.logger.warn({ unreachable: e.members.map((id) => this.membership.member(id)?.name ?? id) }, 'members alive but not answering this primary; reported to the coordinator, which moves their copies');
        else this.logger.info({}, 'every backup answers this primary again');
        break;
    }
    this.emit('replication', e);
  }

  /** Session operations (create/get/update/touch/destroy), routed to each session's primary. */
  get sessions(): NodeSessionsApi {
    return this.service;
  }

  private apply(out: MembershipOutput): void {
    switch (out.kind) {
      case 'send':
        this.transport.send(out.to, out.type, out.body);
        break;
      case 'change': {
        const member = toStatus(out.member);
        const level = out.member.state === 'dead' || out.member.state === 'suspect' ? 'warn' : 'info';
        this.logger[level]({ peer: member.name, peerId: member.id, from: out.previous, to: member.state, incarnation: member.incarnation, reason: out.reason }, `member ${member.name} ${out.previous ?? 'new'} -> ${member.state}`);
        this.emit('member', { member, previous: out.previous, reason: out.reason });
        break;
      }
      case 'joined':
        this.logger.info({ via: out.via }, 'joined the cluster');
        for (const w of this.joinedWaiters.splice(0)) w();
        this.emit('joined');
        break;
      case 'warn':
        this.logger.warn({ reason: out.reason }, 'membership warning');
        break;
    }
  }

  private schedule(failedStep = false): void {
    if (this.closed) return;
    this.timer.rearm(() => this.membership.nextDeadlineMs(), failedStep, (err) => internalError(this.logger, err, 'membership nextDeadlineMs'));
  }

  private onMessage(msg: InboundMessage): void {
    try {
      if (isMembershipMessageType(msg.type)) {
        this.drive((now) => this.membership.receive(now, { id: msg.from.id, address: msg.from.address }, msg.type, msg.body), 'receive', msg.from.id);
      } else if (msg.type === MessageType.SessionList) {
        this.service.answerList(msg);
      } else if (isReplicationMessageType(msg.type)) {
        this.service.receive(msg.from.id, msg.type, msg.body);
      } else {
        this.logger.debug({ from: msg.from.name, type: msg.type }, 'message of a type this member does not handle');
        msg.replyError?.('ERR_BAD_FRAME', `unhandled message type ${msg.type}`);
      }
    } catch (err) {
      internalError(this.logger, err, 'message handler', { peer: msg.from.id, messageType: msg.type });
    }
  }

  private onPeerEvent(e: PeerEvent): void {
    try {
      this.handlePeerEvent(e);
    } catch (err) {
      internalError(this.logger, err, 'peer event handler', { event: e.kind });
    }
  }

  private handlePeerEvent(e: PeerEvent): void {
    switch (e.kind) {
      case 'connected':
        this.logger.debug({ peer: e.peer.name, peerId: e.peer.id }, 'peer connected');
        break;
      case 'disconnected':
        this.logger.debug({ peer: e.peer.name, peerId: e.peer.id, reason: e.reason }, 'peer disconnected');
        this.drive((now) => this.membership.peerDisconnected(now, e.peer.id), 'peerDisconnected', e.peer.id);
        break;
      case 'unreachable':
        this.drive((now) => this.membership.peerUnreachable(now, e.target), 'peerUnreachable', e.target.id);
        break;
      case 'rejected':
        this.logger.warn({ remote: e.remoteAddress, code: e.code, reason: e.reason }, 'refused a peer connection');
        break;
    }
  }

  isJoined(): boolean {
    return this.membership.isJoined();
  }

  members(): MemberStatus[] {
    return this.membership
      .members()
      .map(toStatus)
      .sort((a: MemberStatus, b: MemberStatus) => (a.name === b.name ? (a.id < b.id ? -1 : 1) : a.name < b.name ? -1 : 1));
  }

  /**
   * Where `sessionId` lives: its partition, primary and backups by this member's current partition
   * table (null before the first table). No I/O, so it is cheap enough for every request (route
   * hints, dashboards); after a failover it names the promoted primary as soon as this member
   * adopted the new table.
   */
  locate(sessionId: string): SessionLocation | null {
    const table = this.service?.replicator.currentTable();
    if (!table) return null;
    const partition = partitionOf(sessionId, table.partitions);
    const owners = (table.owners[partition] ?? []).map((id) => this.membership.member(id)).map((m) => (m ? toStatus(m) : null));
    return { partition, epoch: table.epoch, primary: owners[0] ?? null, backups: owners.slice(1).filter((m): m is MemberStatus => m !== null) };
  }

  status(): NodeStatus {
    const members = this.members();
    const self = members.find((m) => m.id === this.id)!;
    return {
      cluster: this.options.cluster,
      self,
      joined: this.membership.isJoined(),
      members,
      health: { localHealth: this.membership.localHealth(), connectedPeers: this.transport.connectedPeers().length },
      uptimeMs: this.clock.nowMs() - this.startedAtMs,
      ...this.service.status(),
      traffic: this.transport.trafficStats?.() ?? null,
    };
  }

  /**
   * Graceful stop (docs/architecture.md "Graceful leave"). Idempotent; resolves when done.
   * 1. Draining: /healthz answers 503 `closing: true` (load balancers stop sending here) and every
   *    HTTP answer closes its connection; session ops are still accepted and routed.
   * 2. Hand-off: the Replicator's leave moves every partition copy held here to other members,
   *    bounded by `leaveTimeoutMs` (a warning with what was left if it runs out).
   * 3. Once `drainMs` have passed since step 1 (load balancers saw the 503), HTTP stops accepting
   *    connections; requests in flight finish (bounded by `opTimeoutMs`).
   * 4. Membership leave is announced; then ops still pending fail with ERR_CLOSED and the
   *    transport closes.
   */
  close(): Promise<void> {
    return this.shutdown(true);
  }

  /** True from the moment close() was called. */
  isClosing(): boolean {
    return this.draining;
  }

  private shutdown(graceful: boolean): Promise<void> {
    if (this.closing) return this.closing;
    this.draining = true;
    this.http?.drain();
    const drainStartMs = this.clock.nowMs();
    this.closing = (async () => {
      this.dnsDiscovery?.stop();
      await this.multicast?.stop();
      if (graceful && this.membership && this.service) {
        await this.handOff();
        const rest = this.options.drainMs - (this.clock.nowMs() - drainStartMs);
        if (this.http && rest > 0) await new Promise((r) => setTimeout(r, rest));
        // In-flight requests still need the cluster (their ops are forwarded to primaries), so
        // HTTP drains before this member leaves membership.
        await this.http?.close(this.options.opTimeoutMs + 1000);
        const idle = await this.service.idle(this.options.opTimeoutMs + 1000);
        if (!idle) this.logger.warn({ opsPending: this.service.leaveProgress().opsPending }, 'session operations still pending after the drain; they fail with ERR_CLOSED');
      }
      this.closed = true;
      this.timer.cancel();
      if (graceful && this.membership) {
        try {
          for (const out of this.membership.leave(this.clock.nowMs())) if (out.kind === 'send') this.transport.send(out.to, out.type, out.body);
        } catch (err) {
          // The close goes on: the others will find this member dead instead of left.
          internalError(this.logger, err, 'membership leave');
        }
        this.logger.info({}, 'left the cluster');
      }
      this.emit('left');
      this.service?.close();
      await this.http?.close();
      await this.transport.close();
    })();
    return this.closing;
  }

  /** Step 2 of close(): hands off this member's partitions, bounded by leaveTimeoutMs. */
  private async handOff(): Promise<void> {
    const timeoutMs = this.options.leaveTimeoutMs;
    if (timeoutMs === 0) {
      this.logger.info({}, 'leaving without hand-off (leaveTimeoutMs 0): the survivors re-replicate this member\'s copies');
      return;
    }
    const before = this.service.leaveProgress();
    this.logger.info({ sessions: before.sessionsHeld, partitions: before.partitionsListed, timeoutMs }, 'leaving: handing off partitions');
    const r = await this.service.leave(timeoutMs, { holdsData: this.options.role === 'member' });
    const details = { elapsedMs: r.elapsedMs, sessionsHeld: r.sessionsHeld, partitionsListed: r.partitionsListed, opsPending: r.opsPending };
    if (r.completed) this.logger.info(details, 'hand-off complete');
    else this.logger.warn({ ...details, timeoutMs }, `hand-off did not complete within leaveTimeoutMs (${timeoutMs} ms); leaving anyway, the survivors re-replicate what was still here`);
  }
}

/** Starts a cluster member in this process. */
export function createNode(options: NodeOptions): Promise<SessionMeshNode> {
  return SessionMeshNode.start(options);
}
