/**
 * The session operations a member offers its callers: the library (`node.sessions`), the HTTP
 * API and the framework adapters all go through this one interface. Every promise settles within
 * the node's `opTimeoutMs`; failures are SessionMeshErrors with stable codes.
 */
export interface SessionView {
  id: string;
  data: Record<string, unknown>;
  version: number;
}

export interface SessionChange {
  set?: Record<string, unknown>;
  delete?: string[];
  /** A new idle timeout for the session (e.g. a framework cookie's maxAge changed). */
  maxIdleMs?: number;
}

export interface SessionsApi {
  /**
   * Creates a session. Without `id` its id is drawn so this member is the primary. With `id` (e.g.
   * one from newLocalId() that a framework already put in a cookie) that id is used; creating an
   * id that is live again sets `data` on it (a retried create), one that was destroyed is refused
   * with ERR_INVALID_VALUE (a destroyed session never comes back).
   */
  create(input: { id?: string; data?: Record<string, unknown>; maxIdleMs?: number }): Promise<{ id: string; version: number }>;
  /** The session, or null if it does not exist or expired. */
  get(id: string): Promise<SessionView | null>;
  /** Applies the change; ERR_NOT_FOUND, ERR_VERSION_CONFLICT (ifVersion), ERR_SESSION_TOO_LARGE, ERR_INVALID_VALUE. */
  update(id: string, change: SessionChange, options?: { ifVersion?: number }): Promise<{ version: number }>;
  /** Marks the session used now (cheap: coalesced). False if it does not exist. */
  touch(id: string): Promise<boolean>;
  /** Destroys the session; destroying a missing session is not an error. */
  destroy(id: string): Promise<void>;
}

/**
 * `node.sessions`: SessionsApi plus what the framework stores need from the member they run in.
 */
export interface NodeSessionsApi extends SessionsApi {
  /**
   * A new session id for which this member is the primary in its current partition table
   * (locality: creating it needs no network hop). Synchronous, because frameworks generate ids
   * synchronously (express-session `genid`, @fastify/session `idGenerator`, koa-session `genid`).
   * Before the first table, or if no draw lands locally, the id is still valid, just remote.
   */
  newLocalId(): string;
  /**
   * The session when this member can answer from its own copy at once (it is the session's
   * primary): the view, or null if it does not exist or expired. Undefined when it cannot: ask
   * get(). Synchronous, so a framework store on the primary answers in the same tick.
   */
  getLocal(id: string): SessionView | null | undefined;
  /**
   * Ids of the cluster's live sessions: asks every data member for the copies it holds and
   * merges the answers. Not a snapshot (sessions created or destroyed meanwhile may or may not be
   * listed). Rejects with the error of a member that does not answer within opTimeoutMs, and
   * with ERR_LIMIT when there are more than `limit` sessions (default 100000).
   */
  listIds(options?: { limit?: number }): Promise<string[]>;
}
