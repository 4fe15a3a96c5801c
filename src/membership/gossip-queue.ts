/**
 * SWIM infection-style dissemination: each update about a member is piggybacked on outgoing
 * protocol messages a limited number of times (retransmitMult × ceil(log10(n + 1))), least-sent
 * first and newest first among equals, so fresh news travels fastest. One entry per member id: a
 * newer update about a member replaces the older one (memberlist's TransmitLimitedQueue).
 */
interface QueuedUpdate {
  id: string;
  /** Who made the claim being spread (for suspect/dead/left). */
  by: string | undefined;
  transmits: number;
  /** Insertion order, to prefer newer updates. */
  order: number;
}

export class GossipQueue {
  private readonly updates = new Map<string, QueuedUpdate>();
  private counter = 0;

  get size(): number {
    return this.updates.size;
  }

  /** Queues (or re-queues, resetting its count) the current state of member `id`. */
  enqueue(id: string, by?: string): void {
    this.updates.set(id, { id, by, transmits: 0, order: ++this.counter });
  }

  remove(id: string): void {
    this.updates.delete(id);
  }

  /** Picks up to `max` updates for one message and counts the transmission. */
  take(max: number, transmitLimit: number): { id: string; by: string | undefined }[] {
    if (this.updates.size === 0 || max <= 0) return [];
    const picked = [...this.updates.values()]
      .sort((a, b) => a.transmits - b.transmits || b.order - a.order)
      .slice(0, max);
    for (const u of picked) {
      u.transmits++;
      if (u.transmits >= transmitLimit) this.updates.delete(u.id);
    }
    return picked.map((u) => ({ id: u.id, by: u.by }));
  }
}
