/**
 * Cluster-wide listing of session ids, for the framework stores' all/length/clear/ids.
 *
 * The smallest honest mechanism: the caller asks every data member (SessionList request over the
 * transport) for the ids of the live copies it holds, primary and backup alike, and merges the
 * answers. Asking for every copy, not just primaries, means a partition moving between two
 * members during the listing is still covered by one of them (two members at different table
 * epochs could otherwise both disclaim it). Not a snapshot: a session created or destroyed
 * meanwhile may or may not be listed; a copy whose destroy has not reached it yet (ack `one` or
 * `none`) can list a session for a moment after it is gone.
 *
 * Bounded: each answer carries at most `limit` ids; more than `limit` in all is ERR_LIMIT, not a
 * silently truncated list. A member that does not answer within the timeout fails the listing
 * (with its error): an incomplete list presented as complete would lie to `length()`.
 */
import { SessionMeshError, isSessionMeshError } from '../errors.js';
import type { MemberRecord } from '../membership/member.js';
import { isValidSessionId } from '../session/id.js';
import { isExpired } from '../session/record.js';
import type { SessionStore } from '../session/store.js';
import type { Transport } from '../transport/transport.js';
import { MessageType } from '../wire/message-types.js';

export const DEFAULT_LIST_LIMIT = 100_000;
/** Largest `limit` a member honours (an answer must fit in a frame: ~25 bytes per id). */
export const MAX_LIST_LIMIT = 1_000_000;

export interface ListAnswer {
  ids: string[];
  /** The member holds more live sessions than the limit it was asked for. */
  more: boolean;
}

/** Live (not destroyed, not expired) session copies in `store`, at most `limit` of them. */
export function liveIds(store: SessionStore, nowMs: number, limit: number): ListAnswer {
  const ids: string[] = [];
  for (const p of store.partitionIds()) {
    for (const r of store.records(p)) {
      if (r.destroyed || isExpired(r, nowMs)) continue;
      if (ids.length === limit) return { ids, more: true };
      ids.push(r.id);
    }
  }
  return { ids, more: false };
}

export function listLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new SessionMeshError('ERR_CONFIG', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}, got ${JSON.stringify(limit)}`);
  }
  return limit;
}

/** Validates a SessionList request body from the network; returns its limit. */
export function listRequestFromWire(body: unknown): number {
  const l = typeof body === 'object' && body !== null ? (body as { l?: unknown }).l : undefined;
  if (typeof l !== 'number' || !Number.isInteger(l) || l < 1 || l > MAX_LIST_LIMIT) throw new SessionMeshError('ERR_BAD_FRAME', 'invalid SessionList request');
  return l;
}

/** Validates a SessionListReply body from the network. */
export function listAnswerFromWire(body: unknown, limit: number): ListAnswer {
  const bad = () => new SessionMeshError('ERR_BAD_FRAME', 'invalid SessionList reply');
  if (typeof body !== 'object' || body === null) throw bad();
  const { ids, more } = body as { ids?: unknown; more?: unknown };
  if (!Array.isArray(ids) || ids.length > limit || typeof more !== 'boolean' || !ids.every(isValidSessionId)) throw bad();
  return { ids: ids as string[], more };
}

export interface ListDeps {
  transport: Transport;
  /** Data members other than this one that can hold copies (alive or suspect). */
  peers: MemberRecord[];
  /** This member's own answer. */
  local: (limit: number) => ListAnswer;
  timeoutMs: number;
}

/** Asks every peer and this member; resolves with the merged ids (each once). */
export async function listClusterIds(deps: ListDeps, limit: number): Promise<string[]> {
  const answers = await Promise.all([
    Promise.resolve(deps.local(limit)),
    ...deps.peers.map(async (m) => {
      try {
        const res = await deps.transport.request({ id: m.id, address: m.address }, MessageType.SessionList, { l: limit }, deps.timeoutMs);
        return listAnswerFromWire(res.body, limit);
      } catch (err) {
        const code = isSessionMeshError(err) ? err.code : 'ERR_CONNECTION';
        throw new SessionMeshError(code, `listing sessions: member ${m.name} did not answer (${err instanceof Error ? err.message : String(err)})`, { member: m.name });
      }
    }),
  ]);
  const ids = new Set<string>();
  for (const a of answers) {
    if (a.more) throw tooMany(limit);
    for (const id of a.ids) {
      ids.add(id);
      if (ids.size > limit) throw tooMany(limit);
    }
  }
  return [...ids];
}

function tooMany(limit: number): SessionMeshError {
  return new SessionMeshError('ERR_LIMIT', `more than ${limit} sessions in the cluster; raise the listing limit or avoid listing`, { limit });
}
