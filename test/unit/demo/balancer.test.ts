import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { RoundRobinBalancer } from '../../../src/demo/balancer.js';

/** An HTTP server answering with its name, the method and the body it got. */
async function echo(name: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('set-cookie', [`a=${name}`, 'b=2']);
      res.end(JSON.stringify({ name, method: req.method, url: req.url, body: Buffer.concat(chunks).toString(), xff: req.headers['x-forwarded-for'] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A loopback port with nothing listening on it (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('RoundRobinBalancer', () => {
  const closers: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('takes turns, forwards method, path, body and every Set-Cookie, and retries a refused connection on the next target', async () => {
    const a = await echo('a');
    const c = await echo('c');
    closers.push(() => void a.server.close(), () => void c.server.close());
    const dead = await closedPort();
    const lb = new RoundRobinBalancer({
      host: '127.0.0.1',
      port: 0,
      targets: [
        { name: 'a', host: '127.0.0.1', port: a.port },
        { name: 'b', host: '127.0.0.1', port: dead },
        { name: 'c', host: '127.0.0.1', port: c.port },
      ],
    });
    const { port } = await lb.listen();
    closers.push(() => lb.close());
    const served: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/x/${i}?q=1`, { method: 'POST', body: `body-${i}` });
      assert.equal(res.status, 200);
      const got = (await res.json()) as { name: string; method: string; url: string; body: string; xff: string };
      assert.equal(got.method, 'POST');
      assert.equal(got.url, `/x/${i}?q=1`);
      assert.equal(got.body, `body-${i}`);
      assert.equal(got.xff, '127.0.0.1');
      assert.deepEqual(res.headers.getSetCookie(), [`a=${got.name}`, 'b=2']);
      served.push(got.name);
    }
    // b refuses: its turn goes to the next target, c.
    assert.deepEqual(served, ['a', 'c', 'c', 'a', 'c', 'c']);
  });

  it('answers 502 with a clear error when every target refuses', async () => {
    const lb = new RoundRobinBalancer({ host: '127.0.0.1', port: 0, targets: [{ name: 'x', host: '127.0.0.1', port: await closedPort() }] });
    const { port } = await lb.listen();
    closers.push(() => lb.close());
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(res.status, 502);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'ERR_NO_TARGET');
    assert.match(body.error.message, /refused: x/);
  });

  it('does not retry a request the target accepted and then dropped (it may have acted on it)', async () => {
    let hits = 0;
    const dropper = http.createServer((req) => {
      hits++;
      req.socket.destroy();
    });
    await new Promise<void>((r) => dropper.listen(0, '127.0.0.1', r));
    const ok = await echo('ok');
    closers.push(() => void dropper.close(), () => void ok.server.close());
    const lb = new RoundRobinBalancer({
      host: '127.0.0.1',
      port: 0,
      targets: [
        { name: 'dropper', host: '127.0.0.1', port: (dropper.address() as AddressInfo).port },
        { name: 'ok', host: '127.0.0.1', port: ok.port },
      ],
    });
    const { port } = await lb.listen();
    closers.push(() => lb.close());
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 502);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'ERR_TARGET_FAILED');
    assert.equal(hits, 1);
  });

  it('refuses bodies over maxBodyBytes with 413', async () => {
    const t = await echo('t');
    closers.push(() => void t.server.close());
    const lb = new RoundRobinBalancer({ host: '127.0.0.1', port: 0, maxBodyBytes: 10, targets: [{ name: 't', host: '127.0.0.1', port: t.port }] });
    const { port } = await lb.listen();
    closers.push(() => lb.close());
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x'.repeat(11) });
    assert.equal(res.status, 413);
  });
});
