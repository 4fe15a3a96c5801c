import { SessionMeshError } from '../errors.js';

/** Where a member listens for peer (or HTTP) connections. */
export interface PeerAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:7946`, `[::1]:7946`. */
export function formatAddress(a: PeerAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Parses `host:port` or `[v6]:port`. Throws ERR_CONFIG with the offending text. */
export function parseAddress(text: string, defaultPort?: number): PeerAddress {
  const t = text.trim();
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
  } else {
    const i = t.lastIndexOf(':');
    if (i === -1) {
      host = t;
    } else {
      host = t.slice(0, i);
      portText = t.slice(i + 1);
      if (host.includes(':')) throw new SessionMeshError('ERR_CONFIG', `invalid address "${text}": write IPv6 as [addr]:port`);
    }
  }
  if (!host) throw new SessionMeshError('ERR_CONFIG', `invalid address "${text}": missing host`);
  const port = portText === undefined ? defaultPort : Number(portText);
  if (port === undefined) throw new SessionMeshError('ERR_CONFIG', `invalid address "${text}": missing port`);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || (portText !== undefined && !/^\d+$/.test(portText))) {
    throw new SessionMeshError('ERR_CONFIG', `invalid address "${text}": port must be 0..65535`);
  }
  return { host, port };
}

export function sameAddress(a: PeerAddress, b: PeerAddress): boolean {
  return a.port === b.port && a.host === b.host;
}
