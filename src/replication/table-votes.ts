/**
 * Quorum 'majority': a partition table takes effect only once a majority of the cluster voted
 * for it (pure rules; the Replicator sends the messages).
 *
 * Why: a table says who is primary. Before, the coordinator of each side of a split committed
 * tables on its own, gated by "do I see a majority alive?". The far side's members are declared
 * dead one at a time, each death was committed while the others still looked alive, and each
 * committed table shrank the voter count (5 → 4 → 3 → 2): the minority ended up owning every
 * partition and acknowledging writes the majority was also accepting (issue #11, defect 1).
 * Looking at one's own view can never be enough; the voters must answer.
 *
 * The rules (single-decree Paxos per table change, with the proposal's base as its ballot):
 * - The voters of a table are the members it names (owners and migration targets) that did not
 *   announce a graceful leave. Membership views do not shrink it: only a table that a majority
 *   of the previous voters accepted can.
 * - A coordinator proposes table N built on a base B (its committed table, or a proposal it
 *   learned voters had accepted). N takes effect (is committed and broadcast, and only then
 *   adopted by anyone) once a majority of the voters of its committed table AND a majority of
 *   N's own voters accepted it (both, so that neither an old nor a new majority can be bypassed
 *   when a table adds or removes several members at once).
 * - A voter accepts N only if N is newer than its committed table, N is built on a base no
 *   older than that table, and N does not compete with a newer-or-equal proposal it accepted
 *   (one proposal per epoch; a proposal not built on the one it accepted loses). A refusal
 *   carries the voter's committed table or its accepted proposal, so the coordinator adopts the
 *   first or builds its next proposal on the second.
 * Two different tables can therefore not both gather a majority of the same voters, a minority
 * can propose but never commit, and every committed table is built on the previous one.
 */
import type { ReplTable } from './table.js';

/** What identifies a table or proposal, in table order (isNewerTable). */
export interface TableKey {
  epoch: number;
  coordinatorStartedAtMs: number;
  coordinatorId: string;
}

export function keyOfTable(t: ReplTable): TableKey {
  return { epoch: t.epoch, coordinatorStartedAtMs: t.coordinatorStartedAtMs, coordinatorId: t.coordinatorId };
}

/** a before b in table order (the same order as isNewerTable(b, a)). */
export function isOlderKey(a: TableKey, b: TableKey): boolean {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch;
  if (a.coordinatorStartedAtMs !== b.coordinatorStartedAtMs) return a.coordinatorStartedAtMs > b.coordinatorStartedAtMs;
  return a.coordinatorId > b.coordinatorId;
}

export function sameKey(a: TableKey, b: TableKey): boolean {
  return a.epoch === b.epoch && a.coordinatorStartedAtMs === b.coordinatorStartedAtMs && a.coordinatorId === b.coordinatorId;
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

export interface Accepted {
  table: ReplTable;
  base: TableKey | null;
}

export type Vote =
  | { accept: true }
  /** The proposal is older than, or not built on, the voter's committed table: here it is. */
  | { accept: false; committed: ReplTable }
  /** The proposal competes with one the voter accepted: build on that one. */
  | { accept: false; accepted: Accepted };

/** A voter's answer to proposal `p` built on `base`, given what it committed and accepted. */
export function voteOn(p: ReplTable, base: TableKey | null, committed: ReplTable | null, accepted: Accepted | null): Vote {
  if (committed !== null) {
    const c = keyOfTable(committed);
    if (!isOlderKey(c, keyOfTable(p)) || base === null || isOlderKey(base, c)) return { accept: false, committed };
  }
  // An accepted proposal that a newer committed table overtook no longer binds this voter.
  if (accepted !== null && (committed === null || isOlderKey(keyOfTable(committed), keyOfTable(accepted.table)))) {
    const a = keyOfTable(accepted.table);
    const k = keyOfTable(p);
    if (!sameKey(a, k) && (p.epoch <= a.epoch || base === null || isOlderKey(base, a))) return { accept: false, accepted };
  }
  return { accept: true };
}
