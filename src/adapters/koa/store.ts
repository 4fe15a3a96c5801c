/**
 * koa-session external store backed by the sessionmesh member of this process:
 *
 *   const store = new SessionMeshStore({ node });
 *   app.use(session({ store, genid: store.genid, maxAge: 86_400_000, rolling: true }, app));
 *
 * koa-session hands the store the request's `ctx` on get and set, so the store remembers per
 * request what it loaded: `set` sends only what the request changed, and a save koa-session makes
 * only because of `rolling`/`renew` (its `changed` flag is false) is a cheap touch. `_expire` is
 * derived from `_maxAge` (recomputed at load, not stored), so rolling saves write nothing.
 */
import { forwardConnectionEvents, StoreCore, type Base, type StoreStats } from '../common/store-core.js';
import type { StoreOptions } from '../common/node.js';
import { koaMaxIdleMs, loadedKoaData, storedKoaData } from '../common/ttl.js';
import { withHttpStatus } from '../common/http-status.js';
import { sameValue } from '../common/values.js';
import { EventEmitter } from 'node:events';

export type SessionMeshStoreOptions = StoreOptions;

interface KoaStoreCallOptions {
  ctx?: object;
  rolling?: boolean;
  changed?: boolean;
}

export class SessionMeshStore extends EventEmitter {
  private readonly core: StoreCore;
  /** ctx → session key → what this request loaded or last saved. */
  private readonly bases = new WeakMap<object, Map<string, Base>>();

  /** Pass as koa-session's `genid`: ids for which this member is primary. */
  readonly genid: (ctx?: unknown) => string;

  constructor(options: SessionMeshStoreOptions) {
    super();
    this.core = new StoreCore(options, '_maxAge');
    this.genid = () => this.core.newId();
    forwardConnectionEvents(options.node, (e) => this.emit(e));
  }

  async get(key: string, _maxAge?: unknown, options: KoaStoreCallOptions = {}): Promise<Record<string, unknown> | null> {
    try {
      const found = await this.core.load(key);
      if (found === null) return null;
      if (options.ctx) this.remember(options.ctx, key, found.base);
      return loadedKoaData(found.data, Date.now());
    } catch (err) {
      throw withHttpStatus(err as Error);
    }
  }

  async set(key: string, sess: Record<string, unknown>, maxAge?: unknown, options: KoaStoreCallOptions = {}): Promise<void> {
    try {
      const base = (options.ctx && this.bases.get(options.ctx)?.get(key)) || this.core.recentBase(key) || null;
      const data = storedKoaData(plain(sess));
      if (base !== null && options.changed === false && sameValue(base.data._maxAge, data._maxAge) && sameValue(base.data._session, data._session)) {
        // A rolling/renew save of unchanged data (koa-session's hash ignores the lifetime, so
        // that is compared here): only the idle clock moves.
        await this.core.touch(key);
        return;
      }
      const r = await this.core.save(key, base, data, koaMaxIdleMs(maxAge));
      if (options.ctx) this.remember(options.ctx, key, r.base);
    } catch (err) {
      throw withHttpStatus(err as Error);
    }
  }

  /** Operations sent to the cluster and touches skipped since the store was created. */
  stats(): StoreStats {
    return this.core.stats();
  }

  async destroy(key: string, _options?: KoaStoreCallOptions): Promise<void> {
    try {
      await this.core.destroy(key);
    } catch (err) {
      throw withHttpStatus(err as Error);
    }
  }

  /** Ids of every live session of the cluster (bounded: maxListedSessions, opTimeoutMs). */
  ids(): Promise<string[]> {
    return this.core.ids();
  }

  /** Destroys every session of the cluster. */
  clear(): Promise<void> {
    return this.core.clear();
  }

  private remember(ctx: object, key: string, base: Base): void {
    let m = this.bases.get(ctx);
    if (!m) this.bases.set(ctx, (m = new Map()));
    m.set(key, base);
  }
}

function plain(sess: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(sess)) if (sess[k] !== undefined && typeof sess[k] !== 'function') out[k] = sess[k];
  return out;
}
