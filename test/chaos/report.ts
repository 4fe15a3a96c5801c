/** Results of a chaos run: per combination, the JSON files, the one-line summaries and the table. */
import type { CheckResult } from '../helpers/consistency/checker.js';
import type { WritableAfterFault } from './writable.js';

export interface ComboResult {
  combo: string;
  nemesis: string;
  workload: string;
  mode: string;
  /** The scenario's seed (derived from the run's seed, the nemesis and the mode). */
  scenarioSeed: number;
  /** How to run exactly this scenario again (timing differs). */
  replay: string;
  /** Guarantees held (checker valid), the run had no problem and the harness did not fail. */
  passed: boolean;
  check: CheckResult | null;
  /** Anomaly kinds of checked guarantees that occurred. */
  violated: string[];
  /** The KNOWN_VIOLATIONS note when every violated kind is known for this combination. */
  known?: string;
  faults: number;
  writable: WritableAfterFault[];
  problems: string[];
  harnessError?: string;
  resultFile: string;
}

function n(r: ComboResult, key: string): string {
  const v = r.check?.counts[key];
  return v === undefined ? '-' : String(v);
}

function ms(v: number | null | undefined): string {
  return v === undefined ? '-' : v === null ? 'never' : `${v}`;
}

function worstOf(r: ComboResult, pick: (w: WritableAfterFault) => number | null): number | null | undefined {
  if (r.writable.length === 0) return undefined;
  const vs = r.writable.map(pick);
  return vs.some((v) => v === null) ? null : Math.max(...(vs as number[]));
}

export function verdict(r: ComboResult): string {
  if (r.harnessError) return 'HARNESS-ERROR';
  if (r.violated.length > 0) return r.known ? 'KNOWN-VIOLATION' : 'VIOLATED';
  if (r.problems.length > 0) return 'PROBLEM';
  return 'ok';
}

export function summaryLine(r: ComboResult): string {
  const parts = [
    `${verdict(r).padEnd(15)} ${r.combo.padEnd(33)}`,
    `attempted=${n(r, 'attempted')} ok=${n(r, 'ok')} fail=${n(r, 'fail')} info=${n(r, 'info')}`,
    `lost=${n(r, 'lost')} dupVersions=${n(r, 'duplicateVersions')} resurrected=${n(r, 'resurrectedDeletes')} 404s=${n(r, 'notFoundForExisting')}`,
    `writableMs(all sessions, worst fault) start+${ms(worstOf(r, (w) => w.allSessionsAfterStartMs))} heal+${ms(worstOf(r, (w) => w.allSessionsAfterEndMs))}`,
    `faults=${r.faults}`,
  ];
  if (r.violated.length > 0) parts.push(`violated=${r.violated.join(',')}`);
  if (r.problems.length > 0) parts.push(`problems=${r.problems.length}`);
  if (r.harnessError) parts.push(`error=${r.harnessError.split('\n')[0]}`);
  return `chaos: ${parts.join(' ')} [${r.replay}]`;
}

export function table(results: readonly ComboResult[]): string {
  const head = ['combination', 'result', 'attempted', 'ok', 'fail', 'info', 'lost', 'dup versions', 'resurrected', '404 existing', 'other anomalies', 'writable ms after start / heal (all sessions, worst fault)', 'faults'];
  const rows = results.map((r) => {
    const other = r.check ? Object.entries(r.check.counts).filter(([k, v]) => v > 0 && !['attempted', 'ok', 'fail', 'info', 'finalReads', 'lost', 'duplicateVersions', 'resurrectedDeletes', 'notFoundForExisting'].includes(k)).map(([k, v]) => `${k}=${v}`).join(' ') : '';
    return [r.combo, verdict(r), n(r, 'attempted'), n(r, 'ok'), n(r, 'fail'), n(r, 'info'), n(r, 'lost'), n(r, 'duplicateVersions'), n(r, 'resurrectedDeletes'), n(r, 'notFoundForExisting'), other || '-', `${ms(worstOf(r, (w) => w.allSessionsAfterStartMs))} / ${ms(worstOf(r, (w) => w.allSessionsAfterEndMs))}`, String(r.faults)];
  });
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
