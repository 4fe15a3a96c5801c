/**
 * THE consistency checker (issue #11): reads a history (history.ts) recorded by the simulator or
 * by the real-process chaos suite and says whether the store kept the guarantees that apply to
 * the run's mode and faults. Pure: no I/O, no clock, no randomness. This header is the source of
 * docs/consistency.md.
 *
 * Terms. ok = acknowledged, fail = definite refusal (never takes effect), info = indeterminate
 * (may take effect, now or later). "Final read" = a `read` with `final: true` made after every
 * fault stopped and the cluster settled. "A before B" (real time) = A.completeMs < B.invokeMs.
 * A session EXISTS for an op when its create was acknowledged before the op was invoked and no
 * destroy of it was invoked before the op completed (or at the same instant: equal times are
 * concurrent, never "before"). Workload sessions must not idle-expire
 * during a run (recorders create them with a long maxIdleMs).
 *
 * Which guarantees apply (`checked` lists them for a run):
 *
 *   durable  = ack 'all': not `beyondReplicas` (at most replicas − 1 members down at once);
 *              ack 'one' | 'none': no crash, no pause and no partition. With ack one/none a
 *              write is acknowledged before every backup has it, and any of those faults can
 *              promote a backup that lacks it: acknowledged adds, deletes, creates and
 *              increments may then be lost or come back, and versions may be handed out twice.
 *   linear   = durable, and (quorum 'majority' or no partition and no pause). In AP mode
 *              (quorum 'none') both sides of a split — and a paused member that resumes after
 *              it was declared dead, which is a split in time — accept writes on their own
 *              copies; the heal merges them by LWW per attribute, so two acknowledged writes
 *              may share a version and concurrent increments overwrite each other. Under
 *              'majority' only the side with a majority of the voters writes, so neither may
 *              happen under any fault.
 *   fresh    = linear, and no partition and no pause. Reads are served by the member that
 *              believes it is the partition's primary, with no quorum or lease check
 *              (docs/architecture.md "Quorum 'majority'": "Reads are still served from
 *              reachable primaries"), so during a split, or right after a pause, an old primary
 *              that has not yet adopted the newer table may serve its older copy, under
 *              'majority' too. Today's design does not promise fresh reads then, so they are
 *              counted (staleReads) but not a violation.
 *
 *   always   refused-never-applied: a `fail`ed add's key is never seen by any read; a `fail`ed
 *            create's session (one with no other create) is never seen by any read. Where
 *            `durable` holds also: when every destroy of a session `fail`ed, the final read
 *            still finds it; a key whose only deletes after its ok add `fail`ed is in the final
 *            read (its absence counts as refusedButApplied, not lost). Without `durable` the
 *            session or key may simply have been lost. A refused incr cannot be told apart from
 *            an acknowledged one that wrote the same value; where `linear` holds it shows as
 *            extraIncrements.
 *            final-reads-answer: every session the history touched has a final read, and
 *            each final read is ok (finalReadMissing).
 *   durable  acked-adds-present: a final read (of a session that no destroy was attempted on)
 *            contains every key whose add was ok, unless an ok or info del of that key was
 *            invoked after the add was invoked (lost).
 *            acked-deletes-stay-deleted: a final read does not contain a key with an ok del
 *            invoked after its add completed (resurrectedDeletes). An add that ended `info`
 *            may take effect later, so it excuses the key's presence.
 *            destroyed-stays-destroyed: after an ok destroy, final reads see no session
 *            (resurrectedSessions).
 *            no-404-for-existing: no op on a session that exists answers 404 (a read that saw
 *            null or any op that failed with ERR_NOT_FOUND) (notFoundForExisting). "I cannot
 *            know" must be ERR_UNAVAILABLE.
 *   linear   unique-versions: no two different ok writes of a session carry the same version
 *            (duplicateVersions). Writes are create, add, del, incr; each one the workload
 *            makes changes the session, so each bumps the version.
 *            versions-follow-real-time: if ok write A completed before ok write B was invoked,
 *            version(A) < version(B); an ok incr's version is above its ifVersion (versionOrder).
 *            unique-counter-values: no two ok incrs of a session wrote the same counter value
 *            (duplicateCounterValues).
 *            counter-equals-acked-increments: a final read's counter n satisfies
 *            okIncr ≤ n ≤ okIncr + infoIncr. n < okIncr: acknowledged increments were lost
 *            (lost += okIncr − n); n > okIncr + infoIncr: an increment was applied twice or a
 *            refused one applied (extraIncrements). Only for sessions no destroy was attempted on.
 *   fresh    no-stale-reads: an ok read invoked after an ok write completed sees a version at
 *            least that write's and a counter at least every value an ok incr wrote before it
 *            (staleReads).
 *
 * `counts` are observations: every kind is counted whether or not the mode promises it (so a
 * chaos run in AP mode still shows how many duplicate versions a split produced); `anomalies`
 * and `valid` cover only the guarantees in `checked`. `lost` counts writes (lost adds plus lost
 * increments), the other anomaly counts count anomalies.
 */
import type { HistoryOp, RunFaults, RunMode } from './history.js';

export interface CheckResult {
  valid: boolean;
  counts: Record<string, number>;
  anomalies: { kind: string; session: string; detail: string; ops: number[] }[];
  checked: string[];
}

type Anomaly = CheckResult['anomalies'][number];

/** Anomaly kind → the guarantee it violates and the count it adds to. */
const KINDS = {
  'refused-but-applied': { guarantee: 'refused-never-applied', count: 'refusedButApplied' },
  'final-read-missing': { guarantee: 'final-reads-answer', count: 'finalReadMissing' },
  lost: { guarantee: 'acked-adds-present', count: 'lost' },
  'resurrected-delete': { guarantee: 'acked-deletes-stay-deleted', count: 'resurrectedDeletes' },
  'resurrected-session': { guarantee: 'destroyed-stays-destroyed', count: 'resurrectedSessions' },
  'not-found-for-existing': { guarantee: 'no-404-for-existing', count: 'notFoundForExisting' },
  'duplicate-version': { guarantee: 'unique-versions', count: 'duplicateVersions' },
  'version-order': { guarantee: 'versions-follow-real-time', count: 'versionOrder' },
  'duplicate-counter-value': { guarantee: 'unique-counter-values', count: 'duplicateCounterValues' },
  'lost-increments': { guarantee: 'counter-equals-acked-increments', count: 'lost' },
  'extra-increments': { guarantee: 'counter-equals-acked-increments', count: 'extraIncrements' },
  'stale-read': { guarantee: 'no-stale-reads', count: 'staleReads' },
} as const;
type Kind = keyof typeof KINDS;

const ALWAYS = ['refused-never-applied', 'final-reads-answer'];
const DURABLE = ['acked-adds-present', 'acked-deletes-stay-deleted', 'destroyed-stays-destroyed', 'no-404-for-existing'];
const LINEAR = ['unique-versions', 'versions-follow-real-time', 'unique-counter-values', 'counter-equals-acked-increments'];
const FRESH = ['no-stale-reads'];

/** The guarantees that apply to a run (see the header). */
export function guaranteesFor(mode: RunMode, faults: RunFaults): string[] {
  const durable = mode.ack === 'all' ? faults.beyondReplicas !== true : !(faults.crash || faults.pause || faults.partition);
  const linear = durable && (mode.quorum === 'majority' || !(faults.partition || faults.pause));
  const fresh = linear && !faults.partition && !faults.pause;
  return [...ALWAYS, ...(durable ? DURABLE : []), ...(linear ? LINEAR : []), ...(fresh ? FRESH : [])];
}

const WRITES = new Set<HistoryOp['kind']>(['create', 'add', 'del', 'incr']);

function before(a: HistoryOp, b: HistoryOp): boolean {
  return a.completeMs < b.invokeMs;
}

function isNotFound(op: HistoryOp): boolean {
  return (op.outcome === 'ok' && op.kind === 'read' && op.read === null) || (op.outcome === 'fail' && op.error === 'ERR_NOT_FOUND');
}

export function checkHistory(history: readonly HistoryOp[], context: { mode: RunMode; faults: RunFaults }): CheckResult {
  const checked = guaranteesFor(context.mode, context.faults);
  const applies = new Set(checked);
  const counts: Record<string, number> = { attempted: 0, ok: 0, fail: 0, info: 0, finalReads: 0 };
  for (const k of Object.values(KINDS)) counts[k.count] = 0;
  const anomalies: Anomaly[] = [];
  const report = (kind: Kind, session: string, detail: string, ops: HistoryOp[], amount = 1): void => {
    const { guarantee, count } = KINDS[kind];
    counts[count] = counts[count]! + amount;
    if (applies.has(guarantee)) anomalies.push({ kind, session, detail, ops: ops.map((o) => o.index) });
  };

  const bySession = new Map<string, HistoryOp[]>();
  for (const op of history) {
    if (op.final) counts.finalReads!++;
    else {
      counts.attempted!++;
      counts[op.outcome] = counts[op.outcome]! + 1;
    }
    let ops = bySession.get(op.session);
    if (ops === undefined) bySession.set(op.session, (ops = []));
    ops.push(op);
  }
  // Without durability a session or key may be gone because it was lost: a refused destroy or
  // del cannot be blamed for its absence then.
  const durable = applies.has('acked-adds-present');
  for (const [session, ops] of bySession) checkSession(session, ops, durable, report);
  return { valid: anomalies.length === 0, counts, anomalies, checked };
}

type Report = (kind: Kind, session: string, detail: string, ops: HistoryOp[], amount?: number) => void;

function checkSession(session: string, ops: HistoryOp[], durable: boolean, report: Report): void {
  const finals = ops.filter((o) => o.final);
  const work = ops.filter((o) => !o.final);
  const finalOk = finals.filter((o) => o.outcome === 'ok' && o.kind === 'read');
  const creates = work.filter((o) => o.kind === 'create');
  const destroys = work.filter((o) => o.kind === 'destroy');
  const okCreates = creates.filter((o) => o.outcome === 'ok');
  const reads = ops.filter((o) => o.kind === 'read' && o.outcome === 'ok');

  if (finalOk.length === 0) report('final-read-missing', session, finals.length === 0 ? 'no final read' : `final read ${finals.map((f) => `${f.outcome} ${f.error ?? ''}`).join(', ')}`, finals);
  for (const f of finals) if (f.outcome !== 'ok' && finalOk.length > 0) report('final-read-missing', session, `a final read ended ${f.outcome} ${f.error ?? ''}`, [f]);

  // ---- refused-never-applied
  for (const c of creates) {
    if (c.outcome !== 'fail' || okCreates.length > 0 || creates.some((o) => o.outcome === 'info')) continue;
    const seen = reads.find((r) => r.read !== null && r.read !== undefined);
    if (seen) report('refused-but-applied', session, `create refused (${c.error}) but a read saw the session`, [c, seen]);
  }
  const okDestroys = destroys.filter((o) => o.outcome === 'ok');
  if (durable && destroys.length > 0 && destroys.every((d) => d.outcome === 'fail') && okCreates.length > 0) {
    for (const f of finalOk) if (f.read === null) report('refused-but-applied', session, `every destroy was refused (${destroys.map((d) => d.error).join(',')}) but the final read found no session`, [...destroys, f]);
  }

  // ---- destroyed-stays-destroyed
  for (const f of finalOk) {
    const d = okDestroys[0];
    if (d !== undefined && f.read !== null) report('resurrected-session', session, `destroy acknowledged at ${d.completeMs} ms, final read found the session (version ${f.version})`, [d, f]);
  }

  // ---- no-404-for-existing
  for (const op of work) {
    if (!isNotFound(op)) continue;
    const created = okCreates.find((c) => before(c, op));
    if (created === undefined) continue;
    // A destroy invoked before the op completed (ties included: concurrent) may explain the 404.
    if (destroys.some((d) => d.invokeMs <= op.completeMs)) continue;
    report('not-found-for-existing', session, `${op.kind} answered 404 (${op.error ?? 'null read'}) at ${op.completeMs} ms; create acknowledged at ${created.completeMs} ms, no destroy attempted`, [created, op]);
  }
  for (const f of finalOk) {
    if (f.read !== null || destroys.length > 0) continue;
    const created = okCreates.find((c) => before(c, f));
    if (created) report('not-found-for-existing', session, `final read found no session; create acknowledged at ${created.completeMs} ms, no destroy attempted`, [created, f]);
  }

  checkKeys(session, work, reads, finalOk, destroys, durable, report);
  checkVersions(session, work, report);
  checkCounter(session, work, reads, finalOk, destroys, report);
}

/** add / del of unique keys: lost, resurrected and refused writes. */
function checkKeys(session: string, work: HistoryOp[], reads: HistoryOp[], finalOk: HistoryOp[], destroys: HistoryOp[], durable: boolean, report: Report): void {
  const byKey = new Map<string, { adds: HistoryOp[]; dels: HistoryOp[] }>();
  for (const op of work) {
    if ((op.kind !== 'add' && op.kind !== 'del') || op.key === undefined) continue;
    let e = byKey.get(op.key);
    if (e === undefined) byKey.set(op.key, (e = { adds: [], dels: [] }));
    (op.kind === 'add' ? e.adds : e.dels).push(op);
  }
  const present = (r: HistoryOp, key: string) => r.read !== null && r.read !== undefined && r.read.keys.includes(key);
  for (const [key, { adds, dels }] of byKey) {
    // A refused add is never seen (unless another add of the same key could have set it).
    for (const a of adds) {
      if (a.outcome !== 'fail' || adds.some((o) => o !== a && o.outcome !== 'fail')) continue;
      const seen = reads.find((r) => present(r, key));
      if (seen) report('refused-but-applied', session, `add ${key} refused (${a.error}) but read #${seen.index} saw it`, [a, seen]);
    }
    for (const f of finalOk) {
      if (f.read === null || f.read === undefined || destroys.length > 0) continue;
      const has = f.read.keys.includes(key);
      for (const a of adds.filter((o) => o.outcome === 'ok')) {
        if (has) continue;
        const excusing = dels.filter((d) => d.outcome !== 'fail' && d.invokeMs > a.invokeMs);
        if (excusing.length > 0) continue;
        const refused = dels.filter((d) => d.outcome === 'fail' && d.invokeMs > a.invokeMs);
        if (refused.length > 0) {
          if (durable) report('refused-but-applied', session, `key ${key}: add acknowledged, every later del refused (${refused.map((d) => d.error).join(',')}), final read lacks it`, [a, ...refused, f]);
        } else report('lost', session, `key ${key}: add acknowledged at ${a.completeMs} ms (version ${a.version}), missing from the final read (version ${f.version})`, [a, f]);
      }
      if (!has) continue;
      for (const d of dels.filter((o) => o.outcome === 'ok')) {
        const addsBefore = adds.filter((a) => before(a, d));
        // An add not known to have completed before the del (info, or concurrent) may land after it.
        if (addsBefore.length === 0 || adds.some((a) => !before(a, d) && a.outcome !== 'fail') || adds.some((a) => a.outcome === 'info')) continue;
        report('resurrected-delete', session, `key ${key}: del acknowledged at ${d.completeMs} ms (version ${d.version}), present in the final read (version ${f.version})`, [...addsBefore, d, f]);
      }
    }
  }
}

/** Versions of acknowledged writes: unique, and increasing in real-time order. */
function checkVersions(session: string, work: HistoryOp[], report: Report): void {
  const okWrites = work.filter((o) => WRITES.has(o.kind) && o.outcome === 'ok' && o.version !== undefined);
  const byVersion = new Map<number, HistoryOp[]>();
  for (const w of okWrites) {
    const same = byVersion.get(w.version!);
    if (same === undefined) byVersion.set(w.version!, [w]);
    else same.push(w);
  }
  for (const [version, ws] of byVersion) {
    if (ws.length > 1) report('duplicate-version', session, `${ws.length} acknowledged writes got version ${version}: ${ws.map(describe).join('; ')}`, ws, ws.length - 1);
  }
  // Real-time order: compare each write with the highest version acknowledged before it began.
  const byComplete = [...okWrites].sort((a, b) => a.completeMs - b.completeMs);
  for (const b of okWrites) {
    let top: HistoryOp | undefined;
    for (const a of byComplete) {
      if (!before(a, b)) break;
      if (top === undefined || a.version! > top.version!) top = a;
    }
    if (top !== undefined && top.version! >= b.version!) report('version-order', session, `${describe(b)} after ${describe(top)} completed`, [top, b]);
    if (b.kind === 'incr' && b.ifVersion !== undefined && b.version! <= b.ifVersion) report('version-order', session, `${describe(b)} is not above its ifVersion ${b.ifVersion}`, [b]);
  }
}

/** The read-modify-write counter: unique values, final value bounded by the increments, fresh reads. */
function checkCounter(session: string, work: HistoryOp[], reads: HistoryOp[], finalOk: HistoryOp[], destroys: HistoryOp[], report: Report): void {
  const incrs = work.filter((o) => o.kind === 'incr');
  const okIncrs = incrs.filter((o) => o.outcome === 'ok');
  const infoIncrs = incrs.filter((o) => o.outcome === 'info');
  const byValue = new Map<number, HistoryOp[]>();
  for (const w of okIncrs) {
    if (w.value === undefined) continue;
    const same = byValue.get(w.value);
    if (same === undefined) byValue.set(w.value, [w]);
    else same.push(w);
  }
  for (const [value, ws] of byValue) {
    if (ws.length > 1) report('duplicate-counter-value', session, `${ws.length} acknowledged increments wrote n = ${value}: ${ws.map(describe).join('; ')}`, ws, ws.length - 1);
  }
  if (incrs.length > 0 && destroys.length === 0) {
    for (const f of finalOk) {
      if (f.read === null || f.read === undefined) continue;
      const n = f.read.n;
      if (n < okIncrs.length) report('lost-increments', session, `final counter ${n} < ${okIncrs.length} acknowledged increments (${infoIncrs.length} indeterminate)`, [f], okIncrs.length - n);
      else if (n > okIncrs.length + infoIncrs.length) report('extra-increments', session, `final counter ${n} > ${okIncrs.length} acknowledged + ${infoIncrs.length} indeterminate increments`, [f]);
    }
  }
  // Stale reads: older than a write acknowledged before the read began.
  const okWrites = work.filter((o) => WRITES.has(o.kind) && o.outcome === 'ok');
  for (const r of reads) {
    if (r.read === null || r.read === undefined) continue;
    let newest: HistoryOp | undefined;
    let highest: HistoryOp | undefined;
    for (const w of okWrites) {
      if (!before(w, r)) continue;
      if (w.version !== undefined && (newest === undefined || w.version > newest.version!)) newest = w;
      if (w.kind === 'incr' && w.value !== undefined && (highest === undefined || w.value > highest.value!)) highest = w;
    }
    if (newest !== undefined && r.version !== undefined && r.version < newest.version!) report('stale-read', session, `read #${r.index} saw version ${r.version} after ${describe(newest)} completed`, [newest, r]);
    else if (highest !== undefined && r.read.n < highest.value!) report('stale-read', session, `read #${r.index} saw n = ${r.read.n} after ${describe(highest)} completed`, [highest, r]);
  }
}

function describe(op: HistoryOp): string {
  const what = op.kind === 'incr' ? `incr n=${op.value} ifVersion ${op.ifVersion}` : op.key !== undefined ? `${op.kind} ${op.key}` : op.kind;
  return `#${op.index} ${what} by ${op.client} [${op.invokeMs}..${op.completeMs}] v${op.version ?? '?'}`;
}
