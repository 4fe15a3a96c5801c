/** Test helper: records a transport's events and messages and lets a test wait for them (no sleeps). */
import type { InboundMessage, PeerEvent, Transport } from '../../../src/transport/transport.js';

interface Waiter {
  check: () => boolean;
}

export class Probe {
  readonly events: PeerEvent[] = [];
  readonly messages: InboundMessage[] = [];
  private waiters = new Set<Waiter>();

  constructor(readonly t: Transport) {
    t.onPeerEvent((e) => {
      this.events.push(e);
      this.poke();
    });
    t.onMessage((m) => {
      this.messages.push(m);
      this.poke();
    });
  }

  eventsOf<K extends PeerEvent['kind']>(kind: K): Array<Extract<PeerEvent, { kind: K }>> {
    return this.events.filter((e): e is Extract<PeerEvent, { kind: K }> => e.kind === kind);
  }

  /** Resolves with the first recorded event (past or future) matching. */
  event<K extends PeerEvent['kind']>(kind: K, match: (e: Extract<PeerEvent, { kind: K }>) => boolean = () => true, timeoutMs = 5000): Promise<Extract<PeerEvent, { kind: K }>> {
    return this.until(() => this.eventsOf(kind).find(match), `event ${kind}`, timeoutMs);
  }

  /** Resolves once `n` messages (optionally of one type) were received. */
  messagesOf(n: number, type?: number, timeoutMs = 5000): Promise<InboundMessage[]> {
    return this.until(
      () => {
        const got = this.messages.filter((m) => type === undefined || m.type === type);
        return got.length >= n ? got : undefined;
      },
      `${n} messages`,
      timeoutMs,
    );
  }

  /** Resolves with `f()` once it is not undefined, re-checked on every event/message (and `poll()`). */
  until<T>(f: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
    const now = f();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          const v = f();
          if (v === undefined) return false;
          clearTimeout(timer);
          resolve(v);
          return true;
        },
      };
      // A safety net only: a broken test fails with a message instead of hanging.
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Re-checks waiters (for conditions that do not come with an event). */
  poke(): void {
    for (const w of [...this.waiters]) if (w.check()) this.waiters.delete(w);
  }
}

/** Resolves when `f()` holds, checking every few ms: for state without an event (socket counts). */
export async function eventually(f: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
