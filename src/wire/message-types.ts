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
  /** Committed + target replication table (coordinator broadcast, or a reply to a stale sender). */
  ReplTable: 30,
  /** A session op routed to the partition's primary: {r: reqId, op}. */
  ReplOp: 31,
  /** {r, ok, res?} or {r, ok: false, code, msg, table?}. */
  ReplOpReply: 32,
  /** Primary → backups and migration targets: {p, s: seq, recs: record wire[]}. */
  ReplDelta: 33,
  /** {s, ok, table?}: ok false when the sender is not the primary in the receiver's table. */
  ReplDeltaAck: 34,
  /** Migration stream: {p, m: streamId, c: chunk index, recs, last}. */
  ReplChunk: 35,
  /** {m, c, ok, table?}. */
  ReplChunkAck: 36,
  /** Primary → coordinator: the stream of partition p to member t is complete: {p, t}. */
  ReplMigrated: 37,
  /** Coalesced touches: {p, ts: [id, lastAccessMs][]}. */
  ReplTouches: 38,
  /** Anti-entropy, primary → backup: {p, d: partition digest}. */
  ReplDigest: 39,
  /** Backup → primary on a digest mismatch: {p, ds: [id, digest][]}. */
  ReplSessionDigests: 40,
  /** Anti-entropy repair, both ways: {p, recs, want: ids}. */
  ReplRepair: 41,
  /** Data for a partition the sender no longer owns, pushed to its primary: {p, h, recs}. */
  ReplHandoff: 42,
  /** {h, ok, table?}: the handoff is merged and replicated; the sender may drop it. */
  ReplHandoffAck: 43,
  /**
   * Graceful leave: the leaver → the coordinator (or, when the leaver is the coordinator, → the
   * next-oldest data member): "move my copies away; I take no new ones". Resent until done: {}.
   */
  ReplLeave: 44,
  /** Answer to ReplLeave with the receiver's committed table id: {e: epoch, c: coordinator id} (e −1: no table). */
  ReplLeaveAck: 45,
  /** Cluster-wide session listing (node.sessions.listIds), a request: {l: limit}. */
  SessionList: 46,
  /** Its reply: {ids: live session ids held here (primary or backup copies), more: more than l}. */
  SessionListReply: 47,
  /**
   * Near cache, primary → a member that read through it and keeps the answer (registered by a
   * ReplOp get with `nc: true`, confirmed by `nc: true` in its ReplOpReply): drop these, they
   * changed or are no longer tracked: {ids: session id[]}. One-way.
   */
  NearInvalidate: 48,
  /** Near cache, reader → primary: these sessions were read from the cache, count them as accessed: {ids}. One-way. */
  NearTouches: 49,
  /**
   * Quorum 'majority', coordinator → the voters (replication/table-votes.ts): "accept table t,
   * built on the table or proposal with key b?": {t: table, b: [epoch, coordinator start, id] | null}.
   */
  ReplPropose: 50,
  /** The answer: {k: the proposal's key, ok: true} or {k, ok: false, t: committed table} or {k, ok: false, a: accepted proposal, ab: its base key}. */
  ReplVote: 51,
  /**
   * A primary → the coordinator (and, to cross a non-transitive split, → every data member it
   * reaches, which pass it on once with f: 1): "r cannot reach these members":
   * {r: reporter id, ids: member id[], f?: 1}. Resent while it lasts (replication/reachability.ts).
   */
  ReplUnreachable: 52,
  /**
   * A member named as a lost holder of incomplete partitions (ReplTable.incomplete) → the
   * coordinator: "I hold nothing of these any more (handed off)": {ps: partition[]}. Resent
   * every anti-entropy round while it is still named.
   */
  ReplDrained: 53,
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
