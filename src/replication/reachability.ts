/**
 * Members that are alive but that this primary cannot reach (pure).
 *
 * Why: in a non-transitive ("bridge") split — one member sees everyone, the others are cut
 * 2 | 2 — indirect probes through the bridge keep every member alive in everyone's view, so
 * no table changes, and every write whose primary and backup sit on opposite sides of the
 * cut waited its full opTimeoutMs for as long as the cut lasted (issue #11 defect 6:
 * ~500 ops/s fell to 21–37 ops in 12 s). A primary now notices a backup (or migration target)
 * that has left a delta or chunk unacknowledged for `unreachableAfterMs` while the member is
 * alive, and reports it; the coordinator then takes that backup out of the primary's rows as
 * if it were dead for those rows only (plan.ts `cut`). Writes continue with the copies that
 * answer — fewer of them, as after a crash — and the copy comes back through the usual
 * migration stream once the primary reaches it again. Degrade, not collapse.
 *
 * `Unreachable` is the primary's side; `CutReports` the coordinator's memory of reports.
 */

/** The primary's side: since when each peer has owed an acknowledgement. */
export class Unreachable {
  /** peer → since when it owes an ack (the oldest unacknowledged delta or chunk sent to it). */
  private readonly owedSince = new Map<string, number>();

  /** Something was sent to `peer` that it must acknowledge. */
  sent(peer: string, nowMs: number): void {
    if (!this.owedSince.has(peer)) this.owedSince.set(peer, nowMs);
  }

  /** `peer` acknowledged everything it owed, or nothing is owed any more (e.g. the write finished). */
  answered(peer: string): void {
    this.owedSince.delete(peer);
  }

  /** Peers that have owed an ack for at least `afterMs`, among those `stillOwes` says still owe one. */
  list(nowMs: number, afterMs: number, stillOwes: (peer: string) => boolean): string[] {
    const out: string[] = [];
    for (const [peer, since] of this.owedSince) {
      if (!stillOwes(peer)) this.owedSince.delete(peer);
      else if (nowMs - since >= afterMs) out.push(peer);
    }
    return out;
  }
}

/** The coordinator's side: which primary reported which peers unreachable, until when. */
export class CutReports {
  private readonly reports = new Map<string, Map<string, number>>();

  /** `reporter` cannot reach `peers` (replacing its previous report); valid until `untilMs`. */
  report(reporter: string, peers: readonly string[], untilMs: number): boolean {
    const before = this.reports.get(reporter);
    const next = new Map(peers.map((p) => [p, untilMs]));
    this.reports.set(reporter, next);
    return before === undefined || before.size !== next.size || [...next.keys()].some((p) => !before.has(p));
  }

  /** Drops expired reports; true when any was dropped (the plan may change). */
  expire(nowMs: number): boolean {
    let changed = false;
    for (const [reporter, peers] of this.reports) {
      for (const [peer, untilMs] of peers) {
        if (untilMs <= nowMs) {
          peers.delete(peer);
          changed = true;
        }
      }
      if (peers.size === 0) this.reports.delete(reporter);
    }
    return changed;
  }

  /** Whether `primary` reported `peer` unreachable. */
  cut(primary: string, peer: string): boolean {
    return this.reports.get(primary)?.has(peer) === true;
  }

  get size(): number {
    return this.reports.size;
  }
}
