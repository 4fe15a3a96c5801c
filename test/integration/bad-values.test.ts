/**
 * Issue #11 defect 7: a value the cluster refuses, written on a member that is not the session's
 * primary, failed with ERR_INVALID_VALUE — and about a second later the app process exited: the
 * op was kept for retry and the encode error was thrown again from the retry timer. Three real
 * express app processes (test/fixtures/apps/express-app.ts); the bad writes are made on B, which
 * is not the primary of the session (A drew its id), through node.sessions.update and through
 * express-session; B must answer with the error, keep running, and the session stay unchanged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Browser, startCluster, stopApps, type AppProcess } from '../fixtures/apps/harness.js';

const KINDS = ['set', 'class', 'nan', 'symbol', 'function', 'bigint', 'cycle', 'deep', 'name'];
/**
 * Not through express-session: a function attribute is left out by the store (a method, as
 * JSON.stringify leaves it out), and express-session hashes the session with JSON.stringify at
 * the end of a request, which throws on a BigInt or a cycle (its own error, in its res.end).
 */
const EXPRESS_KINDS = KINDS.filter((k) => k !== 'bigint' && k !== 'cycle' && k !== 'function');
/** The fixture's opTimeoutMs (member.ts) plus a margin: every retry of a kept op would have run by then. */
const OP_TIMEOUT_MS = 3000;

describe('a bad value written on a member that is not the primary', () => {
  let apps: AppProcess[] = [];
  let A: AppProcess, B: AppProcess, C: AppProcess;

  before(async () => {
    apps = await startCluster('express');
    [A, B, C] = apps as [AppProcess, AppProcess, AppProcess];
  });
  after(async () => {
    await stopApps(apps);
  });

  async function json(b: Browser, app: AppProcess, method: 'GET' | 'POST', path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    return b.request(app, method, path);
  }

  it('fails with ERR_INVALID_VALUE through node.sessions.update and express-session; the app process survives and the session is unchanged', async () => {
    const b = new Browser();
    const login = await json(b, A, 'POST', '/login?user=ann');
    assert.equal(login.status, 200);
    const id = login.body.id as string;
    assert.equal((await json(new Browser(), A, 'GET', `/_where?id=${encodeURIComponent(id)}`)).body.primary, A.name);
    assert.equal((await json(b, B, 'POST', '/set?key=theme&value=dark')).status, 200);

    for (const kind of KINDS) {
      const r = await json(new Browser(), B, 'POST', `/_bad-update?id=${encodeURIComponent(id)}&kind=${kind}`);
      assert.equal(r.body.code, 'ERR_INVALID_VALUE', `node.sessions.update with ${kind}: ${JSON.stringify(r.body)}`);
    }
    for (const kind of EXPRESS_KINDS) {
      const r = await json(b, B, 'POST', `/bad?kind=${kind}`);
      assert.equal(r.body.code, 'ERR_INVALID_VALUE', `express-session save with ${kind}: ${r.status} ${JSON.stringify(r.body)}`);
    }

    // Long enough for every retry of an op that was kept (retryMs 250, opTimeoutMs 3000).
    await sleep(OP_TIMEOUT_MS + 1000);
    for (const app of apps) {
      assert.equal(app.child.exitCode, null, `${app.name} still runs; output:\n${app.output.join('\n')}`);
      assert.equal(app.child.signalCode, null, `${app.name} still runs`);
      const state = await json(new Browser(b), app, 'GET', '/state');
      assert.equal(state.status, 200, `${app.name}: ${JSON.stringify(state.body)}`);
      assert.deepEqual(state.body.data, { user: 'ann', theme: 'dark' }, `${app.name}: the session is unchanged`);
    }
    // Nothing was logged at error level (an exception escaping to a driver's catch is a bug).
    for (const app of [A, B, C]) {
      const errors = app.output.filter((l) => /"level":(50|60)/.test(l));
      assert.deepEqual(errors, [], `${app.name} logged errors`);
    }
  });
});
