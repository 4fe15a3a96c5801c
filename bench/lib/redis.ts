/**
 * A real redis-server for the comparisons, on a free loopback port. If the binary is missing the
 * benchmark installs Debian's redis-server when it runs as root with apt-get, else it explains
 * how to get one. The server keeps nothing on disk (no RDB, no AOF), like a session cache.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { ensureBinary } from './debian.js';
import { createServer } from 'node:net';
import { once } from 'node:events';

export interface RedisServer {
  port: number;
  version: string;
  /** The server's process id (for CPU accounting). */
  pid: number | undefined;
  stop(): Promise<void>;
}

export function ensureRedisBinary(): string {
  return ensureBinary('redis-server', 'redis-server');
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

export async function startRedis(): Promise<RedisServer> {
  const bin = ensureRedisBinary();
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not get ready within 5 s: ${out}`)), 5000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited: ${out}`));
    });
  });
  return {
    port,
    version,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
