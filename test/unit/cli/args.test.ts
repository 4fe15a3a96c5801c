import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseStart, parseStatus, UsageError } from '../../../src/cli/args.js';

describe('parseStart', () => {
  it('maps flags to node options', () => {
    const { options } = parseStart(
      ['--name', 'a', '--host', '127.0.0.2', '--port', '7001', '--http-port', '8001', '--seeds', '127.0.0.1:7000, 127.0.0.1:7002', '--secret', 's3cret-s3cret', '--zone', 'z1', '--role', 'client'],
      {},
    );
    assert.deepEqual(options, {
      name: 'a',
      host: '127.0.0.2',
      port: 7001,
      httpPort: 8001,
      seeds: ['127.0.0.1:7000', '127.0.0.1:7002'],
      secret: 's3cret-s3cret',
      insecure: false,
      zone: 'z1',
      role: 'client',
    });
  });

  it('maps --near-cache and its bounds; the bounds alone or zero are usage errors', () => {
    assert.equal(parseStart([], {}).options.nearCache, undefined);
    assert.equal(parseStart(['--near-cache'], {}).options.nearCache, true);
    assert.deepEqual(parseStart(['--near-cache', '--near-cache-entries', '500', '--near-cache-max-age-ms', '2000'], {}).options.nearCache, { maxEntries: 500, maxAgeMs: 2000 });
    assert.deepEqual(parseStart(['--near-cache', '--near-cache-max-age-ms', '2000'], {}).options.nearCache, { maxAgeMs: 2000 });
    assert.throws(() => parseStart(['--near-cache-entries', '500'], {}), UsageError);
    assert.throws(() => parseStart(['--near-cache', '--near-cache-entries', '0'], {}), UsageError);
    assert.throws(() => parseStart(['--near-cache', '--near-cache-max-age-ms', 'x'], {}), UsageError);
  });

  it('takes the secret from SESSIONMESH_SECRET when --secret is absent', () => {
    assert.equal(parseStart([], { SESSIONMESH_SECRET: 'from-the-env' }).options.secret, 'from-the-env');
    assert.equal(parseStart(['--secret', 'flag-wins-here'], { SESSIONMESH_SECRET: 'from-the-env' }).options.secret, 'flag-wins-here');
  });

  it('accepts --multicast with and without a group', () => {
    assert.equal(parseStart(['--multicast'], {}).options.multicast, true);
    assert.equal(parseStart(['--multicast', '--insecure'], {}).options.multicast, true);
    assert.equal(parseStart(['--multicast', '239.1.2.3:9000'], {}).options.multicast, '239.1.2.3:9000');
  });

  it('refuses unknown flags and bad numbers with a UsageError', () => {
    assert.throws(() => parseStart(['--nope'], {}), UsageError);
    assert.throws(() => parseStart(['--port=-1'], {}), /non-negative integer/);
    assert.throws(() => parseStart(['--http-port', '99999'], {}), /0\.\.65535/);
    assert.throws(() => parseStart(['--log-level', 'loud'], {}), /--log-level/);
    assert.throws(() => parseStart(['positional'], {}), UsageError);
  });
});

describe('parseStatus', () => {
  it('needs --http', () => {
    assert.throws(() => parseStatus([]), /--http/);
    assert.deepEqual(parseStatus(['--http', '127.0.0.1:8001', '--json']), { help: false, http: '127.0.0.1:8001', json: true });
  });
});
