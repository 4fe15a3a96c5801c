/** `sessionmesh/express`: the express-session store and the route hint middleware. */
export { SessionMeshStore, type SessionMeshStoreOptions } from './store.js';
export type { StoreStats } from '../common/store-core.js';
export { routeHint, DEFAULT_ROUTE_COOKIE, type RouteHintOptions } from './route-hint.js';
