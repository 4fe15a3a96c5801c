/**
 * A primary that was paused (SIGSTOP, a VM freeze) must not expire sessions the moment it
 * resumes: meanwhile a newer table may have made another member primary, which recorded touches
 * this one never saw, and a destroy marker wins every merge. Expiry waits until two table
 * refreshes had time to reach the member after any gap in its inputs (issue #11).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../src/clock/clock.js';
import { Replicator } from '../../../src/replication/replicator.js';
import { member } from './support/replicator-net.js';

function primaryWithSession(): { r: Replicator; id: string } {
  const r = new Replicator({ selfId: 'a', startedAtMs: 1, random: new SeededRandom(1), config: { partitions: 8, replicas: 1, expiryGraceMs: 0 } });
  r.membershipChanged(1_000, [member('a', 1)]);
  const [out] = r.submit(1_000, 1, { kind: 'create', data: { x: 1 }, maxIdleMs: 2_000 });
  assert.ok(out?.type === 'complete' && 'result' in out && out.result.kind === 'create');
  return { r, id: out.result.id };
}

const expired = (r: Replicator, atMs: number) => r.tick(atMs).some((o) => o.type === 'event' && o.event.type === 'sessionExpired');

test('a primary running normally expires an idle session once its idle time is over', () => {
  const { r } = primaryWithSession();
  let at = 1_000;
  let seen = false;
  while (!seen && at < 10_000) seen = expired(r, (at += 250));
  assert.ok(seen && at >= 3_000 && at < 3_500, `expired at ${at}`);
});

test('a primary resuming from a pause expires nothing until two table refreshes could reach it', () => {
  const { r } = primaryWithSession();
  // Inputs stop at 1 000 ms (the process is stopped) and resume at 20 000 ms.
  assert.equal(expired(r, 20_000), false, 'not on the first input after the pause');
  assert.equal(expired(r, 21_000), false);
  let at = 21_000;
  let seen = false;
  while (!seen && at < 30_000) seen = expired(r, (at += 250));
  assert.ok(seen && at >= 22_000 && at <= 22_500, `expired at ${at}, two refreshes (2 s) after the resume`);
});
