/**
 * The multicast announcement datagram. It only says "a member of cluster C listens at A": a hint
 * to send a Join there. It carries no authority: the Join travels over an authenticated TCP
 * connection, so a forged announcement can at most make us dial an address and fail the handshake.
 */
import type { PeerAddress } from '../../transport/address.js';

const MAGIC = 'sessionmesh';
const VERSION = 1;
/** Datagrams larger than this are not ours; never parse them. */
export const MAX_ANNOUNCEMENT_BYTES = 512;

export interface Announcement {
  cluster: string;
  id: string;
  address: PeerAddress;
}

export function encodeAnnouncement(a: Announcement): Buffer {
  return Buffer.from(JSON.stringify({ m: MAGIC, v: VERSION, c: a.cluster, i: a.id, h: a.address.host, p: a.address.port }));
}

/** Returns null for anything that is not a well-formed announcement (never throws). */
export function decodeAnnouncement(bytes: Uint8Array): Announcement | null {
  if (bytes.byteLength > MAX_ANNOUNCEMENT_BYTES) return null;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (o.m !== MAGIC || o.v !== VERSION) return null;
  const { c, i, h, p } = o;
  if (typeof c !== 'string' || c.length === 0 || c.length > 128) return null;
  if (typeof i !== 'string' || i.length === 0 || i.length > 64) return null;
  if (typeof h !== 'string' || h.length === 0 || h.length > 255) return null;
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) return null;
  return { cluster: c, id: i, address: { host: h, port: p } };
}
