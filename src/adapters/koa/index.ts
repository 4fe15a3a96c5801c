/** `sessionmesh/koa`: the koa-session external store. */
export { SessionMeshStore, type SessionMeshStoreOptions } from './store.js';
