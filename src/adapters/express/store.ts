/**
 * express-session store backed by the sessionmesh member of this process:
 *
 *   const node = await createNode({ ... });
 *   const store = new SessionMeshStore({ node });
 *   app.use(session({ store, genid: store.genid, secret, resave: false, saveUninitialized: false }));
 *
 * Each request's loaded session is remembered (a private deep copy, keyed by its Session object
 * through createSession), so `set` sends only the attributes the request changed and `touch`
 * stays a cheap touch unless the cookie's lifetime changed. See src/adapters/common/store-core.ts
 * for the save semantics (logout is never undone by a slower request) and docs/adapters.md.
 */
import session from 'express-session';
import type { SessionData } from 'express-session';
import { forwardConnectionEvents, StoreCore, type Base, type Loaded, type StoreStats } from '../common/store-core.js';
import type { StoreOptions } from '../common/node.js';
import { settle } from '../common/callback.js';
import { cookieMaxIdleMs, loadedCookie, storedSessionForm } from '../common/ttl.js';

export type SessionMeshStoreOptions = StoreOptions;

type Cb<T = void> = (err?: unknown, value?: T) => void;

export class SessionMeshStore extends session.Store {
  private readonly core: StoreCore;
  /** Data objects handed to express-session by get(), until createSession turns them into Sessions. */
  private readonly loaded = new WeakMap<object, Base>();
  /** Session objects (req.session) → what their request loaded or last saved. */
  private readonly bases = new WeakMap<object, Base>();

  /**
   * Pass as express-session's `genid`: new sessions get ids for which this member is primary,
   * so creating and using them needs no network hop while the member owns their partition.
   */
  readonly genid: (req?: unknown) => string;

  constructor(options: SessionMeshStoreOptions) {
    super();
    this.core = new StoreCore(options, 'cookie');
    this.genid = () => this.core.newId();
    forwardConnectionEvents(options.node, (e) => this.emit(e));
    // express-session starts out "connected"; tell it otherwise if the member has not joined yet
    // (it registers its listeners when session() is called, usually in the same tick).
    if (!options.node.isJoined()) process.nextTick(() => options.node.isJoined() || this.emit('disconnect'));
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    // On the session's primary the answer is here: call back in the same tick, without a
    // promise chain (express-session does nothing after calling get but wait for the callback).
    const local = this.core.loadLocal(sid);
    if (local !== undefined) {
      callback(null, this.sessionData(sid, local));
      return;
    }
    settle(
      this.core.load(sid).then((found) => this.sessionData(sid, found)),
      callback as Cb<SessionData | null>,
    );
  }

  /** What express-session gets for a loaded session (null: missing, or its cookie expired). */
  private sessionData(sid: string, found: Loaded | null): SessionData | null {
    if (found === null) return null;
    const { cookie, expired } = loadedCookie(found.data.cookie, Date.now());
    if (expired) {
      // An absolute cookie expiry passed: the session is over, whatever its idle clock says.
      this.core.destroy(sid).catch(() => {});
      return null;
    }
    const sess = { ...found.data, cookie: cookie ?? {} } as unknown as SessionData;
    this.loaded.set(sess, found.base);
    return sess;
  }

  override createSession(req: Parameters<session.Store['createSession']>[0], sess: SessionData): ReturnType<session.Store['createSession']> {
    const base = this.loaded.get(sess);
    const s = super.createSession(req, sess);
    if (base) this.bases.set(s, base);
    return s;
  }

  override set(sid: string, sess: SessionData, callback?: (err?: unknown) => void): void {
    settle(this.write(sid, sess, this.baseOf(sid, sess)), callback as Cb | undefined);
  }

  override touch(sid: string, sess: SessionData, callback?: (err?: unknown) => void): void {
    // express-session touches when the data is unchanged; a changed cookie (e.g. a new maxAge)
    // still has to be stored.
    const base = this.baseOf(sid, sess);
    const form = storedForm(sess);
    if (base === null || !this.core.changed(base, form)) {
      // A plain touch only refreshes the idle clock (the request's get already did, and losing
      // one to a crash costs nothing), so it runs in the background and the callback runs now,
      // synchronously. That matters: express-session writes all of the answer but its last byte
      // before calling touch, and the rest in the callback. A callback on a later tick leaves a
      // window where a crash cuts the answer short, which no load balancer can retry; a
      // synchronous one makes express-session send the answer whole.
      this.core.touchInBackground(sid);
      callback?.();
      return;
    }
    settle(this.write(sid, sess, base, form), callback as Cb | undefined);
  }

  /** What this request loaded or last saved for `sess` (null: a new session). */
  private baseOf(sid: string, sess: SessionData): Base | null {
    return this.bases.get(sess) ?? this.core.recentBase(sid) ?? null;
  }

  private async write(sid: string, sess: SessionData, base: Base | null, form = storedForm(sess)): Promise<void> {
    const r = await this.core.save(sid, base, form, cookieMaxIdleMs(sess.cookie, Date.now()));
    this.bases.set(sess, r.base);
  }

  /** Operations sent to the cluster and touches skipped since the store was created. */
  stats(): StoreStats {
    return this.core.stats();
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    settle(this.core.destroy(sid), callback as Cb | undefined);
  }

  /** Every live session of the cluster, by id (bounded: maxListedSessions, opTimeoutMs). */
  override all(callback: (err: unknown, obj?: { [sid: string]: SessionData } | null) => void): void {
    const work = async () => {
      const out: { [sid: string]: SessionData } = {};
      const now = Date.now();
      for (const [id, data] of await this.core.all()) {
        const { cookie, expired } = loadedCookie(data.cookie, now);
        if (!expired) out[id] = { ...data, cookie: cookie ?? {} } as unknown as SessionData;
      }
      return out;
    };
    settle(work(), callback as Cb<{ [sid: string]: SessionData }>);
  }

  /** Ids of every live session of the cluster (as connect-redis offers). */
  ids(callback: (err: unknown, ids?: string[]) => void): void {
    settle(this.core.ids(), callback as Cb<string[]>);
  }

  override length(callback: (err: unknown, length?: number) => void): void {
    settle(
      this.core.ids().then((ids) => ids.length),
      callback as Cb<number>,
    );
  }

  override clear(callback?: (err?: unknown) => void): void {
    settle(this.core.clear(), callback as Cb | undefined);
  }
}

function storedForm(sess: SessionData): Record<string, unknown> {
  return storedSessionForm(sess as unknown as Record<string, unknown>);
}
