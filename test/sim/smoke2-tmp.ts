import { MembershipCluster } from './support/membership-cluster.js';
const n = Number(process.argv[2] ?? 10);
const minutes = Number(process.argv[3] ?? 10);
const jitter = Number(process.argv[4] ?? 100);
for (let seed = 1; seed <= Number(process.argv[5] ?? 3); seed++) {
  const t0 = performance.now();
  const c = new MembershipCluster({ seed });
  const ms = c.addMembers(n);
  c.runUntil(() => c.converged(), 60000, () => c.describeViews());
  c.network.conditions = { baseDelayMs: 0.3, jitterMs: jitter, dropRate: 0.05, duplicateRate: 0.01 };
  const start = c.nowMs;
  c.runFor(minutes * 60000);
  const deaths = c.changes.filter(e => e.atMs >= start && e.state === 'dead');
  const susp = c.changes.filter(e => e.atMs >= start && e.state === 'suspect');
  const maxH = Math.max(...ms.map(p => p.machine.localHealth()));
  const inc = Math.max(...ms.map(p => p.machine.member(p.id)!.incarnation));
  const sent = ms.reduce((a, p) => a + p.sent, 0) / n / (c.nowMs / 1000);
  console.log(`seed ${seed}: deaths ${deaths.length} suspects ${susp.length} maxInc ${inc} health ${maxH} msgs/s ${sent.toFixed(1)} real ${(performance.now() - t0).toFixed(0)}ms`);
  for (const d of deaths.slice(0, 3)) console.log('  ', d.reason);
}
