/** `sessionmesh/koa`: the koa-session external store. */
export { SessionMeshStore, type SessionMeshStoreOptions } from './store.js';
export type { StoreStats } from '../common/store-core.js';
