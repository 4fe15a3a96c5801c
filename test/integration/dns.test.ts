/**
 * DNS discovery against a real (tiny) DNS server on loopback: members started with only
 * `--dns <srv name>` find each other through SRV answers, as they would behind a Kubernetes
 * headless service, including a member that appears after the others started.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getStatus, startMember, stopAll, waitFor, type MemberProcess } from '../helpers/cluster.js';
import { TestDnsServer } from '../helpers/dns-server.js';

describe('DNS discovery', () => {
  const dns = new TestDnsServer('_peer._tcp.sessionmesh.test');
  const members: MemberProcess[] = [];
  let server = '';

  before(async () => {
    server = await dns.start();
  });

  after(async () => {
    await stopAll(members);
    await dns.close();
  });

  it('three members find each other through SRV answers only', async () => {
    const args = () => ['--dns', dns.srvName, '--dns-servers', server, '--dns-interval-ms', '300'];
    for (const name of ['d1', 'd2', 'd3']) {
      const m = await startMember({ name, extraArgs: args() });
      members.push(m);
      const [host, port] = m.peer.split(':');
      dns.targets.push({ host: host!, port: Number(port) });
    }
    const { elapsedMs } = await waitFor('three members to see three alive', 6000, async () => {
      const all = await Promise.all(members.map((m) => getStatus(m)));
      return all.every((s) => s.members.filter((x) => x.state === 'alive').length === 3);
    }, 100);
    assert.ok(dns.queries > 0, 'the members asked the DNS server');
    console.log(`# DNS discovery converged in ${elapsedMs.toFixed(0)} ms`);
  });
});
