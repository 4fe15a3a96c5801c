/**
 * The coordinator's planning step (pure): from the committed table, the live data members and
 * the migrations reported complete, the next committed owners and target. Rules
 * (docs/architecture.md, "Replication"):
 *  1. dead owners leave the committed rows at once (the first surviving backup becomes primary:
 *     it holds every acknowledged write under ack 'all');
 *  2. the target comes from placement, computed from the previous target (unfiltered: placement
 *     itself drops dead members and keeps their promoted backups primary) so it stays put while
 *     migrations run;
 *  3. a partition switches to its target row only when every member of that row already holds
 *     the data: it is in the committed row, or its migration was reported complete. A partition
 *     with no surviving copy switches at once (nothing to move).
 */
import { type PlacementMember, computeTable, ownersEqual } from '../placement/index.js';
import type { ReplTable } from './table.js';

export interface Plan {
  owners: string[][];
  target: string[][];
  /** See ReplTable.incomplete. */
  incomplete: string[][];
}

export function readyKey(partition: number, memberId: string): string {
  return `${partition}:${memberId}`;
}

export function planTable(
  committed: ReplTable | null,
  live: readonly PlacementMember[],
  ready: ReadonlySet<string>,
  options: { partitions: number; replicas: ReplTable['replicas'] },
  leaving: ReadonlySet<string> = new Set(),
  /** Every member the membership view still knows (any state): incomplete rows keep only those. */
  known?: ReadonlySet<string>,
  /** cut(primary, peer): the primary reported the live member `peer` unreachable (reachability.ts). */
  cut: (primary: string, peer: string) => boolean = () => false,
  /** drained(p, id): the lost holder `id` of an incomplete partition p reported it handed off all it held of p. */
  drained: (p: number, id: string) => boolean = () => false,
): Plan {
  const alive = new Set(live.map((m) => m.id));
  // 4. Leaving members (graceful leave) still hold their copies, so they stay in the committed
  //    rows, but the target is computed without them: their copies migrate away like any other
  //    and rule 3 drops them from a row once its replacements hold the data. If every live
  //    member is leaving there is nowhere to move to: they keep what they hold.
  const placeable = live.filter((m) => !leaving.has(m.id));
  const targetMembers = placeable.length > 0 ? placeable : live;
  const placeableIds = new Set(targetMembers.map((m) => m.id));
  if (committed === null) {
    // First table of a cluster: nothing is stored anywhere yet, so the target is committed as is.
    const owners = targetMembers.length === 0 ? emptyRows(options.partitions) : computeTable(null, targetMembers, options);
    return { owners, target: owners.map((r) => [...r]), incomplete: emptyRows(options.partitions) };
  }
  // 6. A backup its primary reported unreachable (alive, but cut off from the primary: a
  //    non-transitive split) leaves that primary's committed rows like a dead one; it comes back
  //    through the usual migration once the primary reaches it.
  const rows = committed.owners.map((row) => {
    const up = row.filter((id) => alive.has(id));
    return up.filter((id, i) => i === 0 || !cut(up[0]!, id));
  });
  // Placement gets the previous rows UNFILTERED: it drops the members that are gone itself and
  // locks in the promotion of a dead primary's first surviving backup (assignment.ts carryOver),
  // so the target keeps the primary rule 1 promoted. Filtering here hid the death from it: the
  // survivor then looked like a primary placement may swap for balance, and a partition whose
  // primary died could get a second primary change right after its promotion. A row whose
  // target lost every placeable member starts from its committed owners instead.
  // 5. A partition whose every owner is lost from view goes to new owners that hold none of its
  //    sessions; the lost holders are remembered (incomplete) until each is forgotten by
  //    membership (gone for good) or is back and reported that it handed every copy it held of
  //    the partition to the new primary (drained). Meanwhile the owners answer "unavailable" for
  //    sessions they do not hold. (Clearing a holder as soon as it was alive again answered 404
  //    for its sessions until its hand-off arrived: the chaos suite saw it after every heal.)
  const incomplete = rows.map((row, p) => {
    const lost = row.length === 0 ? committed.owners[p]! : [];
    const still = (id: string) => (known === undefined || known.has(id)) && (!alive.has(id) || !drained(p, id));
    return [...new Set([...(committed.incomplete?.[p] ?? []), ...lost])].filter(still);
  });
  const base = committed.target.map((row, p) => (row.some((id) => placeableIds.has(id)) ? row : committed.owners[p]!));
  const placed = targetMembers.length === 0 ? emptyRows(options.partitions) : computeTable({ partitions: options.partitions, owners: base }, targetMembers, options);
  // A lost holder that is back does not become an owner of that partition again until it has
  // drained it: as an owner it would keep its copy instead of handing it to the primary.
  // (Unless that leaves the partition nobody to own it: then the returning holders own it again,
  // and their copies merge with the others' through anti-entropy.)
  const target = placed.map((row, p) => {
    if (incomplete[p]!.length === 0) return row;
    const others = row.filter((id) => !incomplete[p]!.includes(id));
    return others.length > 0 ? others : row;
  });
  const owners = rows.map((row, p) => {
    const want = target[p]!;
    if (row.length === 0) return [...want];
    return want.every((id) => row.includes(id) || ready.has(readyKey(p, id))) ? [...want] : row;
  });
  // A lost holder that owns the partition again holds its copy where the partition is served.
  for (let p = 0; p < incomplete.length; p++) if (incomplete[p]!.length > 0) incomplete[p] = incomplete[p]!.filter((id) => !owners[p]!.includes(id));
  return { owners, target, incomplete };
}

/** Same owners in the same order (placement's comparison; rows here may be shorter than `replicas`). */
export const rowsEqual = ownersEqual;

function emptyRows(n: number): string[][] {
  return Array.from({ length: n }, () => []);
}
