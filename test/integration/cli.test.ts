/** The `sessionmesh` command's contract for bad input: a clear message and exit status 2. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI } from '../helpers/cluster.js';

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 10_000, env: { PATH: process.env.PATH, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sessionmesh CLI', () => {
  it('refuses to start without a secret, and says how to fix it', () => {
    const r = run(['start', '--port', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no cluster secret.*--secret.*SESSIONMESH_SECRET.*--insecure/s);
  });

  for (const [args, pattern] of [
    [['start', '--bogus'], /Unknown option '--bogus'/],
    [['start', '--port', 'abc', '--insecure'], /--port must be a non-negative integer/],
    [['start', '--port', '70000', '--insecure'], /--port must be 0\.\.65535/],
    [['start', '--seeds', 'nohostport:xx', '--insecure', '--port', '0'], /invalid address "nohostport:xx"/],
    [['start', '--role', 'boss', '--insecure'], /--role must be "member" or "client"/],
    [['start', '--multicast', '10.0.0.1:7399', '--insecure', '--port', '0'], /not a multicast address/],
    [['start', '--secret', 'short', '--port', '0'], /at least 8 characters/],
    [['status'], /status needs --http/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ] as Array<[string[], RegExp]>) {
    it(`exits 2 with a clear message for: ${args.join(' ')}`, () => {
      const r = run(args);
      assert.equal(r.code, 2, `stderr: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('prints help and version', () => {
    assert.match(run(['start', '--help']).stdout, /Usage: sessionmesh start/);
    assert.match(run(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it('demo --workload starts three members, shows them alive, and stops by itself with --duration-ms', () => {
    const basePort = 20000 + (process.pid % 20000);
    const r = spawnSync(process.execPath, [CLI, 'demo', '--workload', '--base-port', String(basePort), '--duration-ms', '5000'], { encoding: 'utf8', timeout: 25_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /3 alive/);
    assert.match(r.stdout, /workload: \d+ sessions, \d+ acknowledged increments, 0 failed requests, 0 lost updates/);
    assert.match(r.stdout, /demo stopped/);
  });

  it('status against a port where nothing listens fails with exit 1, not a crash', () => {
    const r = run(['status', '--http', '127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /sessionmesh: /);
  });
});
