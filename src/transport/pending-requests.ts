/**
 * Requests waiting for their response, shared by both transports: u32 correlation ids, one timer
 * per request, and a "channel" (a connection, a peer) that the transport uses to check that a
 * response comes from where the request went and to count requests in flight per channel.
 */
import { SessionMeshError } from '../errors.js';
import { MAX_CORRELATION_ID } from '../wire/limits.js';
import type { Response } from './transport.js';

interface Entry<C> {
  channel: C;
  resolve: (r: Response) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class PendingRequests<C> {
  private readonly entries = new Map<number, Entry<C>>();
  private readonly perChannel = new Map<C, number>();
  private nextId = 1;

  get size(): number {
    return this.entries.size;
  }

  countFor(channel: C): number {
    return this.perChannel.get(channel) ?? 0;
  }

  /**
   * Registers a request and returns its correlation id (never 0, never one in use) and promise.
   * The promise rejects with ERR_TIMEOUT (message from `describe`) after `timeoutMs`.
   */
  add(channel: C, timeoutMs: number, describe: () => string): { id: number; promise: Promise<Response> } {
    let id = this.nextId;
    while (this.entries.has(id)) id = id >= MAX_CORRELATION_ID ? 1 : id + 1;
    this.nextId = id >= MAX_CORRELATION_ID ? 1 : id + 1;
    let resolve!: (r: Response) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<Response>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const timer = setTimeout(() => {
      this.reject(id, new SessionMeshError('ERR_TIMEOUT', `${describe()} timed out after ${timeoutMs} ms`, { timeoutMs }));
    }, timeoutMs);
    this.entries.set(id, { channel, resolve, reject, timer });
    this.perChannel.set(channel, this.countFor(channel) + 1);
    return { id, promise };
  }

  channelOf(id: number): C | undefined {
    return this.entries.get(id)?.channel;
  }

  resolve(id: number, response: Response): boolean {
    const e = this.take(id);
    if (e) e.resolve(response);
    return e !== undefined;
  }

  reject(id: number, error: Error): boolean {
    const e = this.take(id);
    if (e) e.reject(error);
    return e !== undefined;
  }

  /** Rejects every request on `channel`; returns how many. */
  rejectChannel(channel: C, error: () => Error): number {
    let n = 0;
    for (const [id, e] of this.entries) {
      if (e.channel === channel) {
        this.reject(id, error());
        n++;
      }
    }
    return n;
  }

  /** Moves requests to another channel (a replacement connection to the same peer). */
  moveChannel(from: C, to: C): void {
    if (from === to) return;
    let n = 0;
    for (const e of this.entries.values()) {
      if (e.channel === from) {
        e.channel = to;
        n++;
      }
    }
    if (n === 0) return;
    this.perChannel.delete(from);
    this.perChannel.set(to, this.countFor(to) + n);
  }

  rejectAll(error: () => Error): void {
    for (const id of [...this.entries.keys()]) this.reject(id, error());
  }

  private take(id: number): Entry<C> | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    this.entries.delete(id);
    clearTimeout(e.timer);
    const n = this.countFor(e.channel) - 1;
    if (n > 0) this.perChannel.set(e.channel, n);
    else this.perChannel.delete(e.channel);
    return e;
  }
}
