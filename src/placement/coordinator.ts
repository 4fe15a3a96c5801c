import type { MemberRecord } from '../membership/member.js';

type PlacementFields = Pick<MemberRecord, 'id' | 'role' | 'state' | 'startedAtMs'>;

/**
 * Whether a member holds data and counts for placement: role `member`, and not known dead or gone.
 *
 * `suspect` counts as live on purpose: SWIM suspicion is not death (only probes decide death,
 * DESIGN.md §5) and a suspect usually refutes within a probe period. Dropping it from the table
 * would move data and switch coordinators on every false suspicion under load; if it really
 * died, the `dead` verdict follows within the suspicion timeout and the table changes then.
 * The coordinator and the member set a table is computed over must use the same predicate.
 */
export function isPlacementMember(member: Pick<MemberRecord, 'role' | 'state'>): boolean {
  return member.role === 'member' && (member.state === 'alive' || member.state === 'suspect');
}

/**
 * The coordinator: the oldest placement member by `startedAtMs`, ties broken by the smaller id
 * (code-unit order, locale-free, so every member agrees). Null when there is none.
 */
export function coordinatorOf<T extends PlacementFields>(members: Iterable<T>): T | null {
  let best: T | null = null;
  for (const m of members) {
    if (!isPlacementMember(m)) continue;
    if (best === null || m.startedAtMs < best.startedAtMs || (m.startedAtMs === best.startedAtMs && m.id < best.id)) {
      best = m;
    }
  }
  return best;
}
