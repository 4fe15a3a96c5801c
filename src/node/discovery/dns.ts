/**
 * DNS discovery (Kubernetes headless services and the like): resolve `name` every `intervalMs`;
 * SRV answers give host:port, otherwise A/AAAA answers with our own peer port. Every answer is a
 * seed for the membership machine; members that already know each other ignore it.
 */
import { Resolver } from 'node:dns/promises';
import type { Logger } from '../../log.js';
import type { PeerAddress } from '../../transport/address.js';
import { seedsFromAddresses, seedsFromSrv } from '../../membership/discovery/dns-answers.js';
import { internalError } from '../internal-error.js';

export interface DnsOptions {
  name: string;
  /** Port used with A/AAAA answers. */
  defaultPort: number;
  intervalMs: number;
  /** DNS servers to ask instead of the system's (e.g. ["127.0.0.1:5353"]). */
  servers?: string[];
  logger: Logger;
  onSeeds: (seeds: PeerAddress[]) => void;
}

export class DnsDiscovery {
  private timer: NodeJS.Timeout | null = null;
  private readonly resolver = new Resolver({ timeout: 2000, tries: 2 });
  private stopped = false;

  constructor(private readonly o: DnsOptions) {
    if (o.servers && o.servers.length > 0) this.resolver.setServers(o.servers);
  }

  /** Resolves once, then keeps re-resolving in the background. */
  async start(): Promise<PeerAddress[]> {
    const first = await this.resolveOnce();
    if (!this.stopped) {
      // (A rejection here would be unhandled, and end the process: nothing may escape a timer.)
      this.timer = setInterval(() => void this.resolveOnce().catch((err: unknown) => internalError(this.o.logger, err, 'DNS discovery', { dns: this.o.name })), this.o.intervalMs);
      this.timer.unref();
    }
    return first;
  }

  async resolveOnce(): Promise<PeerAddress[]> {
    const o = this.o;
    let seeds: PeerAddress[] = [];
    try {
      seeds = seedsFromSrv(await this.resolver.resolveSrv(o.name));
    } catch {
      // No SRV record: fall back to plain addresses.
    }
    if (seeds.length === 0) {
      const [v4, v6] = await Promise.all([
        this.resolver.resolve4(o.name).catch(() => [] as string[]),
        this.resolver.resolve6(o.name).catch(() => [] as string[]),
      ]);
      seeds = seedsFromAddresses([...v4, ...v6], o.defaultPort);
    }
    if (seeds.length === 0) o.logger.warn({ dns: o.name }, 'DNS discovery found no members yet');
    else if (!this.stopped) o.onSeeds(seeds);
    return seeds;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
