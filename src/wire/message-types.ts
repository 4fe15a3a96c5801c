/**
 * The message type registry. Ids are part of the wire contract: APPEND ONLY. Never renumber,
 * never reuse an id; a retired type keeps its id with a comment.
 */
export const MessageType = {
  // --- handshake (transport) 1..9: the only types accepted before a connection is authenticated
  Hello: 1,
  HelloAck: 2,
  Auth: 3,
  AuthOk: 4,
  /** A response carrying an error ({code, message}) for a request. */
  ErrorReply: 5,

  // --- membership 10..29
  Ping: 10,
  Ack: 11,
  PingReq: 12,
  Nack: 13,
  Join: 14,
  JoinReply: 15,
  Sync: 16,
  SyncReply: 17,
  Gossip: 18,

  // --- replication / placement 30..79 (later issues append here)
} as const;

export type MessageTypeName = keyof typeof MessageType;
export type MessageTypeId = (typeof MessageType)[MessageTypeName];

const names = new Map<number, string>(Object.entries(MessageType).map(([k, v]) => [v, k]));

export function messageTypeName(id: number): string {
  return names.get(id) ?? `unknown(${id})`;
}

export function isKnownMessageType(id: number): boolean {
  return names.has(id);
}

export function isHandshakeType(id: number): boolean {
  return id >= 1 && id <= 9;
}
