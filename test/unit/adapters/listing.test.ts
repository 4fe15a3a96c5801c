/**
 * The cluster-wide listing behind the stores' all/ids/length/clear (src/node/session-listing.ts)
 * with a scripted transport: merged answers, the bound, a member that does not answer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SessionMeshError } from '../../../src/errors.js';
import { listAnswerFromWire, listClusterIds, listLimit, type ListAnswer } from '../../../src/node/session-listing.js';
import type { MemberRecord } from '../../../src/membership/member.js';
import type { Transport } from '../../../src/transport/transport.js';

const id = (n: number) => `session-${String(n).padStart(14, '0')}`;

function peer(name: string): MemberRecord {
  return { id: name, name, address: { host: '127.0.0.1', port: 1 } } as unknown as MemberRecord;
}

function transport(answers: Record<string, ListAnswer | Error>): Transport {
  return {
    request: async (to: { id?: string }) => {
      const a = answers[to.id!];
      if (a instanceof Error) throw a;
      return { type: 47, body: a };
    },
  } as unknown as Transport;
}

const local = (a: ListAnswer) => () => a;

describe('adapters: cluster-wide session listing', () => {
  it('merges every member answer, each id once (primaries and backups both report a session)', async () => {
    const t = transport({ b: { ids: [id(2), id(3)], more: false }, c: { ids: [id(1), id(3)], more: false } });
    const ids = await listClusterIds({ transport: t, peers: [peer('b'), peer('c')], local: local({ ids: [id(1), id(2)], more: false }), timeoutMs: 100 }, 10);
    assert.deepEqual(ids.sort(), [id(1), id(2), id(3)]);
  });

  it('more sessions than the limit is ERR_LIMIT, not a truncated list', async () => {
    const t = transport({ b: { ids: [id(3), id(4)], more: false } });
    await assert.rejects(
      listClusterIds({ transport: t, peers: [peer('b')], local: local({ ids: [id(1), id(2)], more: false }), timeoutMs: 100 }, 3),
      (e: unknown) => e instanceof SessionMeshError && e.code === 'ERR_LIMIT',
    );
    await assert.rejects(
      listClusterIds({ transport: t, peers: [], local: local({ ids: [id(1)], more: true }), timeoutMs: 100 }, 1),
      (e: unknown) => e instanceof SessionMeshError && e.code === 'ERR_LIMIT',
    );
  });

  it('a member that does not answer fails the listing with its code and name', async () => {
    const t = transport({ b: new SessionMeshError('ERR_TIMEOUT', 'no response') });
    await assert.rejects(
      listClusterIds({ transport: t, peers: [peer('b')], local: local({ ids: [], more: false }), timeoutMs: 100 }, 10),
      (e: unknown) => e instanceof SessionMeshError && e.code === 'ERR_TIMEOUT' && /member b/.test(e.message),
    );
  });

  it('validates answers and limits', () => {
    assert.throws(() => listAnswerFromWire({ ids: ['short'], more: false }, 10), /invalid SessionList reply/);
    assert.throws(() => listAnswerFromWire({ ids: [id(1), id(2)], more: false }, 1), /invalid SessionList reply/);
    assert.deepEqual(listAnswerFromWire({ ids: [id(1)], more: false }, 1), { ids: [id(1)], more: false });
    assert.equal(listLimit(undefined), 100_000);
    assert.throws(() => listLimit(0), (e: unknown) => e instanceof SessionMeshError && e.code === 'ERR_CONFIG');
  });
});
