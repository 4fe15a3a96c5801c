/**
 * Near cache under a reordering, duplicating, lossy network (real Replicators, seeded sim).
 * Every member has the near cache on; clients read and write random sessions through random
 * members. Checked on every read:
 * - a read served from a near cache never returns a version older than one the primary had when
 *   it sent an invalidation of that session that has since reached this member (and never a
 *   session whose destroy was announced to it);
 * - read-your-writes through one member: no read on a member returns a version older than a write
 *   acknowledged through that member.
 * At the end (writes stopped): every member reads exactly what the primary holds, cached or not.
 * A lost message here also reports a closed connection to the receiver, as TCP does: the
 * guarantee rests on that (docs/architecture.md "Near cache").
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partitionOf } from '../../src/placement/index.js';
import { MessageType } from '../../src/wire/message-types.js';
import type { OpResult } from '../../src/replication/ops.js';
import { ReplCluster, type ReplProcess } from './support/replication-cluster.js';
import { runUntilSettled } from './support/replication-checks.js';
import { simSeeds, withSeed } from './support/seeds.js';

const PARTITIONS = 16;
const config = { partitions: PARTITIONS, replicas: 2, nearCacheEntries: 1000, nearCacheMaxAgeMs: 600_000, defaultMaxIdleMs: 600_000 };
const harsh = { baseDelayMs: 1, jitterMs: 8, dropRate: 0.02, duplicateRate: 0.05 };

test('near cache: no read outlives a delivered invalidation or a write acknowledged through its member', () => {
  for (const seed of simSeeds([301, 302, 303])) {
    withSeed(seed, () => {
      const c = new ReplCluster(seed, config, harsh);
      c.disconnectOnLoss = true;
      for (let i = 0; i < 4; i++) c.start();
      runUntilSettled(c, 20_000);
      const key = (member: string, id: string) => `${member}\u0000${id}`;
      /** Per (member, session): the highest version an invalidation that reached the member was sent at. */
      const floor = new Map<string, number>();
      const destroyedAt = new Set<string>();
      /** Per (member, session): the highest version acknowledged to a write through that member. */
      const acked = new Map<string, number>();
      const sentAt = new WeakMap<object, Map<string, { version: number; destroyed: boolean }>>();
      let delivered = 0;
      c.observer = {
        sent(from, _to, type, body) {
          if (type !== MessageType.NearInvalidate) return;
          const at = new Map<string, { version: number; destroyed: boolean }>();
          for (const id of (body as { ids: string[] }).ids) {
            const r = from.rep.store.get(id);
            at.set(id, { version: r?.version ?? 0, destroyed: r?.destroyed === true });
          }
          sentAt.set(body as object, at);
        },
        delivered(_from, to, type, body) {
          if (type !== MessageType.NearInvalidate) return;
          delivered++;
          for (const [id, v] of sentAt.get(body as object) ?? []) {
            const k = key(to.id, id);
            floor.set(k, Math.max(floor.get(k) ?? 0, v.version));
            if (v.destroyed) destroyedAt.add(k);
          }
        },
      };

      const ids: string[] = [];
      const pick = () => c.up()[c.random.int(c.up().length)]!;
      const create = () => c.submit(pick(), { kind: 'create', data: { n: 0 } }, (o) => o.ok && o.result.kind === 'create' && ids.push(o.result.id));
      for (let i = 0; i < 16; i++) create();
      c.runFor(2_000);
      assert.equal(ids.length, 16);

      let hits = 0;
      let reads = 0;
      let failures = 0;
      /** `ackedBefore`: the highest version acknowledged through `via` when the read was submitted. */
      const checkRead = (via: ReplProcess, id: string, r: OpResult, hit: boolean, ackedBefore: number) => {
        reads++;
        const v = r.kind === 'get' ? (r.session?.version ?? null) : null;
        const k = key(via.id, id);
        if (hit) {
          hits++;
          assert.notEqual(v, null, 'a hit returns a session');
          assert.ok(!destroyedAt.has(k), `${via.id} served ${id} from its cache after its destroy was announced to it`);
          assert.ok(v! >= (floor.get(k) ?? 0), `${via.id} served ${id} v${v} from its cache after an invalidation sent at v${floor.get(k)} reached it`);
        }
        if (v !== null) assert.ok(v >= ackedBefore, `${via.id} read ${id} v${v} submitted after a write acknowledged through it at v${ackedBefore} (${hit ? 'hit' : 'miss'})`);
      };
      const step = () => {
        const via = pick();
        const id = ids[c.random.int(ids.length)]!;
        const roll = c.random.int(100);
        if (roll < 70) {
          const before = via.rep.nearCacheStatus().hits;
          const ackedBefore = acked.get(key(via.id, id)) ?? 0;
          let result: OpResult | null = null;
          let sync = true;
          c.submit(via, { kind: 'get', id }, (o) => {
            if (!o.ok) failures++;
            else if (sync) result = o.result;
            else checkRead(via, id, o.result, false, ackedBefore);
          });
          sync = false;
          // Completed within submit(): a hit, or a read on the primary itself.
          if (result !== null) checkRead(via, id, result, via.rep.nearCacheStatus().hits > before, ackedBefore);
          return;
        }
        if (roll < 98) {
          c.submit(via, { kind: 'update', id, update: { set: { n: roll } } }, (o) => {
            if (o.ok && o.result.kind === 'update') acked.set(key(via.id, id), Math.max(acked.get(key(via.id, id)) ?? 0, o.result.version));
          });
          return;
        }
        // Rarely: a session ends and another takes its place.
        c.submit(via, { kind: 'destroy', id }, () => {});
        ids.splice(ids.indexOf(id), 1);
        create();
      };
      let nextMs = c.nowMs;
      c.runFor(15_000, () => {
        while (c.nowMs >= nextMs) {
          nextMs += 1 + c.random.int(4);
          step();
        }
      });
      if (process.env.NC_DEBUG) console.log({ seed, hits, reads, delivered, failures });
      assert.ok(hits > 500, `the cache was used (${hits} hits of ${reads} reads)`);
      assert.ok(delivered > 100, `invalidations were delivered (${delivered})`);
      assert.ok(failures < reads / 10, `reads mostly succeeded (${failures} failed)`);

      // Quiet network, writes stopped: every member reads what the primary holds.
      c.net.conditions = { baseDelayMs: 1, jitterMs: 1, dropRate: 0, duplicateRate: 0 };
      c.runFor(3_000);
      for (const via of c.up()) {
        for (const id of ids) {
          const p = partitionOf(id, PARTITIONS);
          const primary = c.up().find((q) => q.id === via.rep.currentTable()!.owners[p]![0])!;
          const want = primary.rep.store.get(id)!.version;
          let got: number | null = null;
          c.submit(via, { kind: 'get', id }, (o) => {
            got = o.ok && o.result.kind === 'get' ? (o.result.session?.version ?? null) : null;
          });
          c.runFor(50);
          assert.equal(got, want, `${via.id} reads ${id} as v${got}, its primary ${primary.id} holds v${want}`);
        }
      }
    });
  }
});
