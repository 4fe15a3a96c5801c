/**
 * The HTTP session API's contract (status codes, error bodies, validation), against an
 * in-memory SessionsApi. The real replicated store behind it is tested in test/integration.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HttpServer } from '../../../src/http/server.js';
import { installSessionRoutes } from '../../../src/http/session-routes.js';
import { SessionMeshError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import type { SessionsApi, SessionView } from '../../../src/node/sessions-api.js';

class FakeSessions implements SessionsApi {
  readonly map = new Map<string, SessionView>();
  private n = 0;
  async create(input: { data?: Record<string, unknown> }) {
    const id = `s${String(++this.n).padStart(21, '0')}`;
    this.map.set(id, { id, data: { ...input.data }, version: 1 });
    return { id, version: 1 };
  }
  async get(id: string) {
    return this.map.get(id) ?? null;
  }
  async update(id: string, change: { set?: Record<string, unknown>; delete?: string[] }, o?: { ifVersion?: number }) {
    const s = this.map.get(id);
    if (!s) throw new SessionMeshError('ERR_NOT_FOUND', 'no such session');
    if (o?.ifVersion !== undefined && o.ifVersion !== s.version) throw new SessionMeshError('ERR_VERSION_CONFLICT', `version is ${s.version}`);
    Object.assign(s.data, change.set);
    for (const k of change.delete ?? []) delete s.data[k];
    s.version++;
    return { version: s.version };
  }
  async touch(id: string) {
    return this.map.has(id);
  }
  async destroy(id: string) {
    this.map.delete(id);
  }
}

describe('HTTP session API', () => {
  const server = new HttpServer(silentLogger);
  const api = new FakeSessions();
  let base = '';
  const auth = { authorization: 'Bearer tok-123', 'content-type': 'application/json' };

  before(async () => {
    installSessionRoutes(server, api, { token: 'tok-123', maxBodyBytes: 1024, logger: silentLogger });
    const a = await server.listen('127.0.0.1', 0);
    base = `http://127.0.0.1:${a.port}`;
  });
  after(() => server.close());

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) => {
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : null };
  };

  it('creates, reads, updates and deletes', async () => {
    const c = await call('POST', '/v1/sessions', { data: { n: 1 }, maxIdleMs: 60000 });
    assert.equal(c.status, 201);
    const id = c.body!.id as string;
    assert.deepEqual(await call('GET', `/v1/sessions/${id}`), { status: 200, body: { id, data: { n: 1 }, version: 1 } });
    assert.deepEqual(await call('PATCH', `/v1/sessions/${id}`, { set: { n: 2 }, ifVersion: 1 }), { status: 200, body: { version: 2 } });
    assert.equal((await call('PATCH', `/v1/sessions/${id}`, { set: { n: 3 }, ifVersion: 1 })).status, 409);
    assert.equal((await call('DELETE', `/v1/sessions/${id}`)).status, 204);
    const gone = await call('GET', `/v1/sessions/${id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body!.error.code, 'ERR_NOT_FOUND');
    assert.equal((await call('PATCH', `/v1/sessions/${id}`, { set: { a: 1 } })).status, 404);
  });

  it('401 without the right token, before reading anything', async () => {
    for (const headers of [{ 'content-type': 'application/json' }, { ...auth, authorization: 'Bearer nope' }, { ...auth, authorization: 'tok-123' }]) {
      const r = await call('POST', '/v1/sessions', { data: {} }, headers);
      assert.equal(r.status, 401);
      assert.equal(r.body!.error.code, 'ERR_AUTH');
    }
    assert.equal(api.map.size, 0);
  });

  it('400 for invalid JSON, wrong shapes and unknown fields; 413 when too large; 415 for non-JSON', async () => {
    const cases: Array<[string, string, unknown, number]> = [
      ['POST', '/v1/sessions', '{"data":', 400],
      ['POST', '/v1/sessions', [1, 2], 400],
      ['POST', '/v1/sessions', { data: 5 }, 400],
      ['POST', '/v1/sessions', { data: {}, extra: 1 }, 400],
      ['POST', '/v1/sessions', { maxIdleMs: -1 }, 400],
      ['POST', '/v1/sessions', { data: { big: 'x'.repeat(2000) } }, 413],
      ['PATCH', '/v1/sessions/abcdefghijklmnopqrstuv', {}, 400],
      ['PATCH', '/v1/sessions/abcdefghijklmnopqrstuv', { delete: [1] }, 400],
      ['PATCH', '/v1/sessions/abcdefghijklmnopqrstuv', { set: {}, ifVersion: 1.5 }, 400],
      ['GET', '/v1/sessions/bad!id', undefined, 400],
    ];
    for (const [method, path, body, status] of cases) {
      const r = await call(method, path, body);
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 40)}`);
      assert.equal(typeof r.body!.error.code, 'string');
      assert.equal(typeof r.body!.error.message, 'string');
    }
    const r = await call('POST', '/v1/sessions', '{}', { authorization: 'Bearer tok-123', 'content-type': 'text/plain' });
    assert.equal(r.status, 415);
  });
});
