// An Express app whose sessions live in a sessionmesh cluster: every process running this file is
// a cluster member holding a share of the sessions, with a copy of each on another member. Kill
// any one process and the sessions it held are still there.
//
//   NAME=app-1 PORT=3001 PEER_PORT=7401 SESSIONMESH_SECRET=... SESSION_SECRET=... node app.js
//   NAME=app-2 PORT=3002 PEER_PORT=7402 SEEDS=127.0.0.1:7401 ... node app.js
//
// `npm run demo` starts three of these behind a load balancer on http://127.0.0.1:8080.
import { fileURLToPath } from 'node:url';
import express from 'express';
import session from 'express-session';
import { createNode } from 'sessionmesh';
import { SessionMeshStore, routeHint } from 'sessionmesh/express';

const name = process.env.NAME ?? `app-${process.pid}`;
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);

const node = await createNode({
  name,
  host,
  port: Number(process.env.PEER_PORT ?? 7400),
  seeds: (process.env.SEEDS ?? '').split(',').filter(Boolean),
  secret: process.env.SESSIONMESH_SECRET,
  logLevel: process.env.LOG_LEVEL ?? 'warn',
});
const store = new SessionMeshStore({ node });

const app = express();
app.use(express.static(fileURLToPath(new URL('./public', import.meta.url))));
app.use(session({ store, genid: store.genid, secret: process.env.SESSION_SECRET, resave: false, saveUninitialized: false }));
// A cookie naming this session's primary member, for load balancers that stick on it.
app.use(routeHint({ node }));

app.get('/healthz', (req, res) => {
  const ok = node.isJoined() && !node.isClosing();
  res.status(ok ? 200 : 503).json({ ok, member: name });
});

app.post('/api/count', (req, res, next) => {
  // A load balancer may resend a request whose app died before answering. The page sends one
  // Idempotency-Key per click, so a resent click is counted once.
  const key = req.get('idempotency-key');
  if (key === undefined || key !== req.session.lastKey) {
    req.session.count = (req.session.count ?? 0) + 1;
    req.session.lastKey = key;
  }
  // Saved before answering: left to itself, express-session sends most of the answer before its
  // save completes, and an answer cut short by a crash is one no load balancer can retry.
  req.session.save((err) => (err ? next(err) : res.json(view(req))));
});

app.get('/api/state', (req, res) => res.json(view(req)));

// Demo only (ALLOW_KILL=1): the page's "kill" button. The process exits at once, without leaving
// the cluster gracefully, like a crash would.
if (process.env.ALLOW_KILL === '1') {
  app.post('/api/kill', express.json(), (req, res) => {
    if (req.body?.member !== name) return res.status(421).json({ servedBy: name, error: `this is ${name}, not ${req.body?.member}` });
    console.log(`${name} killed from the page: exiting without a graceful leave`);
    res.on('finish', () => setImmediate(() => process.exit(1)));
    res.set('connection', 'close').json({ killed: name });
  });
}

/** What the page shows: the counter, who answered, and where the session lives. */
function view(req) {
  // A visitor who never clicked has no stored session, so it lives nowhere yet.
  const where = req.session.count === undefined ? null : node.locate(req.sessionID);
  return {
    count: req.session.count ?? 0,
    servedBy: name,
    primary: where?.primary?.name ?? null,
    backups: where?.backups.map((m) => m.name) ?? [],
    members: node.members().map((m) => ({ name: m.name, state: m.state })),
  };
}

const server = app.listen(port, host, () => {
  console.log(`${name} listening on http://${host}:${server.address().port} (cluster peer ${node.status().self.address})`);
});

// Ctrl-C or SIGTERM: hand this member's sessions to the others, then exit.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    server.close();
    await node.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
