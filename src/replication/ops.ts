/**
 * Session operations as the local API submits them and as they travel to a primary, and their
 * results. opFromWire validates an untrusted body; attribute values themselves are checked (and
 * copied) by createRecord/applyUpdate on the primary, like local ones. An op that a member
 * routes to a remote primary is checked where it enters, with the same rules (checkOp).
 */
import { SessionMeshError } from '../errors.js';
import { TOMBSTONE } from '../session/attrs.js';
import { isValidSessionId } from '../session/id.js';
import { type SessionLimits, isValidMaxIdleMs } from '../session/limits.js';
import type { SessionUpdate } from '../session/update.js';
import { ValueCloner, checkChange } from '../session/values.js';

export type SessionOp =
  /** `id` is drawn by the machine (locality) when absent. */
  | { kind: 'create'; id?: string; data: Record<string, unknown>; maxIdleMs?: number }
  | { kind: 'get'; id: string }
  | { kind: 'update'; id: string; update: SessionUpdate; ifVersion?: number }
  | { kind: 'touch'; id: string }
  | { kind: 'destroy'; id: string };

export interface SessionView {
  id: string;
  version: number;
  data: Record<string, unknown>;
}

export type OpResult =
  | { kind: 'create'; id: string; version: number }
  | { kind: 'get'; session: SessionView | null }
  | { kind: 'update'; version: number; changed: boolean }
  | { kind: 'touch'; found: boolean }
  | { kind: 'destroy'; destroyed: boolean };

/** Routed ops always carry the session id (create draws it before routing). */
export type RoutedOp = SessionOp & { id: string };

export function isWriteOp(op: SessionOp): boolean {
  return op.kind === 'create' || op.kind === 'update' || op.kind === 'destroy';
}

/** Names one update may delete (bounds an untrusted op; far beyond 2 × maxAttributes). */
export const MAX_DELETE_NAMES = 10_000;

/** The cloner of checkOp, restarted per op (see ValueCloner.begin). */
const entryCloner = new ValueCloner({ maxValueDepth: 1, budgetBytes: 0 });

/**
 * The check of an op where it enters a member (Replicator.submit), the same on every member.
 * An update's ifVersion must be a version number (as opFromWire requires). Unless
 * `executedHere` (this member is the primary and executes the op in the same step, where the
 * write checks the values itself: the primary must not pay twice), a create's data or an
 * update's change is checked with the primary's own rules (values.ts checkChange, as the write
 * runs them). Throws ERR_INVALID_VALUE / ERR_SESSION_TOO_LARGE as the primary would. Returns the
 * op to route: for an op bound for a remote primary, built from the checked copies, so that it
 * always encodes, a later change to the app's objects does not change what a retry sends, and
 * `set: {a: undefined}` travels as a delete of `a` (the message codec drops undefined
 * properties). Other ops are returned as they are.
 */
export function checkOp(op: SessionOp, limits: SessionLimits, executedHere: boolean): SessionOp {
  if (op.kind === 'update' && op.ifVersion !== undefined && !(Number.isSafeInteger(op.ifVersion) && op.ifVersion >= 0)) {
    throw new SessionMeshError('ERR_INVALID_VALUE', `ifVersion must be a version number (an integer >= 0), got ${String(op.ifVersion)}`);
  }
  if (executedHere || (op.kind !== 'create' && op.kind !== 'update')) return op;
  const cloner = entryCloner.begin({ maxValueDepth: limits.maxValueDepth, budgetBytes: limits.maxSessionBytes });
  if (op.kind === 'create') {
    const wanted = checkChange(op.maxIdleMs === undefined ? { set: op.data } : { set: op.data, maxIdleMs: op.maxIdleMs }, cloner);
    const data: Record<string, unknown> = {};
    for (const [name, copy] of wanted) if (copy !== TOMBSTONE) data[name] = copy;
    const checked: SessionOp = { kind: 'create', data };
    if (op.id !== undefined) checked.id = op.id;
    if (op.maxIdleMs !== undefined) checked.maxIdleMs = op.maxIdleMs;
    return checked;
  }
  const wanted = checkChange(op.update, cloner);
  const update: SessionUpdate = {};
  let set: Record<string, unknown> | undefined;
  let del: string[] | undefined;
  for (const [name, copy] of wanted) {
    if (copy === TOMBSTONE) (del ??= []).push(name);
    else (set ??= {})[name] = copy;
  }
  if (del !== undefined && del.length > MAX_DELETE_NAMES) {
    throw new SessionMeshError('ERR_SESSION_TOO_LARGE', `session ${op.id}: an update may delete at most ${MAX_DELETE_NAMES} attributes`, { id: op.id, delete: del.length });
  }
  if (set !== undefined) update.set = set;
  if (del !== undefined) update.delete = del;
  if (op.update.maxIdleMs !== undefined) update.maxIdleMs = op.update.maxIdleMs;
  return op.ifVersion === undefined ? { kind: 'update', id: op.id, update } : { kind: 'update', id: op.id, update, ifVersion: op.ifVersion };
}

function plain(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

export function opFromWire(x: unknown): RoutedOp {
  const bad = (why: string) => new SessionMeshError('ERR_BAD_FRAME', `invalid session op: ${why}`);
  if (!plain(x)) throw bad('not an object');
  const { kind, id } = x;
  if (!isValidSessionId(id)) throw bad('id');
  switch (kind) {
    case 'get':
    case 'touch':
    case 'destroy':
      return { kind, id };
    case 'create': {
      if (!plain(x.data)) throw bad('data');
      if (x.maxIdleMs !== undefined && !isValidMaxIdleMs(x.maxIdleMs)) throw bad('maxIdleMs');
      return x.maxIdleMs === undefined ? { kind, id, data: x.data } : { kind, id, data: x.data, maxIdleMs: x.maxIdleMs as number };
    }
    case 'update': {
      if (!plain(x.update)) throw bad('update');
      const u = x.update;
      const update: SessionUpdate = {};
      if (u.set !== undefined) {
        if (!plain(u.set)) throw bad('update.set');
        update.set = u.set;
      }
      if (u.delete !== undefined) {
        if (!Array.isArray(u.delete) || u.delete.length > MAX_DELETE_NAMES || !u.delete.every((n) => typeof n === 'string')) throw bad('update.delete');
        update.delete = u.delete as string[];
      }
      if (u.maxIdleMs !== undefined) {
        if (!isValidMaxIdleMs(u.maxIdleMs)) throw bad('update.maxIdleMs');
        update.maxIdleMs = u.maxIdleMs;
      }
      if (x.ifVersion !== undefined && !(Number.isSafeInteger(x.ifVersion) && (x.ifVersion as number) >= 0)) throw bad('ifVersion');
      return x.ifVersion === undefined ? { kind, id, update } : { kind, id, update, ifVersion: x.ifVersion as number };
    }
    default:
      throw bad('kind');
  }
}

/** Results cross the wire as plain data; the requester checks the shape it expects. */
export function resultFromWire(kind: SessionOp['kind'], x: unknown): OpResult {
  const bad = () => new SessionMeshError('ERR_BAD_FRAME', `invalid ${kind} result`);
  if (!plain(x) || x.kind !== kind) throw bad();
  const int = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  switch (kind) {
    case 'create':
      if (!isValidSessionId(x.id) || !int(x.version)) throw bad();
      return { kind, id: x.id, version: x.version as number };
    case 'get': {
      if (x.session === null) return { kind, session: null };
      const s = x.session;
      if (!plain(s) || !isValidSessionId(s.id) || !int(s.version) || !plain(s.data)) throw bad();
      return { kind, session: { id: s.id, version: s.version as number, data: s.data } };
    }
    case 'update':
      if (!int(x.version) || typeof x.changed !== 'boolean') throw bad();
      return { kind, version: x.version as number, changed: x.changed };
    case 'touch':
      if (typeof x.found !== 'boolean') throw bad();
      return { kind, found: x.found };
    case 'destroy':
      if (typeof x.destroyed !== 'boolean') throw bad();
      return { kind, destroyed: x.destroyed };
  }
}
