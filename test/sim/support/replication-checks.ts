/** End-of-run checks for the replication simulator (after faults stopped and the cluster settled). */
import { partitionOf } from '../../../src/placement/index.js';
import { toPlainData } from '../../../src/session/record.js';
import type { ReplCluster } from './replication-cluster.js';
import type { Workload } from './replication-workload.js';

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

export function checkFinal(c: ReplCluster, w: Workload): void {
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
  // Every acknowledged write readable at the primary; destroyed sessions stay destroyed.
  for (const s of w.sessions) {
    const p = partitionOf(s.id, t.partitions);
    const rec = byId.get(t.owners[p]![0]!)!.rep.store.get(s.id);
    if (s.state === 'destroyed') {
      if (rec !== undefined && !rec.destroyed) throw new Error(`destroyed session ${s.id} came back`);
      continue;
    }
    if (rec === undefined || rec.destroyed) {
      if (s.state === 'live') throw new Error(`acknowledged session ${s.id} lost (partition ${p}, owners ${t.owners[p]!.join(',')})`);
      continue;
    }
    w.checkData(s, toPlainData(rec), 'final');
  }
}
