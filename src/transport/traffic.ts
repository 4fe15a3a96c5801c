/**
 * Counts frames and bytes per message type, in each direction. Bytes are whole frames (header
 * included) as they go on the wire, so the numbers answer "what does one session update cost the
 * network" and "does membership traffic grow with the cluster" (docs/benchmarks.md).
 */
import { messageTypeName } from '../wire/message-types.js';

export interface TrafficCount {
  messages: number;
  bytes: number;
}

export type TrafficFamily = 'handshake' | 'membership' | 'replication' | 'other';

export interface TrafficSnapshot {
  /** Totals per family of message types (the ranges in src/wire/message-types.ts). */
  families: { sent: Record<TrafficFamily, TrafficCount>; received: Record<TrafficFamily, TrafficCount> };
  /** Keyed by message type name. */
  sent: Record<string, TrafficCount>;
  received: Record<string, TrafficCount>;
}

export function familyOf(type: number): TrafficFamily {
  if (type >= 1 && type < 10) return 'handshake';
  if (type >= 10 && type < 30) return 'membership';
  if (type >= 30 && type < 80) return 'replication';
  return 'other';
}

/** Frame header: [u32 length][u8 version][u8 kind][u16 type]... — the type is at byte 6. */
const TYPE_OFFSET = 6;

export class TrafficCounter {
  private readonly sent = new Map<number, TrafficCount>();
  private readonly received = new Map<number, TrafficCount>();

  /** `frame` is a whole encoded frame. */
  countSentFrame(frame: Uint8Array): void {
    if (frame.length < TYPE_OFFSET + 2) return;
    add(this.sent, (frame[TYPE_OFFSET]! << 8) | frame[TYPE_OFFSET + 1]!, frame.length);
  }

  countReceived(type: number, frameBytes: number): void {
    add(this.received, type, frameBytes);
  }

  snapshot(): TrafficSnapshot {
    return { families: { sent: families(this.sent), received: families(this.received) }, sent: named(this.sent), received: named(this.received) };
  }
}

function add(m: Map<number, TrafficCount>, type: number, bytes: number): void {
  const c = m.get(type);
  if (c === undefined) m.set(type, { messages: 1, bytes });
  else {
    c.messages++;
    c.bytes += bytes;
  }
}

function named(m: Map<number, TrafficCount>): Record<string, TrafficCount> {
  const out: Record<string, TrafficCount> = {};
  for (const [type, c] of [...m].sort((a, b) => a[0] - b[0])) out[messageTypeName(type)] = { ...c };
  return out;
}

function families(m: Map<number, TrafficCount>): Record<TrafficFamily, TrafficCount> {
  const out: Record<TrafficFamily, TrafficCount> = { handshake: zero(), membership: zero(), replication: zero(), other: zero() };
  for (const [type, c] of m) {
    const f = out[familyOf(type)];
    f.messages += c.messages;
    f.bytes += c.bytes;
  }
  return out;
}

function zero(): TrafficCount {
  return { messages: 0, bytes: 0 };
}
