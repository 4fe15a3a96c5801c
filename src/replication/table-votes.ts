/**
 * Quorum 'majority': a partition table takes effect only once a majority of the cluster chose it
 * (pure rules; the Replicator sends the messages). Each table change is one instance of
 * single-decree Paxos: the "slot" is the committed table the change builds on, the value is the
 * next table, ballots order competing coordinators.
 *
 * Why: a table says who is primary. Before, the coordinator of each side of a split committed
 * tables on its own, gated by "do I see a majority alive?". The far side's members are declared
 * dead one at a time, each death was committed while the others still looked alive, and each
 * committed table shrank the voter count (5 → 4 → 3 → 2): the minority ended up owning every
 * partition and acknowledging writes the majority was also accepting (issue #11, defect 1).
 * Looking at one's own view can never be enough; the voters must answer. And when several
 * members believe they coordinate (a start, a split healing), their proposals must not both
 * win: a first cut without Paxos's prepare phase deadlocked, and could commit two tables built
 * on one (the sim found the deadlock; the property test below the unit tests pins the safety).
 *
 * The rules:
 * - The voters of a table are the members it names (owners and migration targets) that did not
 *   announce a graceful leave; before the first table, every known data member. Membership
 *   views do not shrink the set: only a table chosen by a majority of the previous voters can.
 * - Phase 1: the coordinator sends prepare(slot, ballot) to the slot's voters. A voter whose
 *   committed table is the slot promises to take part in no lower ballot and answers with the
 *   table it accepted in that slot, if any (with its ballot).
 * - Phase 2: with promises from a majority of the slot's voters, the coordinator proposes the
 *   accepted table with the highest ballot among them — or, if none, its own plan — with
 *   accept(slot, ballot, table). A voter accepts unless it promised a higher ballot.
 * - The table is chosen once a majority of the slot's voters AND a majority of the table's own
 *   voters accepted it (both, so neither an old nor a new majority can be bypassed when a table
 *   adds or removes several members at once); the coordinator then commits it: broadcasts it,
 *   and only then does anyone adopt it. Its epoch is the slot's + 1.
 * A voter whose committed table differs from the slot answers with its table instead: the
 * coordinator adopts it if newer, or the voter adopts the coordinator's when it is the newer.
 */
import type { ReplTable } from './table.js';

/** What identifies a table, in table order (isNewerTable). */
export interface TableKey {
  epoch: number;
  coordinatorStartedAtMs: number;
  coordinatorId: string;
}

export function keyOfTable(t: ReplTable | null): TableKey | null {
  return t === null ? null : { epoch: t.epoch, coordinatorStartedAtMs: t.coordinatorStartedAtMs, coordinatorId: t.coordinatorId };
}

export function sameKey(a: TableKey | null, b: TableKey | null): boolean {
  if (a === null || b === null) return a === b;
  return a.epoch === b.epoch && a.coordinatorStartedAtMs === b.coordinatorStartedAtMs && a.coordinatorId === b.coordinatorId;
}

/** Orders competing coordinators' attempts in one slot: a higher round wins, then the larger id. */
export interface Ballot {
  round: number;
  by: string;
}

export function ballotAbove(a: Ballot, b: Ballot | null): boolean {
  if (b === null) return true;
  return a.round !== b.round ? a.round > b.round : a.by > b.by;
}

/** Members a table names (owners and targets), minus those that announced a graceful leave. */
export function votersOf(t: ReplTable, left: (id: string) => boolean): string[] {
  const seen = new Set<string>();
  for (const rows of [t.owners, t.target]) for (const row of rows) for (const id of row) if (!left(id)) seen.add(id);
  return [...seen];
}

export function isMajority(voters: readonly string[], votes: (id: string) => boolean): boolean {
  let n = 0;
  for (const v of voters) if (votes(v)) n++;
  return n * 2 > voters.length;
}

export interface AcceptedTable {
  ballot: Ballot;
  table: ReplTable;
}

/**
 * One voter's Paxos state for the slot it is in (its committed table). It starts afresh when the
 * voter adopts another committed table (`enter`).
 */
export class Voter {
  private slot: TableKey | null = null;
  private promised: Ballot | null = null;
  private accepted: AcceptedTable | null = null;

  /** The voter's committed table is now `slot`: promises and acceptances of the old slot are void. */
  enter(slot: TableKey | null): void {
    if (sameKey(slot, this.slot)) return;
    this.slot = slot;
    this.promised = null;
    this.accepted = null;
  }

  /** Phase 1. `wrongSlot`: the voter is in another slot (the caller answers with its table). */
  prepare(slot: TableKey | null, ballot: Ballot): { ok: true; accepted: AcceptedTable | null } | { ok: false; wrongSlot: boolean; promised?: Ballot } {
    if (!sameKey(slot, this.slot)) return { ok: false, wrongSlot: true };
    if (this.promised !== null && !ballotAbove(ballot, this.promised) && !sameBallot(ballot, this.promised)) return { ok: false, wrongSlot: false, promised: this.promised };
    this.promised = ballot;
    return { ok: true, accepted: this.accepted };
  }

  /** Phase 2. */
  accept(slot: TableKey | null, ballot: Ballot, table: ReplTable): { ok: true } | { ok: false; wrongSlot: boolean; promised?: Ballot } {
    if (!sameKey(slot, this.slot)) return { ok: false, wrongSlot: true };
    if (this.promised !== null && ballotAbove(this.promised, ballot)) return { ok: false, wrongSlot: false, promised: this.promised };
    this.promised = ballot;
    this.accepted = { ballot, table };
    return { ok: true };
  }
}

function sameBallot(a: Ballot, b: Ballot): boolean {
  return a.round === b.round && a.by === b.by;
}

/** Phase 2's value: the accepted table with the highest ballot among the promises, else null (free choice). */
export function valueToPropose(promises: Iterable<AcceptedTable | null>): ReplTable | null {
  let best: AcceptedTable | null = null;
  for (const a of promises) if (a !== null && (best === null || ballotAbove(a.ballot, best.ballot))) best = a;
  return best?.table ?? null;
}
