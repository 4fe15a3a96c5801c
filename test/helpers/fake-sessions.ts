/**
 * An in-memory NodeSessionsApi and a node around it, for unit tests of the framework stores.
 * Records every call, so a test can assert what a save sent.
 */
import { EventEmitter } from 'node:events';
import { SessionMeshError } from '../../src/errors.js';
import type { NodeSessionsApi, SessionChange, SessionView } from '../../src/node/sessions-api.js';

export class FakeSessions implements NodeSessionsApi {
  readonly map = new Map<string, SessionView & { maxIdleMs?: number }>();
  readonly calls: string[] = [];
  readonly updates: SessionChange[] = [];
  private n = 0;
  /** Sessions the fake answers synchronously through getLocal (as a primary would); others: undefined. */
  readonly primaryOf = new Set<string>();
  getLocal(id: string) {
    if (!this.primaryOf.has(id)) return undefined;
    this.calls.push('getLocal');
    const s = this.map.get(id);
    return s ? { id, data: structuredClone(s.data), version: s.version } : null;
  }
  newLocalId() {
    return `local${String(++this.n).padStart(17, '0')}`;
  }
  async create(input: { id?: string; data?: Record<string, unknown>; maxIdleMs?: number }) {
    this.calls.push('create');
    const id = input.id ?? this.newLocalId();
    this.map.set(id, { id, data: structuredClone(input.data ?? {}), version: 1, ...(input.maxIdleMs === undefined ? {} : { maxIdleMs: input.maxIdleMs }) });
    return { id, version: 1 };
  }
  async get(id: string) {
    this.calls.push('get');
    const s = this.map.get(id);
    return s ? { id, data: structuredClone(s.data), version: s.version } : null;
  }
  async update(id: string, change: SessionChange) {
    this.calls.push('update');
    this.updates.push(change);
    const s = this.map.get(id);
    if (!s) throw new SessionMeshError('ERR_NOT_FOUND', 'no such session');
    Object.assign(s.data, structuredClone(change.set ?? {}));
    for (const k of change.delete ?? []) delete s.data[k];
    if (change.maxIdleMs !== undefined) s.maxIdleMs = change.maxIdleMs;
    s.version++;
    return { version: s.version };
  }
  async touch(id: string) {
    this.calls.push('touch');
    return this.map.has(id);
  }
  async destroy(id: string) {
    this.calls.push('destroy');
    this.map.delete(id);
  }
  async listIds() {
    this.calls.push('list');
    return [...this.map.keys()];
  }
}

export function fakeNode(sessions = new FakeSessions(), maxSessionBytes = 1024) {
  const ee = new EventEmitter();
  const node = Object.assign(ee, { sessions, options: { opTimeoutMs: 1000, maxSessionBytes }, isJoined: () => true });
  return { node, sessions };
}

