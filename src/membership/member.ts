import type { PeerAddress } from '../transport/address.js';

/**
 * alive: answering probes. suspect: a probe failed; it may refute by raising its incarnation.
 * dead: suspicion timed out, or confirmed by another member. left: it announced a graceful leave.
 * A restarted process is a new member (new id); dead and left ids never come back.
 */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

/** `member` holds data; `client` takes part in membership but holds no sessions. */
export type MemberRole = 'member' | 'client';

/** What a member says about itself when it starts. Immutable for the life of the member. */
export interface MemberInfo {
  id: string;
  name: string;
  /** Peer (TCP) address. */
  address: PeerAddress;
  /** HTTP address (status, API), if the member serves one. */
  httpAddress: PeerAddress | null;
  role: MemberRole;
  zone: string | null;
  /** Wall-clock start time; the coordinator is the oldest live member (ties broken by id). */
  startedAtMs: number;
}

/** One row of a member's view of the cluster. */
export interface MemberRecord extends MemberInfo {
  state: MemberState;
  incarnation: number;
}
