/**
 * Turning DNS answers into seed addresses (pure). SRV answers name their own ports (Kubernetes
 * headless services publish `_peer._tcp.<svc>`); plain A/AAAA answers use the member's own peer
 * port, because every member of a StatefulSet listens on the same port.
 */
import type { PeerAddress } from '../../transport/address.js';

export interface SrvAnswer {
  name: string;
  port: number;
}

export function seedsFromSrv(answers: SrvAnswer[]): PeerAddress[] {
  return dedupe(answers.filter((a) => a.port > 0 && a.port <= 65535 && a.name.length > 0).map((a) => ({ host: a.name, port: a.port })));
}

export function seedsFromAddresses(addresses: string[], port: number): PeerAddress[] {
  return dedupe(addresses.filter((a) => a.length > 0).map((host) => ({ host, port })));
}

function dedupe(list: PeerAddress[]): PeerAddress[] {
  const seen = new Set<string>();
  const out: PeerAddress[] = [];
  for (const a of list) {
    const k = `${a.host}|${a.port}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(a);
    }
  }
  return out.sort((a, b) => (a.host === b.host ? a.port - b.port : a.host < b.host ? -1 : 1));
}
