/**
 * What a framework store needs from the member it runs in: a `SessionMeshNode` from
 * `createNode()` fits; tests may pass anything of this shape.
 */
import type { NodeSessionsApi } from '../../node/sessions-api.js';

export interface AdapterNode {
  readonly sessions: NodeSessionsApi;
  readonly options: {
    readonly opTimeoutMs: number;
    readonly maxSessionBytes: number;
    readonly replication?: { readonly defaultMaxIdleMs?: number };
  };
  isJoined(): boolean;
  on(event: 'joined' | 'left', listener: () => void): unknown;
  off(event: 'joined' | 'left', listener: () => void): unknown;
}

/** Options every sessionmesh store takes. */
export interface StoreOptions {
  /** The cluster member this process embeds (`await createNode(...)`). */
  node: AdapterNode;
  /**
   * Idle timeout for sessions whose cookie has no maxAge/expires (browser-session cookies).
   * Default: the node's `replication.defaultMaxIdleMs` (30 minutes).
   */
  defaultMaxIdleMs?: number;
  /**
   * A touch is skipped when this store accessed the session within this many ms (the get at the
   * start of the request already refreshed its idle clock). Default 1000; 0 touches every time.
   */
  touchIntervalMs?: number;
  /** Most sessions `all()`, `ids()`, `length()` and `clear()` may list (else ERR_LIMIT). Default 100000. */
  maxListedSessions?: number;
}
