import { MembershipCluster } from './support/membership-cluster.js';
import { silentFailureDetectionBoundMs, resolveMembershipConfig } from '../../src/membership/config.js';
const n = Number(process.argv[2] ?? 5);
const stats = { hint: [] as number[], silent: [] as number[] };
for (let seed = 1; seed <= 30; seed++) {
  const c = new MembershipCluster({ seed });
  const ms = c.addMembers(n);
  c.runUntil(() => c.converged(), 60000, () => c.describeViews());
  c.runFor(1000 + c.random.float() * 2000);
  const victim = ms[1 + c.random.int(n - 1)]!;
  c.crash(victim);
  stats.hint.push(c.runUntil(() => c.running().every(p => p.machine.member(victim.id)?.state === 'dead'), 60000, () => c.describeViews(), 1));
  c.runFor(1000 + c.random.float() * 2000);
  const v2 = c.running()[1 + c.random.int(n - 2)]!;
  c.crash(v2, { silent: true });
  stats.silent.push(c.runUntil(() => c.running().every(p => p.machine.member(v2.id)?.state === 'dead'), 60000, () => c.describeViews(), 1));
  if (c.warnings.length) console.log(c.warnings.slice(0, 3));
}
const f = (a: number[]) => `min ${Math.min(...a).toFixed(0)} max ${Math.max(...a).toFixed(0)} mean ${(a.reduce((x, y) => x + y, 0) / a.length).toFixed(0)}`;
console.log('hint', f(stats.hint));
console.log('silent', f(stats.silent), 'bound', silentFailureDetectionBoundMs(resolveMembershipConfig(), n), silentFailureDetectionBoundMs(resolveMembershipConfig(), n-1));
