/**
 * The framework-independent part of the sessionmesh stores: load with a snapshot, save as an
 * attribute diff against that snapshot, cheap touches, destroy, and the cluster-wide listing.
 *
 * Save semantics (what every adapter relies on):
 * - A session this request loaded (it has a base) is saved as the diff against the base, with
 *   `update`. If it was destroyed meanwhile (a logout in a concurrent request) the update finds
 *   nothing and the save is dropped: a save never re-creates a destroyed session.
 * - A session without a base is new (the framework generated its id): it is created with that id.
 * - Nothing changed: a (coalesced) touch instead of a write.
 * - The change alone over maxSessionBytes is refused here with ERR_SESSION_TOO_LARGE, before any
 *   network traffic; the primary enforces the limit on the whole session.
 */
import { SessionMeshError, isSessionMeshError } from '../../errors.js';
import { DEFAULT_REPLICATION_CONFIG } from '../../replication/index.js';
import { encodedSize } from '../../session/values.js';
import { eachLimited, withDeadline } from './callback.js';
import { diffAttributes } from './diff.js';
import type { AdapterNode, StoreOptions } from './node.js';
import type { SessionChange, SessionView } from '../../node/sessions-api.js';
import { clampIdleMs } from './ttl.js';
import { TouchCoalescer } from './touch-coalescer.js';
import { cloneData } from './values.js';

/** What a request loaded, in stored form (a private deep copy: the app mutates its own). */
export interface Base {
  readonly data: Readonly<Record<string, unknown>>;
}

/** A loaded session: the app's copy in stored form and the base its save will diff against. */
export interface Loaded {
  readonly data: Record<string, unknown>;
  readonly base: Base;
}

export type SaveOutcome = 'created' | 'updated' | 'touched' | 'gone';

/** Operations this store sent to the cluster (and touches it skipped), for monitoring and tests. */
export interface StoreStats {
  gets: number;
  creates: number;
  updates: number;
  touchesSent: number;
  touchesSkipped: number;
  /** Background touches that failed (harmless: the idle clock was not refreshed that once). */
  touchesFailed: number;
  destroys: number;
  /** Saves dropped because the session was destroyed or expired meanwhile. */
  savesDropped: number;
}

/** Sessions whose last load is remembered per id, for saves that cannot name their request. */
const RECENT_LOADS = 10_000;
const LIST_CONCURRENCY = 16;

export class StoreCore {
  readonly node: AdapterNode;
  readonly defaultMaxIdleMs: number;
  readonly maxListedSessions: number;
  private readonly touches: TouchCoalescer;
  private readonly recent = new Map<string, Base>();
  private readonly counts: StoreStats = { gets: 0, creates: 0, updates: 0, touchesSent: 0, touchesSkipped: 0, touchesFailed: 0, destroys: 0, savesDropped: 0 };

  constructor(o: StoreOptions, private readonly lifetimeKey: string) {
    if (!o || typeof o.node !== 'object' || o.node === null || typeof o.node.sessions?.get !== 'function') {
      throw new SessionMeshError('ERR_CONFIG', 'a sessionmesh store needs { node }: the member from `await createNode(...)`');
    }
    this.node = o.node;
    const int = (name: string, v: number | undefined, def: number, min: number): number => {
      if (v === undefined) return def;
      if (!Number.isInteger(v) || v < min) throw new SessionMeshError('ERR_CONFIG', `${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
      return v;
    };
    this.defaultMaxIdleMs = clampIdleMs(int('defaultMaxIdleMs', o.defaultMaxIdleMs, o.node.options.replication?.defaultMaxIdleMs ?? DEFAULT_REPLICATION_CONFIG.defaultMaxIdleMs, 1));
    this.maxListedSessions = int('maxListedSessions', o.maxListedSessions, 100_000, 1);
    const sessions = o.node.sessions;
    this.touches = new TouchCoalescer((id) => (this.counts.touchesSent++, sessions.touch(id)), int('touchIntervalMs', o.touchIntervalMs, 1000, 0));
  }

  get opTimeoutMs(): number {
    return this.node.options.opTimeoutMs;
  }

  /** A new session id for which this member is primary (see NodeSessionsApi.newLocalId). */
  newId(): string {
    return this.node.sessions.newLocalId();
  }

  /** The session in stored form (the app's copy) and its base, or null if it does not exist. */
  async load(id: string): Promise<Loaded | null> {
    const local = this.loadLocal(id);
    if (local !== undefined) return local;
    this.counts.gets++;
    return this.loaded(id, await this.node.sessions.get(id));
  }

  /**
   * load() answered at once when this member is the session's primary; undefined when the
   * cluster has to be asked (then call load()).
   */
  loadLocal(id: string): Loaded | null | undefined {
    const s = this.node.sessions.getLocal(id);
    if (s === undefined) return undefined;
    this.counts.gets++;
    return this.loaded(id, s);
  }

  private loaded(id: string, s: SessionView | null): Loaded | null {
    if (s === null) {
      this.touches.forget(id);
      this.recent.delete(id);
      return null;
    }
    this.touches.accessed(id);
    const base: Base = { data: cloneData(s.data) };
    this.remember(id, base);
    return { data: s.data, base };
  }

  /** The base of the latest load of `id` in this process: for saves that cannot name their request. */
  recentBase(id: string): Base | undefined {
    return this.recent.get(id);
  }

  private remember(id: string, base: Base): void {
    this.recent.delete(id);
    this.recent.set(id, base);
    if (this.recent.size > RECENT_LOADS) this.recent.delete(this.recent.keys().next().value as string);
  }

  /**
   * Saves `next` (stored form). `base`: what the request loaded, null for a new session.
   * `maxIdleMs`: the lifetime the framework asks for (undefined: the default), sent when the
   * session is created or its lifetime attribute changed. Resolves with the new base.
   */
  async save(id: string, base: Base | null, next: Record<string, unknown>, maxIdleMs: number | undefined): Promise<{ outcome: SaveOutcome; base: Base }> {
    const sessions = this.node.sessions;
    const idle = maxIdleMs === undefined ? this.defaultMaxIdleMs : clampIdleMs(maxIdleMs);
    if (base === null) {
      this.checkSize(next);
      this.counts.creates++;
      await sessions.create({ id, data: next, maxIdleMs: idle });
      return this.saved(id, next, 'created');
    }
    const diff = diffAttributes(base.data, next);
    if (diff === null) {
      const found = await this.touch(id);
      return { outcome: found ? 'touched' : 'gone', base };
    }
    this.checkSize(diff.set);
    const lifetimeChanged = Object.hasOwn(diff.set, this.lifetimeKey) || diff.delete.includes(this.lifetimeKey);
    this.counts.updates++;
    try {
      const change: SessionChange = { set: diff.set };
      if (diff.delete.length > 0) change.delete = diff.delete;
      if (lifetimeChanged) change.maxIdleMs = idle;
      await sessions.update(id, change);
    } catch (err) {
      // Destroyed (logout) or expired since this request loaded it: the change has nothing to
      // apply to, and creating the session again would undo the logout.
      if (isSessionMeshError(err, 'ERR_NOT_FOUND')) {
        this.recent.delete(id);
        this.touches.forget(id);
        this.counts.savesDropped++;
        return { outcome: 'gone', base };
      }
      throw err;
    }
    return this.saved(id, next, 'updated');
  }

  private saved(id: string, next: Record<string, unknown>, outcome: SaveOutcome): { outcome: SaveOutcome; base: Base } {
    this.touches.accessed(id);
    const base: Base = { data: cloneData(next) };
    if (this.recent.has(id)) this.remember(id, base);
    return { outcome, base };
  }

  /** A cheap, coalesced touch; false if the session does not exist. */
  touch(id: string): Promise<boolean> {
    const sent = this.counts.touchesSent;
    const p = this.touches.touch(id);
    // The coalescer calls the cluster synchronously or not at all (shares or skips).
    if (this.counts.touchesSent === sent) this.counts.touchesSkipped++;
    return p;
  }

  /** Whether saving `next` over `base` would change any attribute (else a save is a touch). */
  changed(base: Base, next: Record<string, unknown>): boolean {
    return diffAttributes(base.data, next) !== null;
  }

  /**
   * A touch nobody waits for. A failed touch (the member is closing, the primary is unreachable
   * for opTimeoutMs) only means the idle clock was not refreshed once more: counted, not thrown.
   */
  touchInBackground(id: string): void {
    if (this.touches.fresh(id)) {
      this.counts.touchesSkipped++; // (the common case: no promise for nothing)
      return;
    }
    this.touch(id).catch(() => {
      this.counts.touchesFailed++;
    });
  }

  stats(): StoreStats {
    return { ...this.counts };
  }

  async destroy(id: string): Promise<void> {
    this.touches.forget(id);
    this.recent.delete(id);
    this.counts.destroys++;
    await this.node.sessions.destroy(id);
  }

  /** Ids of every live session in the cluster (bounded by maxListedSessions and opTimeoutMs). */
  ids(): Promise<string[]> {
    return withDeadline(this.node.sessions.listIds({ limit: this.maxListedSessions }), this.opTimeoutMs, 'listing sessions');
  }

  /** Every live session in stored form, by id; sessions that vanish while listing are left out. */
  all(): Promise<Map<string, Record<string, unknown>>> {
    const work = async () => {
      const out = new Map<string, Record<string, unknown>>();
      const ids = await this.node.sessions.listIds({ limit: this.maxListedSessions });
      await eachLimited(ids, LIST_CONCURRENCY, async (id) => {
        const s = await this.node.sessions.get(id);
        if (s !== null) out.set(id, s.data);
      });
      return out;
    };
    return withDeadline(work(), this.opTimeoutMs, 'reading all sessions');
  }

  /** Destroys every session in the cluster. On a timeout, what was destroyed stays destroyed. */
  clear(): Promise<void> {
    const work = async () => {
      const ids = await this.node.sessions.listIds({ limit: this.maxListedSessions });
      await eachLimited(ids, LIST_CONCURRENCY, (id) => this.destroy(id));
    };
    return withDeadline(work(), this.opTimeoutMs, 'clearing sessions');
  }

  /**
   * The change alone over maxSessionBytes cannot fit: refuse it before sending it. (Values that
   * cannot be encoded at all are left to the cluster, which names them in ERR_INVALID_VALUE.)
   */
  private checkSize(attrs: Record<string, unknown>): void {
    const limit = this.node.options.maxSessionBytes;
    // Most changes are a few scalars: bounded from above without encoding them, and encoded
    // (exactly) only when the bound does not settle it.
    let bound = 0;
    for (const k in attrs) if (Object.hasOwn(attrs, k)) bound += scalarBound(k) + scalarBound(attrs[k]);
    if (bound <= limit) return;
    let bytes = 0;
    for (const k of Object.keys(attrs)) {
      try {
        bytes += encodedSize(k) + encodedSize(attrs[k]);
      } catch {
        return;
      }
      if (bytes > limit) break;
    }
    if (bytes > limit) {
      throw new SessionMeshError('ERR_SESSION_TOO_LARGE', `session data of at least ${bytes} bytes exceeds maxSessionBytes (${limit}); nothing was stored`, { bytes, maxSessionBytes: limit });
    }
  }
}

/**
 * An upper bound of encodedSize(v) for a scalar without encoding it (msgpack: 9 bytes at most for
 * a number, at most 5 of header and 3 UTF-8 bytes per UTF-16 unit for a string); Infinity for
 * anything else, which is then encoded.
 */
function scalarBound(v: unknown): number {
  switch (typeof v) {
    case 'number':
    case 'boolean':
      return 9;
    case 'string':
      return 5 + 3 * v.length;
    default:
      return v === null ? 1 : Infinity;
  }
}

/** Forwards the member's state as the store events frameworks listen to. */
export function forwardConnectionEvents(node: AdapterNode, emit: (event: 'connect' | 'disconnect') => void): void {
  node.on('joined', () => emit('connect'));
  node.on('left', () => emit('disconnect'));
}
