/**
 * One member's view of the cluster: a record per id, and the SWIM/memberlist precedence rules that
 * decide whether a claim about a member (alive/suspect/dead/left at some incarnation) replaces what
 * we know. Claims about the local member itself are handled by the caller (it refutes instead).
 */
import type { MemberInfo, MemberRecord, MemberState } from './member.js';

export interface Claim {
  state: MemberState;
  incarnation: number;
}

/**
 * - `apply`: the claim is newer; take its state and incarnation.
 * - `confirm`: the same suspicion we already hold, from maybe another accuser (Lifeguard counts it).
 * - `ignore`: stale or overridden.
 */
export type Verdict = 'apply' | 'confirm' | 'ignore';

/**
 * The precedence table (SWIM §4.2, memberlist):
 * - nothing known: take any claim.
 * - left is final for that id: nothing overrides it, and it overrides everything.
 * - alive i overrides alive/suspect/dead only if i is strictly greater (only the member itself
 *   raises its incarnation, so a greater i is news from it; an equal i is old news).
 * - suspect i overrides alive at i or greater; over suspect it is news only if greater, and at
 *   the same incarnation it is a confirmation; a dead member is not suspected again.
 * - dead i overrides alive/suspect at i or greater; over dead only the incarnation can grow.
 */
export function precedence(current: Claim | undefined, claim: Claim): Verdict {
  if (current === undefined) return 'apply';
  if (current.state === 'left') return 'ignore';
  if (claim.state === 'left') return 'apply';
  switch (claim.state) {
    case 'alive':
      return claim.incarnation > current.incarnation ? 'apply' : 'ignore';
    case 'suspect':
      if (current.state === 'alive') return claim.incarnation >= current.incarnation ? 'apply' : 'ignore';
      if (current.state === 'suspect') {
        if (claim.incarnation > current.incarnation) return 'apply';
        return claim.incarnation === current.incarnation ? 'confirm' : 'ignore';
      }
      return 'ignore';
    case 'dead':
      if (current.state === 'dead') return claim.incarnation > current.incarnation ? 'apply' : 'ignore';
      return claim.incarnation >= current.incarnation ? 'apply' : 'ignore';
  }
}

export interface Entry {
  record: MemberRecord;
  /** When the current state began (local monotonic ms); dead/left entries expire from it. */
  stateSinceMs: number;
}

export class MemberList {
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.entries.size;
  }

  get(id: string): Entry | undefined {
    return this.entries.get(id);
  }

  add(info: MemberInfo, claim: Claim, sinceMs: number): Entry {
    const entry: Entry = { record: { ...copyInfo(info), state: claim.state, incarnation: claim.incarnation }, stateSinceMs: sinceMs };
    this.entries.set(info.id, entry);
    return entry;
  }

  /** Sets state and incarnation; returns the previous state. Identity fields never change. */
  set(id: string, claim: Claim, nowMs: number): MemberState {
    const entry = this.entries.get(id);
    if (!entry) throw new Error(`member ${id} is not in the list`);
    const previous = entry.record.state;
    if (previous !== claim.state) entry.stateSinceMs = nowMs;
    entry.record.state = claim.state;
    entry.record.incarnation = claim.incarnation;
    return previous;
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  values(): IterableIterator<Entry> {
    return this.entries.values();
  }

  /** Members that take part in the protocol: alive or suspect (the local member included). */
  countLive(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.record.state === 'alive' || e.record.state === 'suspect') n++;
    return n;
  }

  /** The live member listening at `address`, if any (several records can share one after restarts). */
  findLiveByAddress(host: string, port: number): Entry | undefined {
    for (const e of this.entries.values()) {
      const s = e.record.state;
      if ((s === 'alive' || s === 'suspect') && e.record.address.host === host && e.record.address.port === port) return e;
    }
    return undefined;
  }
}

export function copyInfo(info: MemberInfo): MemberInfo {
  return {
    id: info.id,
    name: info.name,
    address: { host: info.address.host, port: info.address.port },
    httpAddress: info.httpAddress ? { host: info.httpAddress.host, port: info.httpAddress.port } : null,
    role: info.role,
    zone: info.zone,
    startedAtMs: info.startedAtMs,
  };
}

export function copyRecord(r: MemberRecord): MemberRecord {
  return { ...copyInfo(r), state: r.state, incarnation: r.incarnation };
}
