/**
 * close() of a single in-process member: /healthz turns 503 `closing: true` at once, session ops
 * are still served during the drain (answers close their connection), and only after close()
 * resolved do ops fail, with ERR_CLOSED, and the HTTP port refuse connections.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createNode } from '../../../src/node/node.js';
import { isSessionMeshError } from '../../../src/errors.js';

const TOKEN = 'unit-test-token-123';
const DRAIN_MS = 400;

describe('node.close() drains before it stops', () => {
  it('503 on /healthz at once, ops served during the drain, ERR_CLOSED and refused connections after', async () => {
    const node = await createNode({ insecure: true, port: 0, httpPort: 0, apiToken: TOKEN, drainMs: DRAIN_MS, logLevel: 'silent' });
    const http = node.status().self.httpAddress!;
    const auth = { authorization: `Bearer ${TOKEN}` };
    const healthy = await fetch(`http://${http}/healthz`);
    assert.equal(healthy.status, 200);
    assert.deepEqual(await healthy.json(), { ok: true, joined: true, closing: false });
    const { id } = await node.sessions.create({ data: { n: 1 } });

    const startedMs = performance.now();
    const closed = node.close();
    assert.equal(node.isClosing(), true);
    const draining = await fetch(`http://${http}/healthz`);
    assert.equal(draining.status, 503);
    assert.equal(draining.headers.get('connection'), 'close');
    assert.deepEqual(await draining.json(), { ok: false, joined: true, closing: true });
    // Still served while draining, through HTTP and the library API.
    const read = await fetch(`http://${http}/v1/sessions/${id}`, { headers: auth });
    assert.equal(read.status, 200);
    assert.deepEqual(((await read.json()) as { data: unknown }).data, { n: 1 });
    assert.equal((await node.sessions.update(id, { set: { n: 2 } })).version, 2);

    await closed;
    assert.ok(performance.now() - startedMs >= DRAIN_MS - 20, 'HTTP stayed up for drainMs');
    await assert.rejects(node.sessions.get(id), (err: unknown) => isSessionMeshError(err, 'ERR_CLOSED'));
    await assert.rejects(fetch(`http://${http}/healthz`), (err: Error & { cause?: { code?: string } }) => err.cause?.code === 'ECONNREFUSED');
    await node.close(); // idempotent
  });
});
