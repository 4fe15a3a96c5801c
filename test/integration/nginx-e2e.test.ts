/**
 * e2e, shorter variant of haproxy-e2e: the nginx configuration of docs/load-balancers.md (map on
 * the route-hint cookie, one upstream per member with the others as backups, proxy_next_upstream)
 * in front of three example apps; 20 users click for 10 s, one app is killed with kill -9 midway.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { startExampleCluster, stopApps, type ExampleApp } from '../helpers/example-app.js';
import { binaryOrSkip, startNginx, type RunningBalancer } from '../helpers/load-balancer.js';
import { assertNoLostClicks, killDuringLoad } from '../helpers/lb-scenario.js';

const USERS = 20;
const DURATION_MS = 10_000;
const KILL_AFTER_MS = 4_000;

describe('nginx in front of three example apps (docs/load-balancers.md)', () => {
  const bin = binaryOrSkip('nginx');
  let apps: ExampleApp[] = [];
  let lb: RunningBalancer | null = null;
  after(async () => {
    await lb?.stop();
    await stopApps(apps);
  });

  it(`${USERS} users click for ${DURATION_MS / 1000} s while one app is killed -9: no lost click, no failed request`, { skip: 'skip' in bin ? bin.skip : false, timeout: 90_000 }, async () => {
    if (!('path' in bin)) return;
    apps = await startExampleCluster(3);
    lb = await startNginx(bin.path, apps);
    const run = await killDuringLoad({ baseUrl: lb.baseUrl, victim: apps[2]!, users: USERS, durationMs: DURATION_MS, killAfterMs: KILL_AFTER_MS });
    await assertNoLostClicks(run, lb.baseUrl, `nginx output:\n${lb.output.join('\n')}`);
    assert.ok(run.primaryShare > 0.8, `only ${(run.primaryShare * 100).toFixed(1)}% of clicks were served by the session's primary`);
  });
});
