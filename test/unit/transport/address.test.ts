import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress, parseAddress } from '../../../src/transport/address.js';

describe('addresses', () => {
  it('parses and formats IPv4, IPv6 and names', () => {
    for (const t of ['127.0.0.1:7400', '[::1]:7400', 'node-1.svc:80']) assert.equal(formatAddress(parseAddress(t)), t);
    assert.deepEqual(parseAddress('example', 9), { host: 'example', port: 9 });
  });
  it('refuses bad ports and hosts', () => {
    for (const t of ['127.0.0.1:', 'h:65536', 'h:-1', 'h:1.5', ':80', '::1:80', 'h']) assert.throws(() => parseAddress(t), /invalid address/);
  });
});
