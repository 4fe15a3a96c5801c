/** `sessionmesh/fastify`: the @fastify/session store. */
export { SessionMeshStore, type SessionMeshStoreOptions } from './store.js';
