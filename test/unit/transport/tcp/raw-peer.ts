/** Test helper: a hand-driven peer on a raw socket, to send what a well-behaved transport never would. */
import * as net from 'node:net';
import { once } from 'node:events';
import { SystemRandom } from '../../../../src/clock/clock.js';
import type { PeerAddress } from '../../../../src/transport/address.js';
import { DialerHandshake } from '../../../../src/transport/handshake.js';
import { decodeBody, encodeBody } from '../../../../src/wire/codec.js';
import { encodeFrame, FrameKind, type Frame } from '../../../../src/wire/frame.js';
import { FrameDecoder } from '../../../../src/wire/frame-decoder.js';

export interface RawPeer {
  socket: net.Socket;
  id: string;
  /** Frames received after authentication. */
  frames: Frame[];
  closed: Promise<void>;
  write(kind: FrameKind, type: number, body: unknown, correlationId?: number): void;
}

/** Connects and (unless `authenticate` is false) completes the handshake. */
export async function rawPeer(
  to: PeerAddress,
  options: { id: string; cluster: string; secret: string | null; beforeHello?: (socket: net.Socket) => void },
): Promise<RawPeer> {
  const socket = net.connect({ host: to.host, port: to.port });
  socket.on('error', () => {});
  // Not events.once: it would reject on the 'error' (ECONNRESET) that often precedes 'close'.
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await once(socket, 'connect');
  options.beforeHello?.(socket);
  const hs = new DialerHandshake({
    self: { id: options.id, name: options.id, address: { host: '127.0.0.1', port: 1 } },
    cluster: options.cluster,
    secret: options.secret,
    random: new SystemRandom(),
  });
  const decoder = new FrameDecoder({ maxFrameBytes: 8 * 1024 * 1024 });
  const peer: RawPeer = {
    socket,
    id: options.id,
    frames: [],
    closed,
    write(kind, type, body, correlationId = 0) {
      socket.write(encodeFrame(kind, type, correlationId, encodeBody(body)));
    },
  };
  const hello = hs.start();
  peer.write(FrameKind.OneWay, hello.type, hello.body);
  await new Promise<void>((resolve, reject) => {
    let done = false;
    socket.on('data', (chunk) => {
      const { frames, error } = decoder.push(chunk);
      if (error) return reject(new Error(error.reason));
      for (const f of frames) {
        if (done) {
          peer.frames.push(f);
          continue;
        }
        const r = hs.receive(f.type, decodeBody(f.body));
        if (!r.ok) return reject(new Error(`${r.code}: ${r.reason}`));
        if (r.send) peer.write(FrameKind.OneWay, r.send.type, r.send.body);
        if (r.authenticated) {
          done = true;
          resolve();
        }
      }
    });
    void closed.then(() => reject(new Error('closed during handshake')));
  });
  return peer;
}
