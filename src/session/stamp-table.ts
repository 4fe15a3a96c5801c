/**
 * The stamp and node-id numbering shared by the packed body (packed.ts) and the wire form
 * (codec.ts): stamps numbered in order of first use and deduplicated by value, node ids likewise.
 * Equal contents then get equal tables, which is what makes both forms canonical.
 */
import type { Hlc } from '../clock/hlc.js';

/** Node indices are 2 bytes in a body: at most this many distinct node ids. */
export const MAX_STAMP_NODES = 0x10000;

/** What a released slot holds (not undefined: the array stays one elements kind). */
const NO_STAMP: Hlc = Object.freeze({ epoch: 0, wallMs: 0, logical: 0, nodeId: '' });

/**
 * Numbers stamps and node ids by first use, deduplicated by value. A body usually has a handful
 * of stamps: a linear scan (identity first) beats hashing; past 16 stamps it switches to Maps
 * (a session with one stamp per attribute can have up to 2 × maxAttributes).
 */
export class StampTable {
  /** stamps[0 .. size) are the distinct stamps, nodeOf[k] the index of stamps[k]'s node id. */
  readonly stamps: Hlc[] = [];
  readonly nodeOf: number[] = [];
  /** nodes[0 .. nodeCount) are the distinct node ids. */
  readonly nodes: string[] = [];
  size = 0;
  nodeCount = 0;
  private byObject: Map<Hlc, number> | null = null;
  /** wallMs → logical → indices of the stamps with those (numeric keys: no key strings); epochs and node ids compared after. */
  private byWall: Map<number, Map<number, number[]>> | null = null;
  private nodeIndex: Map<string, number> | null = null;

  /**
   * Empties the table for the next body. The arrays keep their backing stores (`length = 0`
   * would free them, and every body would allocate three new ones); the stamps are let go.
   */
  reset(): void {
    for (let k = 0; k < this.size; k++) this.stamps[k] = NO_STAMP;
    this.size = 0;
    this.nodeCount = 0;
    this.byObject = null;
    this.byWall = null;
    this.nodeIndex = null;
  }

  indexOf(h: Hlc): number {
    const stamps = this.stamps;
    if (this.byObject === null) {
      for (let i = 0; i < this.size; i++) if (stamps[i] === h) return i;
      for (let i = 0; i < this.size; i++) if (sameStamp(stamps[i]!, h)) return i;
      return this.add(h);
    }
    let i = this.byObject.get(h);
    if (i !== undefined) return i;
    const same = this.byWall!.get(h.wallMs)?.get(h.logical);
    if (same !== undefined) {
      for (const k of same) {
        if (sameStamp(stamps[k]!, h)) {
          this.byObject.set(h, k);
          return k;
        }
      }
    }
    i = this.add(h);
    this.byObject.set(h, i);
    return i;
  }

  private add(h: Hlc): number {
    let n = this.nodeIndex !== null ? (this.nodeIndex.get(h.nodeId) ?? -1) : this.nodeIndexScan(h.nodeId);
    if (n < 0) {
      n = this.nodeCount++;
      if (n >= MAX_STAMP_NODES) throw new Error('session: too many distinct stamp nodes');
      this.nodes[n] = h.nodeId;
      this.nodeIndex?.set(h.nodeId, n);
    }
    const i = this.size++;
    this.stamps[i] = h;
    this.nodeOf[i] = n;
    if (this.byWall !== null) {
      this.indexWall(h, i);
    } else if (this.size > 16) {
      this.byObject = new Map();
      this.byWall = new Map();
      this.nodeIndex = new Map();
      for (let k = 0; k < this.nodeCount; k++) this.nodeIndex.set(this.nodes[k]!, k);
      for (let k = 0; k < this.size; k++) {
        this.byObject.set(this.stamps[k]!, k);
        this.indexWall(this.stamps[k]!, k);
      }
    }
    return i;
  }

  private nodeIndexScan(nodeId: string): number {
    for (let k = 0; k < this.nodeCount; k++) if (this.nodes[k] === nodeId) return k;
    return -1;
  }

  private indexWall(h: Hlc, i: number): void {
    let byLogical = this.byWall!.get(h.wallMs);
    if (byLogical === undefined) this.byWall!.set(h.wallMs, (byLogical = new Map()));
    const list = byLogical.get(h.logical);
    if (list === undefined) byLogical.set(h.logical, [i]);
    else list.push(i);
  }
}

function sameStamp(a: Hlc, b: Hlc): boolean {
  return a.wallMs === b.wallMs && a.logical === b.logical && a.epoch === b.epoch && a.nodeId === b.nodeId;
}
