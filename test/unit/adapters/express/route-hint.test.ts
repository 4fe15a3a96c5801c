import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { routeHint } from '../../../../src/adapters/express/route-hint.js';
import type { SessionLocation } from '../../../../src/node/node.js';
import type { MemberStatus } from '../../../../src/node/status.js';

function member(name: string, state: MemberStatus['state'] = 'alive'): MemberStatus {
  return { id: `id-${name}`, name, address: '127.0.0.1:1', httpAddress: null, state, incarnation: 0, role: 'member', zone: null, startedAtMs: 0 };
}

/**
 * A server running the middleware the way Express would after express-session: `session` is what
 * the fake session middleware puts on the request.
 */
async function serve(primaryOf: () => MemberStatus | null, session: (req: http.IncomingMessage) => { sessionID?: string; session?: object }) {
  const node = { locate: (id: string): SessionLocation | null => ({ partition: id.length, epoch: 1, primary: primaryOf(), backups: [] }) };
  const mw = routeHint({ node });
  const server = http.createServer((req, res) => {
    Object.assign(req, session(req));
    mw(req, res, () => {
      res.setHeader('set-cookie', 'connect.sid=abc');
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe('routeHint', () => {
  const servers: http.Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  it('names the primary of a stored session, keeps the other cookies, and follows a failover', async () => {
    let primary = member('app-1');
    const { server, url } = await serve(() => primary, () => ({ sessionID: 's1', session: { cookie: {} } }));
    servers.push(server);
    let res = await fetch(url, { headers: { cookie: 'connect.sid=s%3As1.sig' } });
    assert.deepEqual(res.headers.getSetCookie(), ['connect.sid=abc', 'smroute=app-1; Path=/; HttpOnly; SameSite=Lax']);
    // The hint is current: nothing to set.
    res = await fetch(url, { headers: { cookie: 'connect.sid=s%3As1.sig; smroute=app-1' } });
    assert.deepEqual(res.headers.getSetCookie(), ['connect.sid=abc']);
    // Failover: app-2 was promoted.
    primary = member('app-2');
    res = await fetch(url, { headers: { cookie: 'connect.sid=s%3As1.sig; smroute=app-1' } });
    assert.deepEqual(res.headers.getSetCookie(), ['connect.sid=abc', 'smroute=app-2; Path=/; HttpOnly; SameSite=Lax']);
  });

  it('sets a hint for a new session with data, none for an empty new session or a dead primary', async () => {
    let data: object = { cookie: {} };
    let primary = member('app-1');
    const { server, url } = await serve(() => primary, () => ({ sessionID: 'new', session: data }));
    servers.push(server);
    let res = await fetch(url);
    assert.deepEqual(res.headers.getSetCookie(), ['connect.sid=abc'], 'anonymous request: no hint');
    data = { cookie: {}, count: 1 };
    res = await fetch(url);
    assert.deepEqual(res.headers.getSetCookie(), ['connect.sid=abc', 'smroute=app-1; Path=/; HttpOnly; SameSite=Lax']);
    primary = member('app-1', 'dead');
    res = await fetch(url);
    assert.deepEqual(res.headers.getSetCookie(), ['connect.sid=abc']);
  });

  it('does nothing without express-session on the request', async () => {
    const { server, url } = await serve(() => member('app-1'), () => ({}));
    servers.push(server);
    const res = await fetch(url, { headers: { cookie: 'connect.sid=x' } });
    assert.deepEqual(res.headers.getSetCookie(), ['connect.sid=abc']);
  });
});
