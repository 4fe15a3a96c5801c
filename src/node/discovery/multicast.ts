/**
 * UDP multicast discovery for LANs (the seed's "multicast only for autoconfiguration"): every
 * member announces its peer address every `intervalMs`, and hands any announcement of its own
 * cluster to the membership machine as a seed. Only addresses cross here; joining is over TCP.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../../log.js';
import type { PeerAddress } from '../../transport/address.js';
import { decodeAnnouncement, encodeAnnouncement } from '../../membership/discovery/announcement.js';
import { internalError } from '../internal-error.js';

export const DEFAULT_MULTICAST_GROUP = '239.255.77.77';
export const DEFAULT_MULTICAST_PORT = 7399;

export interface MulticastOptions {
  group: string;
  port: number;
  cluster: string;
  selfId: string;
  /** The peer address to announce. */
  address: PeerAddress;
  /** Local interface address for sending and joining the group (default: the peer host). */
  interfaceAddress: string;
  intervalMs: number;
  ttl: number;
  logger: Logger;
  onPeer: (address: PeerAddress, id: string) => void;
}

export class MulticastDiscovery {
  private socket: dgram.Socket | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: MulticastOptions) {}

  async start(): Promise<void> {
    const o = this.o;
    const socket = dgram.createSocket({ type: isIPv6(o.group) ? 'udp6' : 'udp4', reuseAddr: true });
    this.socket = socket;
    socket.on('message', (msg) => {
      try {
        const a = decodeAnnouncement(msg);
        if (!a || a.cluster !== o.cluster || a.id === o.selfId) return;
        o.onPeer(a.address, a.id);
      } catch (err) {
        // Nothing may escape a socket callback (it would end the process).
        internalError(o.logger, err, 'multicast discovery', { group: o.group });
      }
    });
    socket.on('error', (err) => o.logger.warn({ err: err.message, group: o.group }, 'multicast socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(o.port, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const iface = isWildcard(o.interfaceAddress) ? undefined : o.interfaceAddress;
    socket.addMembership(o.group, iface);
    if (iface) socket.setMulticastInterface(iface);
    socket.setMulticastTTL(o.ttl);
    socket.setMulticastLoopback(true);
    this.announce();
    this.timer = setInterval(() => {
      try {
        this.announce();
      } catch (err) {
        internalError(o.logger, err, 'multicast announce', { group: o.group });
      }
    }, o.intervalMs);
    this.timer.unref();
  }

  private announce(): void {
    const o = this.o;
    const bytes = encodeAnnouncement({ cluster: o.cluster, id: o.selfId, address: o.address });
    this.socket?.send(bytes, o.port, o.group, (err) => {
      if (err) o.logger.debug({ err: err.message }, 'multicast announce failed');
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}
