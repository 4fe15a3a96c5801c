/**
 * @fastify/session store backed by the sessionmesh member of this process:
 *
 *   const store = new SessionMeshStore({ node });
 *   app.addHook('onRequest', store.onRequest);   // before the session plugin's hook
 *   app.register(fastifyCookie);
 *   app.register(fastifySession, { store, idGenerator: store.genid, secret, cookie: { maxAge } });
 *
 * @fastify/session copies what `get` returns into a new Session object and never tells the store
 * which request loads it. The `onRequest` hook (registered before the session plugin's, so it runs
 * first) makes the request known while @fastify/session calls `get`, and the store then remembers
 * that request's Session with a private copy of what it loaded: `set` sends only what the request
 * changed (so concurrent changes of different attributes both survive) and never re-creates a
 * session destroyed meanwhile. Without the hook a save is diffed against the latest load of that
 * session in this process, which is exact unless requests for one session overlap here.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { forwardConnectionEvents, StoreCore, type Base, type StoreStats } from '../common/store-core.js';
import type { StoreOptions } from '../common/node.js';
import { settle } from '../common/callback.js';
import { cookieMaxIdleMs, loadedCookie, storedSessionForm } from '../common/ttl.js';

export type SessionMeshStoreOptions = StoreOptions;

type Cb<T = void> = (err?: unknown, value?: T) => void;

/** The parts of a Fastify request the store looks at. */
interface RequestLike {
  session?: unknown;
}

export class SessionMeshStore extends EventEmitter {
  private readonly core: StoreCore;
  private readonly requests = new AsyncLocalStorage<RequestLike>();
  /** Session objects (request.session) → what their request loaded or last saved. */
  private readonly bases = new WeakMap<object, Base>();

  /** Pass as @fastify/session's `idGenerator`: ids for which this member is primary. */
  readonly genid: (request?: unknown) => string;

  /**
   * Fastify `onRequest` hook; add it before registering @fastify/session so it runs first.
   * Callback style on purpose: the session plugin's hook then runs inside it, synchronously.
   */
  readonly onRequest: (request: RequestLike, reply: unknown, done: (err?: Error) => void) => void;

  constructor(options: SessionMeshStoreOptions) {
    super();
    this.core = new StoreCore(options, 'cookie');
    this.genid = () => this.core.newId();
    this.onRequest = (request, _reply, done) => this.requests.run(request, done);
    forwardConnectionEvents(options.node, (e) => this.emit(e));
  }

  // `any`: the callback takes @fastify/session's Session type, which this module does not import
  // (the framework is an optional peer dependency); what is passed is plain session data.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  get(sessionId: string, callback: (err: any, session?: any) => void): void {
    const request = this.requests.getStore();
    const work = async (): Promise<{ sess: Record<string, unknown>; base: Base } | null> => {
      const found = await this.core.load(sessionId);
      if (found === null) return null;
      const { cookie, expired } = loadedCookie(found.data.cookie, Date.now());
      if (expired) {
        this.core.destroy(sessionId).catch(() => {});
        return null;
      }
      return { sess: cookie ? { ...found.data, cookie } : found.data, base: found.base };
    };
    work().then(
      (r) =>
        process.nextTick(() => {
          callback(null, r?.sess ?? null);
          // @fastify/session builds the request's Session synchronously in the callback.
          const s = request?.session;
          if (r && typeof s === 'object' && s !== null && (s as { sessionId?: unknown }).sessionId === sessionId) this.bases.set(s, r.base);
        }),
      (err: unknown) => settle(Promise.reject(err), callback as Cb),
    );
  }

  set(sessionId: string, session: object, callback: (err?: unknown) => void): void {
    const work = async () => {
      const base = this.bases.get(session) ?? this.core.recentBase(sessionId) ?? null;
      const attrs = session as Record<string, unknown>;
      const r = await this.core.save(sessionId, base, storedSessionForm(attrs), cookieMaxIdleMs(attrs.cookie, Date.now()));
      this.bases.set(session, r.base);
    };
    settle(work(), callback as Cb);
  }

  /** Operations sent to the cluster and touches skipped since the store was created. */
  stats(): StoreStats {
    return this.core.stats();
  }

  destroy(sessionId: string, callback: (err?: unknown) => void): void {
    settle(this.core.destroy(sessionId), callback as Cb);
  }

  /** Ids of every live session of the cluster (bounded: maxListedSessions, opTimeoutMs). */
  ids(): Promise<string[]> {
    return this.core.ids();
  }

  /** Destroys every session of the cluster. */
  clear(): Promise<void> {
    return this.core.clear();
  }
}
