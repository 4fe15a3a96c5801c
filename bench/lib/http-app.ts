/**
 * The app under test in bench:http: Express 5 + express-session with one of three stores, and one
 * endpoint that reads and increments a counter in the session (saved before answering, so an
 * acknowledged increment is a stored one).
 *
 *   node http-app.js <sessionmesh|redis|memorystore> <http port> [seed host:port | redis port]
 *
 * Prints "listening <port>" once it serves.
 */
import express from 'express';
import session from 'express-session';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [kind, portArg, extra] = process.argv.slice(2);

async function makeStore(): Promise<{ store: session.Store; genid?: () => string }> {
  switch (kind) {
    case 'sessionmesh': {
      const { createNode } = await import('../../src/index.js');
      const { SessionMeshStore } = await import('../../src/adapters/express/index.js');
      const node = await createNode({ name: 'bench-app', port: 0, seeds: [extra!], secret: process.env.SESSIONMESH_SECRET!, replicas: 2, logLevel: 'warn', joinTimeoutMs: 10_000 });
      const store = new SessionMeshStore({ node });
      return { store, genid: store.genid };
    }
    case 'redis': {
      const { createClient } = await import('redis');
      const { RedisStore } = (await import('connect-redis')) as unknown as { RedisStore: new (o: { client: unknown }) => session.Store };
      const client = createClient({ socket: { host: '127.0.0.1', port: Number(extra) } });
      await client.connect();
      return { store: new RedisStore({ client }) };
    }
    case 'memorystore': {
      const MemoryStore = require('memorystore')(session) as new (o: { checkPeriod: number }) => session.Store;
      return { store: new MemoryStore({ checkPeriod: 3_600_000 }) };
    }
    default:
      throw new Error(`unknown store ${kind}`);
  }
}

declare module 'express-session' {
  interface SessionData {
    count?: number;
  }
}

const { store, genid } = await makeStore();
const app = express();
app.use(session({ store, ...(genid ? { genid } : {}), secret: 'bench-session-secret', resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }));
app.post('/count', (req, res, next) => {
  req.session.count = (req.session.count ?? 0) + 1;
  req.session.save((err) => (err ? next(err) : res.json({ count: req.session.count })));
});
const server = app.listen(Number(portArg), '127.0.0.1', () => {
  console.log(`listening ${(server.address() as { port: number }).port}`);
});
process.on('SIGTERM', () => process.exit(0));
