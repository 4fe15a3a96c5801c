/**
 * The consistency checker on small hand-made histories: each anomaly kind is detected where its
 * guarantee applies and not where it does not, valid histories pass, and indeterminate (info)
 * ops excuse exactly what they may have done.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkHistory, guaranteesFor } from '../../../helpers/consistency/checker.js';
import type { HistoryOp, RunFaults, RunMode } from '../../../helpers/consistency/history.js';

const AP: RunMode = { quorum: 'none', ack: 'all', replicas: 2 };
const MAJORITY: RunMode = { quorum: 'majority', ack: 'all', replicas: 3 };
const ACK_ONE: RunMode = { quorum: 'none', ack: 'one', replicas: 2 };
const NONE: RunFaults = { partition: false, pause: false, crash: false };
const SPLIT: RunFaults = { partition: true, pause: false, crash: false };
const PAUSE: RunFaults = { partition: false, pause: true, crash: false };
const CRASH: RunFaults = { partition: false, pause: false, crash: true };
const LOST_ALL: RunFaults = { partition: false, pause: false, crash: true, beyondReplicas: true };

/** Builds a history: ops take consecutive 10 ms slots unless given times; indexes are positions. */
class H {
  readonly ops: HistoryOp[] = [];
  private t = 0;
  op(o: Partial<HistoryOp> & Pick<HistoryOp, 'kind'>): HistoryOp {
    const invokeMs = o.invokeMs ?? (this.t += 10);
    const completeMs = o.completeMs ?? invokeMs + 5;
    this.t = Math.max(this.t, completeMs);
    const op: HistoryOp = { index: this.ops.length, client: 'c1', session: 's', outcome: 'ok', ...o, invokeMs, completeMs };
    this.ops.push(op);
    return op;
  }
  create(version = 1): HistoryOp {
    return this.op({ kind: 'create', version });
  }
  final(read: { n: number; keys: string[] } | null, version?: number): HistoryOp {
    return this.op({ kind: 'read', read, final: true, ...(version === undefined ? {} : { version }) });
  }
}

function kinds(h: H, mode: RunMode, faults: RunFaults): string[] {
  return checkHistory(h.ops, { mode, faults }).anomalies.map((a) => a.kind);
}

describe('guaranteesFor', () => {
  test('AP without faults promises everything; a split or pause drops versions, counters and fresh reads', () => {
    assert.ok(guaranteesFor(AP, NONE).includes('no-stale-reads'));
    assert.ok(guaranteesFor(AP, NONE).includes('counter-equals-acked-increments'));
    for (const f of [SPLIT, PAUSE]) {
      const g = guaranteesFor(AP, f);
      assert.ok(g.includes('acked-adds-present') && g.includes('no-404-for-existing') && g.includes('refused-never-applied'));
      assert.ok(!g.includes('unique-versions') && !g.includes('counter-equals-acked-increments') && !g.includes('no-stale-reads'));
    }
  });
  test('majority keeps versions and counters under splits and pauses, not fresh reads', () => {
    for (const f of [SPLIT, PAUSE, CRASH]) {
      const g = guaranteesFor(MAJORITY, f);
      assert.ok(g.includes('unique-versions') && g.includes('counter-equals-acked-increments'));
      assert.equal(g.includes('no-stale-reads'), f === CRASH);
    }
  });
  test('ack one: durability only without crash, pause or split; beyond replicas: only refusals', () => {
    assert.ok(guaranteesFor(ACK_ONE, NONE).includes('acked-adds-present'));
    assert.deepEqual(guaranteesFor(ACK_ONE, CRASH), ['refused-never-applied', 'final-reads-answer']);
    assert.deepEqual(guaranteesFor(AP, LOST_ALL), ['refused-never-applied', 'final-reads-answer']);
  });
});

describe('valid histories', () => {
  test('creates, adds, dels, increments and reads that agree pass in every mode', () => {
    const h = new H();
    h.create(1);
    h.op({ kind: 'add', key: 'k1', version: 2 });
    h.op({ kind: 'read', read: { n: 0, keys: ['k1'] }, version: 2 });
    h.op({ kind: 'incr', ifVersion: 2, value: 1, version: 3 });
    h.op({ kind: 'del', key: 'k1', version: 4 });
    h.op({ kind: 'incr', ifVersion: 4, value: 2, version: 5 });
    h.op({ kind: 'incr', ifVersion: 4, value: 2, outcome: 'fail', error: 'ERR_VERSION_CONFLICT' });
    h.op({ kind: 'read', read: { n: 2, keys: [] }, version: 5 });
    h.final({ n: 2, keys: [] }, 5);
    for (const mode of [AP, MAJORITY, ACK_ONE]) {
      for (const faults of [NONE, SPLIT, PAUSE, CRASH, LOST_ALL]) {
        const r = checkHistory(h.ops, { mode, faults });
        assert.deepEqual(r.anomalies, [], `${JSON.stringify(mode)} ${JSON.stringify(faults)}`);
        assert.equal(r.valid, true);
      }
    }
    const r = checkHistory(h.ops, { mode: AP, faults: NONE });
    assert.equal(r.counts.attempted, 8);
    assert.equal(r.counts.ok, 7);
    assert.equal(r.counts.fail, 1);
    assert.equal(r.counts.info, 0);
    assert.equal(r.counts.finalReads, 1);
    for (const k of ['lost', 'duplicateVersions', 'resurrectedDeletes', 'notFoundForExisting', 'refusedButApplied', 'staleReads']) assert.equal(r.counts[k], 0, k);
  });

  test('a destroyed session that stays destroyed passes; one without a final read does not', () => {
    const h = new H();
    h.create();
    h.op({ kind: 'destroy' });
    h.op({ kind: 'read', read: null });
    h.final(null);
    assert.deepEqual(kinds(h, AP, NONE), []);
    const g = new H();
    g.create();
    g.op({ kind: 'read', read: null, final: true, outcome: 'info', error: 'ERR_TIMEOUT' });
    assert.deepEqual(kinds(g, AP, NONE), ['final-read-missing']);
    assert.equal(checkHistory(g.ops, { mode: AP, faults: NONE }).counts.finalReadMissing, 1);
  });
});

describe('adds and deletes', () => {
  test('an acknowledged add missing from the final read is lost', () => {
    const h = new H();
    h.create();
    h.op({ kind: 'add', key: 'k1', version: 2 });
    h.final({ n: 0, keys: [] }, 2);
    const r = checkHistory(h.ops, { mode: AP, faults: SPLIT });
    assert.deepEqual(r.anomalies.map((a) => [a.kind, a.ops]), [['lost', [1, 2]]]);
    assert.equal(r.counts.lost, 1);
    assert.equal(r.valid, false);
    // Beyond replicas − 1 crashes data may be lost: counted, not a violation.
    const beyond = checkHistory(h.ops, { mode: AP, faults: LOST_ALL });
    assert.equal(beyond.valid, true);
    assert.equal(beyond.counts.lost, 1);
  });

  test('an acknowledged or indeterminate del after the add excuses its absence; a refused one does not', () => {
    for (const outcome of ['ok', 'info'] as const) {
      const h = new H();
      h.create();
      h.op({ kind: 'add', key: 'k1', version: 2 });
      h.op({ kind: 'del', key: 'k1', outcome, ...(outcome === 'ok' ? { version: 3 } : { error: 'ERR_TIMEOUT' }) });
      h.final({ n: 0, keys: [] }, 3);
      assert.deepEqual(kinds(h, AP, NONE), [], outcome);
    }
    const h = new H();
    h.create();
    h.op({ kind: 'add', key: 'k1', version: 2 });
    h.op({ kind: 'del', key: 'k1', outcome: 'fail', error: 'ERR_NO_QUORUM' });
    h.final({ n: 0, keys: [] }, 3);
    assert.deepEqual(kinds(h, MAJORITY, SPLIT), ['refused-but-applied']);
    // Without durability the key may just be lost: neither blamed.
    assert.deepEqual(kinds(h, ACK_ONE, CRASH), []);
  });

  test('an acknowledged delete present in the final read is resurrected, unless its add was indeterminate', () => {
    const h = new H();
    h.create();
    h.op({ kind: 'add', key: 'k1', version: 2 });
    h.op({ kind: 'del', key: 'k1', version: 3 });
    h.final({ n: 0, keys: ['k1'] }, 4);
    const r = checkHistory(h.ops, { mode: AP, faults: SPLIT });
    assert.deepEqual(r.anomalies.map((a) => a.kind), ['resurrected-delete']);
    assert.equal(r.counts.resurrectedDeletes, 1);
    const g = new H();
    g.create();
    g.op({ kind: 'add', key: 'k1', outcome: 'info', error: 'ERR_TIMEOUT' });
    g.op({ kind: 'del', key: 'k1', version: 2 });
    g.final({ n: 0, keys: ['k1'] }, 3);
    assert.deepEqual(kinds(g, AP, SPLIT), []);
  });

  test('a refused add seen by any read took effect', () => {
    const h = new H();
    h.create();
    h.op({ kind: 'add', key: 'k1', outcome: 'fail', error: 'ERR_NO_QUORUM' });
    h.op({ kind: 'read', read: { n: 0, keys: ['k1'] }, version: 2 });
    h.final({ n: 0, keys: [] }, 2);
    const r = checkHistory(h.ops, { mode: AP, faults: LOST_ALL });
    assert.deepEqual(r.anomalies.map((a) => [a.kind, a.ops]), [['refused-but-applied', [1, 2]]]);
    assert.equal(r.counts.refusedButApplied, 1);
    // The same add ending info may have been applied: fine.
    h.ops[1] = { ...h.ops[1]!, outcome: 'info', error: 'ERR_TIMEOUT' };
    assert.deepEqual(kinds(h, AP, SPLIT), []);
  });

  test('a destroyed session that comes back, and a refused destroy or create that took effect', () => {
    const h = new H();
    h.create();
    h.op({ kind: 'destroy' });
    h.final({ n: 0, keys: [] }, 1);
    assert.deepEqual(kinds(h, AP, SPLIT), ['resurrected-session']);
    const g = new H();
    g.create();
    g.op({ kind: 'destroy', outcome: 'fail', error: 'ERR_NO_QUORUM' });
    g.final(null);
    assert.deepEqual(kinds(g, MAJORITY, SPLIT), ['refused-but-applied']);
    const c = new H();
    c.op({ kind: 'create', outcome: 'fail', error: 'ERR_NO_QUORUM' });
    c.op({ kind: 'read', read: { n: 0, keys: [] }, version: 1 });
    c.final(null);
    assert.deepEqual(kinds(c, MAJORITY, SPLIT), ['refused-but-applied']);
  });
});

describe('404 for a session that exists', () => {
  test('a null read or ERR_NOT_FOUND after an acknowledged create and before any destroy', () => {
    const h = new H();
    h.create();
    h.op({ kind: 'read', read: null });
    h.op({ kind: 'add', key: 'k1', outcome: 'fail', error: 'ERR_NOT_FOUND' });
    h.op({ kind: 'incr', ifVersion: 1, value: 1, outcome: 'fail', error: 'ERR_NOT_FOUND' });
    h.final({ n: 0, keys: [] }, 1);
    const r = checkHistory(h.ops, { mode: AP, faults: SPLIT });
    assert.deepEqual(r.anomalies.map((a) => a.kind), ['not-found-for-existing', 'not-found-for-existing', 'not-found-for-existing']);
    assert.equal(r.counts.notFoundForExisting, 3);
    // ERR_UNAVAILABLE is the right answer.
    const u = new H();
    u.create();
    u.op({ kind: 'read', outcome: 'fail', error: 'ERR_UNAVAILABLE' });
    u.final({ n: 0, keys: [] }, 1);
    assert.deepEqual(kinds(u, AP, SPLIT), []);
  });

  test('not a violation: concurrent with the create, after a destroy was invoked, or with ack one after a crash', () => {
    const h = new H();
    h.op({ kind: 'create', version: 1, invokeMs: 0, completeMs: 20 });
    h.op({ kind: 'read', read: null, invokeMs: 10, completeMs: 15 });
    h.op({ kind: 'destroy', outcome: 'info', error: 'ERR_TIMEOUT', invokeMs: 30, completeMs: 100 });
    h.op({ kind: 'read', read: null, invokeMs: 40, completeMs: 45, client: 'c2' });
    h.final(null);
    assert.deepEqual(kinds(h, AP, NONE), []);
    // A destroy invoked at the very instant a read completes is concurrent with it (sim seed 50215).
    const tie = new H();
    tie.create();
    tie.op({ kind: 'read', read: null, invokeMs: 100, completeMs: 600, client: 'c1' });
    tie.op({ kind: 'destroy', invokeMs: 600, completeMs: 601, client: 'c2' });
    tie.final(null);
    assert.deepEqual(kinds(tie, AP, NONE), []);
    tie.ops[2] = { ...tie.ops[2]!, invokeMs: 600.5 };
    assert.deepEqual(kinds(tie, AP, NONE), ['not-found-for-existing']);
    const g = new H();
    g.create();
    g.final(null);
    assert.deepEqual(kinds(g, AP, CRASH), ['not-found-for-existing']);
    assert.deepEqual(kinds(g, ACK_ONE, CRASH), []);
  });
});

describe('versions and the counter', () => {
  function twoWritesOneVersion(): H {
    const h = new H();
    h.create();
    h.op({ kind: 'incr', ifVersion: 1, value: 1, version: 2, client: 'c1', invokeMs: 100, completeMs: 120 });
    h.op({ kind: 'incr', ifVersion: 1, value: 1, version: 2, client: 'c2', invokeMs: 101, completeMs: 130 });
    h.final({ n: 1, keys: [] }, 2);
    return h;
  }

  test('two acknowledged writes with one version, one counter value: under majority always, under AP only without a split', () => {
    const h = twoWritesOneVersion();
    const r = checkHistory(h.ops, { mode: MAJORITY, faults: SPLIT });
    assert.deepEqual(r.anomalies.map((a) => a.kind).sort(), ['duplicate-counter-value', 'duplicate-version', 'lost-increments']);
    assert.equal(r.counts.duplicateVersions, 1);
    assert.equal(r.counts.lost, 1);
    assert.deepEqual(kinds(h, AP, NONE).sort(), ['duplicate-counter-value', 'duplicate-version', 'lost-increments']);
    // AP with a split: expected; still counted.
    const ap = checkHistory(h.ops, { mode: AP, faults: SPLIT });
    assert.equal(ap.valid, true);
    assert.equal(ap.counts.duplicateVersions, 1);
  });

  test('versions must grow in real-time order and above ifVersion', () => {
    const h = new H();
    h.create();
    h.op({ kind: 'add', key: 'k1', version: 3 });
    h.op({ kind: 'add', key: 'k2', version: 2 });
    h.op({ kind: 'incr', ifVersion: 5, value: 1, version: 5 });
    h.final({ n: 1, keys: ['k1', 'k2'] }, 5);
    const r = checkHistory(h.ops, { mode: MAJORITY, faults: CRASH });
    assert.deepEqual(r.anomalies.map((a) => [a.kind, a.ops]), [
      ['version-order', [1, 2]],
      ['version-order', [3]],
    ]);
    // Concurrent writes may complete in either version order.
    const g = new H();
    g.create();
    g.op({ kind: 'add', key: 'k1', version: 3, invokeMs: 100, completeMs: 150 });
    g.op({ kind: 'add', key: 'k2', version: 2, invokeMs: 110, completeMs: 120, client: 'c2' });
    g.final({ n: 0, keys: ['k1', 'k2'] }, 3);
    assert.deepEqual(kinds(g, MAJORITY, CRASH), []);
  });

  test('final counter: below the acknowledged increments is loss, within the indeterminate ones is fine, above is extra', () => {
    const build = (n: number) => {
      const h = new H();
      h.create();
      h.op({ kind: 'incr', ifVersion: 1, value: 1, version: 2 });
      h.op({ kind: 'incr', ifVersion: 2, value: 2, outcome: 'info', error: 'ERR_TIMEOUT' });
      h.op({ kind: 'incr', ifVersion: 2, value: 2, outcome: 'fail', error: 'ERR_VERSION_CONFLICT' });
      h.final({ n, keys: [] }, 1 + n);
      return h;
    };
    assert.deepEqual(kinds(build(0), MAJORITY, SPLIT), ['lost-increments']);
    assert.deepEqual(kinds(build(1), MAJORITY, SPLIT), []);
    assert.deepEqual(kinds(build(2), MAJORITY, SPLIT), []);
    assert.deepEqual(kinds(build(3), MAJORITY, SPLIT), ['extra-increments']);
    // AP with a pause does not promise the count.
    assert.deepEqual(kinds(build(0), AP, PAUSE), []);
    assert.equal(checkHistory(build(0).ops, { mode: AP, faults: PAUSE }).counts.lost, 1);
  });

  test('a stale read is a violation only without splits and pauses', () => {
    const h = new H();
    h.create();
    h.op({ kind: 'incr', ifVersion: 1, value: 1, version: 2 });
    h.op({ kind: 'read', read: { n: 0, keys: [] }, version: 1, client: 'c2' });
    h.final({ n: 1, keys: [] }, 2);
    assert.deepEqual(kinds(h, MAJORITY, CRASH), ['stale-read']);
    const split = checkHistory(h.ops, { mode: MAJORITY, faults: SPLIT });
    assert.equal(split.valid, true);
    assert.equal(split.counts.staleReads, 1);
    // A read concurrent with the write may see either.
    const g = new H();
    g.create();
    g.op({ kind: 'incr', ifVersion: 1, value: 1, version: 2, invokeMs: 100, completeMs: 200 });
    g.op({ kind: 'read', read: { n: 0, keys: [] }, version: 1, invokeMs: 150, completeMs: 160, client: 'c2' });
    g.final({ n: 1, keys: [] }, 2);
    assert.deepEqual(kinds(g, MAJORITY, NONE), []);
  });
});
