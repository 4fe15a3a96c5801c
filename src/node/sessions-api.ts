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
}

export interface SessionsApi {
  /** Creates a session owned by this member (its id is drawn so this member is the primary). */
  create(input: { data?: Record<string, unknown>; maxIdleMs?: number }): Promise<{ id: string; version: number }>;
  /** The session, or null if it does not exist or expired. */
  get(id: string): Promise<SessionView | null>;
  /** Applies the change; ERR_NOT_FOUND, ERR_VERSION_CONFLICT (ifVersion), ERR_SESSION_TOO_LARGE, ERR_INVALID_VALUE. */
  update(id: string, change: SessionChange, options?: { ifVersion?: number }): Promise<{ version: number }>;
  /** Marks the session used now (cheap: coalesced). False if it does not exist. */
  touch(id: string): Promise<boolean>;
  /** Destroys the session; destroying a missing session is not an error. */
  destroy(id: string): Promise<void>;
}
