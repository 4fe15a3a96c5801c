import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isSessionMeshError } from '../../../src/errors.js';
import { computeTable } from '../../../src/placement/assignment.js';
import { MAX_PARTITIONS, MAX_TABLE_MEMBERS } from '../../../src/placement/limits.js';
import { decodeTable, encodeTable } from '../../../src/placement/table-codec.js';
import { type PartitionTable, ownersEqual, primaryOf, validateTable } from '../../../src/placement/table.js';
import { runs, scenario } from './fixtures.js';

const members = ['m-a', 'm-b', 'm-c', 'm-d'].map((id) => ({ id, zone: null }));
const good: PartitionTable = {
  epoch: 5,
  partitions: 13,
  replicas: 2,
  owners: computeTable(null, members, { partitions: 13, replicas: 2 }),
  coordinatorId: 'm-a',
};

const isBadFrame = (e: unknown) => isSessionMeshError(e, 'ERR_BAD_FRAME');
const rejects = (value: unknown) => assert.throws(() => validateTable(value), isBadFrame, JSON.stringify(value)?.slice(0, 120));

describe('validateTable', () => {
  it('accepts computed tables and returns a fresh copy', () => {
    const checked = validateTable(good);
    assert.deepEqual(checked, good);
    assert.notEqual(checked.owners, good.owners);
    const empty = { ...good, owners: computeTable(null, [], { partitions: 13, replicas: 2 }) };
    assert.deepEqual(validateTable(empty), empty);
    const all = { ...good, replicas: 'all' as const, owners: computeTable(null, members, { partitions: 13, replicas: 'all' }) };
    assert.deepEqual(validateTable(all), all);
  });

  it('rejects malformed shapes', () => {
    for (const v of [null, undefined, 7, 'table', [], [good]]) rejects(v);
    const { epoch: _e, ...noEpoch } = good;
    rejects(noEpoch);
    for (const epoch of [-1, 1.5, '5', Number.NaN, 2 ** 53]) rejects({ ...good, epoch });
    for (const partitions of [0, 14, MAX_PARTITIONS + 1, '13']) rejects({ ...good, partitions });
    for (const replicas of [0, 8, 1.5, 'some', null]) rejects({ ...good, replicas });
    for (const coordinatorId of ['', 5, null, 'x'.repeat(129)]) rejects({ ...good, coordinatorId });
  });

  it('rejects bad rows', () => {
    const owners = good.owners.map((row) => [...row]);
    rejects({ ...good, owners: owners.slice(1) });
    rejects({ ...good, owners: owners.map((row, p) => (p === 3 ? 'm-a' : row)) });
    rejects({ ...good, owners: owners.map((row, p) => (p === 3 ? [row[0], row[0]] : row)) }); // duplicate
    rejects({ ...good, owners: owners.map((row, p) => (p === 3 ? [row[0]] : row)) }); // uneven
    rejects({ ...good, owners: owners.map((row, p) => (p === 3 ? [row[0], 42] : row)) }); // not an id
    rejects({ ...good, owners: owners.map((row, p) => (p === 3 ? [row[0], ''] : row)) });
    rejects({ ...good, owners: owners.map((row) => row.slice(0, 1)) }); // 1 copy although 4 members could hold 2
    rejects({ ...good, replicas: 1 }); // 2 copies per row exceed replicas
  });

  it('bounds the number of members a table may name', () => {
    const many = Array.from({ length: MAX_TABLE_MEMBERS + 1 }, (_, i) => `m${i}`);
    rejects({ epoch: 1, partitions: many.length, replicas: 1, coordinatorId: 'm0', owners: many.map((id) => [id]) });
  });

  it('ignores fields smuggled in through a prototype', () => {
    const sneaky = Object.create({ epoch: 5 }) as Record<string, unknown>;
    Object.assign(sneaky, { partitions: good.partitions, replicas: good.replicas, owners: good.owners, coordinatorId: good.coordinatorId });
    rejects(sneaky);
  });

  it('fails only with ERR_BAD_FRAME on arbitrary corruption', () => {
    const keys = ['epoch', 'partitions', 'replicas', 'owners', 'coordinatorId'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.anything(), fc.nat(12), fc.anything(), (key, value, row, cell) => {
        const variants: unknown[] = [
          { ...good, [key]: value },
          { ...good, owners: good.owners.map((r, p) => (p === row ? value : r)) },
          { ...good, owners: good.owners.map((r, p) => (p === row ? [r[0], cell] : r)) },
        ];
        for (const v of variants) {
          try {
            validateTable(v);
          } catch (e) {
            assert.ok(isBadFrame(e), String(e));
          }
        }
      }),
      runs(300),
    );
  });
});

describe('table helpers', () => {
  it('primaryOf and ownersEqual', () => {
    assert.equal(primaryOf(good, 0), good.owners[0]![0]);
    assert.equal(primaryOf({ ...good, owners: good.owners.map(() => []) }, 0), undefined);
    assert.equal(ownersEqual(good.owners, good.owners.map((r) => [...r])), true);
    assert.equal(ownersEqual(good.owners, good.owners.map((r, p) => (p === 2 ? [...r].reverse() : r))), false);
    assert.equal(ownersEqual(good.owners, good.owners.slice(1)), false);
  });
});

describe('compact table encoding', () => {
  it('round-trips any computed table', () => {
    fc.assert(
      fc.property(scenario({ zoned: false, maxMembers: 20 }), fc.nat(), (s, epoch) => {
        const owners = computeTable(null, s.members, { partitions: s.partitions, replicas: s.replicas });
        const table: PartitionTable = { epoch, partitions: s.partitions, replicas: s.replicas, owners, coordinatorId: s.members[0]!.id };
        const encoded = encodeTable(table);
        assert.deepEqual(decodeTable(JSON.parse(JSON.stringify(encoded))), table);
      }),
      runs(60),
    );
  });

  it('is much smaller than the plain table', () => {
    const ids = Array.from({ length: 10 }, (_, i) => ({ id: `member-${i}-xxxxxxxxxxxxxx`, zone: null }));
    const table: PartitionTable = { epoch: 1, partitions: 271, replicas: 3, owners: computeTable(null, ids, { partitions: 271, replicas: 3 }), coordinatorId: ids[0]!.id };
    assert.ok(JSON.stringify(encodeTable(table)).length * 4 < JSON.stringify(table).length);
  });

  it('rejects malformed encodings with ERR_BAD_FRAME', () => {
    const enc = encodeTable(good);
    const bad = (v: unknown) => assert.throws(() => decodeTable(v), isBadFrame, JSON.stringify(v)?.slice(0, 100));
    for (const v of [null, [], 'x', { ...enc, p: 0 }, { ...enc, p: MAX_PARTITIONS + 1 }, { ...enc, o: enc.o.slice(1) }]) bad(v);
    bad({ ...enc, o: enc.o.map((i, k) => (k === 0 ? enc.m.length : i)) }); // index out of range
    bad({ ...enc, o: enc.o.map((i, k) => (k === 0 ? -1 : i)) });
    bad({ ...enc, o: enc.o.map((i, k) => (k === 0 ? 0.5 : i)) });
    bad({ ...enc, m: [enc.m[0], ...enc.m] }); // duplicate member
    bad({ ...enc, r: 9 });
    bad({ ...enc, e: -1 });
    bad({ ...enc, c: '' });
    bad({ ...enc, o: new Array(enc.p * (enc.m.length + 1)).fill(0) }); // more copies than members
  });

  it('fails only with ERR_BAD_FRAME on arbitrary corruption', () => {
    const enc = encodeTable(good);
    fc.assert(
      fc.property(fc.constantFrom('e', 'p', 'r', 'c', 'm', 'o'), fc.anything(), fc.nat(30), fc.integer({ min: -2, max: 6 }), (key, value, at, index) => {
        for (const v of [{ ...enc, [key]: value }, { ...enc, o: enc.o.map((x, k) => (k === at ? index : x)) }]) {
          try {
            decodeTable(v);
          } catch (e) {
            assert.ok(isBadFrame(e), String(e));
          }
        }
      }),
      runs(300),
    );
  });
});
