import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededRandom } from '../../../src/clock/clock.js';
import { isValidSessionId, newSessionId } from '../../../src/session/id.js';

describe('session ids', () => {
  it('are 22 base64url characters carrying 128 random bits, distinct, and valid', () => {
    const random = new SeededRandom(42);
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = newSessionId(random);
      assert.match(id, /^[A-Za-z0-9_-]{22}$/);
      assert.equal(Buffer.from(id, 'base64url').length, 16);
      assert.ok(isValidSessionId(id));
      ids.add(id);
    }
    assert.equal(ids.size, 1000);
  });

  it('are deterministic for a seed (replayable simulations)', () => {
    assert.equal(newSessionId(new SeededRandom(9)), newSessionId(new SeededRandom(9)));
  });

  it('validation refuses wrong types, lengths and characters', () => {
    for (const bad of [undefined, null, 5, {}, '', 'A'.repeat(21), 'A'.repeat(129), 'A'.repeat(21) + '=', 'A'.repeat(21) + '/', 'A'.repeat(21) + '+', 'A'.repeat(21) + ' ', 'A'.repeat(21) + 'é', 'A'.repeat(21) + '\n']) {
      assert.equal(isValidSessionId(bad), false, JSON.stringify(bad));
    }
    assert.ok(isValidSessionId('A'.repeat(128)));
    assert.ok(isValidSessionId('abcdefghijklmnopqrstuv-_0123456789'), 'express-session style 32+ char ids pass');
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.anything(), (x) => void isValidSessionId(x)), { numRuns: 200 });
  });
});
