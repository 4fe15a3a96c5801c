/** `sessionmesh/fastify`: the @fastify/session store. */
export { SessionMeshStore, type SessionMeshStoreOptions } from './store.js';
export type { StoreStats } from '../common/store-core.js';
