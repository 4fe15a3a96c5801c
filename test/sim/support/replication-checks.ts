/** End-of-run checks for the replication simulator (after faults stopped and the cluster settled). */
import { partitionOf } from '../../../src/placement/index.js';
import { toPlainData } from '../../../src/session/record.js';
import type { Replicator } from '../../../src/replication/replicator.js';
import type { ReplCluster } from './replication-cluster.js';
import type { Workload } from './replication-workload.js';

/** The members whose copies the final checks read (every running data member). */
export interface CheckedCluster {
  up(): { id: string; rep: Replicator }[];
}

/** Runs until the cluster settled (same table everywhere, rows full and at their target). */
export function runUntilSettled(c: ReplCluster, maxMs: number, eachStep?: () => void): void {
  const deadline = c.nowMs + maxMs;
  while (!c.settled()) {
    if (c.nowMs >= deadline) throw new Error(`cluster did not settle within ${maxMs} ms: ${describe(c)}`);
    c.runFor(100, eachStep);
  }
}

export function describe(c: ReplCluster): string {
  return c
    .up()
    .map((p) => {
      const t = p.rep.currentTable();
      const pending = t ? t.owners.filter((r, i) => r.join() !== t.target[i]!.join()).length : -1;
      return `${p.id}: epoch ${t?.epoch}@${t?.coordinatorId} moving ${pending} sessions ${p.rep.store.size}`;
    })
    .join('; ');
}

export function checkFinal<P extends { id: string }>(c: CheckedCluster, w: Workload<P>): void {
  const ups = c.up();
  const t = ups[0]!.rep.currentTable()!;
  const byId = new Map(ups.map((p) => [p.id, p]));
  // Convergence: every owner of a partition holds the same copies (equal digests).
  for (let p = 0; p < t.partitions; p++) {
    const digests = t.owners[p]!.map((id) => byId.get(id)!.rep.store.digest(p));
    if (new Set(digests).size > 1) throw new Error(`partition ${p}: owners ${t.owners[p]!.join(',')} differ: ${digests.join(',')}`);
  }
  // Handoff: nobody keeps data of a partition it does not own.
  for (const proc of ups) {
    for (const p of proc.rep.store.partitionIds()) {
      if (!t.owners[p]!.includes(proc.id)) throw new Error(`${proc.id} still holds ${proc.rep.store.count(p)} sessions of partition ${p} it does not own`);
    }
  }
  checkAcknowledged(c, w, 'final');
}

/**
 * Every acknowledged write is readable at its partition's primary (per the first running
 * member's table), and no destroyed session is live there. Call it once the cluster recovered.
 */
export function checkAcknowledged<P extends { id: string }>(c: CheckedCluster, w: Workload<P>, where: string): void {
  const ups = c.up();
  const t = ups[0]!.rep.currentTable()!;
  const byId = new Map(ups.map((p) => [p.id, p]));
  for (const s of w.sessions) {
    // An op still in flight may or may not have been applied yet: the model cannot say.
    if (s.busyUntilMs === Infinity) continue;
    const p = partitionOf(s.id, t.partitions);
    const primary = byId.get(t.owners[p]![0]!);
    if (primary === undefined) throw new Error(`${where}: partition ${p} has no running primary (owners ${t.owners[p]!.join(',')})`);
    const rec = primary.rep.store.get(s.id);
    if (s.state === 'destroyed') {
      if (rec !== undefined && !rec.destroyed) throw new Error(`${where}: destroyed session ${s.id} came back`);
      continue;
    }
    if (rec === undefined || rec.destroyed) {
      if (s.state === 'live') throw new Error(`${where}: acknowledged session ${s.id} lost (partition ${p}, owners ${t.owners[p]!.join(',')})`);
      continue;
    }
    w.checkData(s, toPlainData(rec), where);
  }
}
