/** Public API of sessionmesh. Everything not exported here is internal. */
export { createNode, SessionMeshNode } from './node/node.js';
export type { MemberChangeEvent, SessionMeshNodeEvents, SessionLocation } from './node/node.js';
export type { NodeOptions } from './node/options.js';
export type { NodeSessionsApi, SessionsApi, SessionView, SessionChange } from './node/sessions-api.js';
export type { NodeStatus, MemberStatus } from './node/status.js';
export type { MemberState, MemberRole } from './membership/member.js';
export type { Logger } from './log.js';
export { SessionMeshError, ErrorCodes, isSessionMeshError } from './errors.js';
export type { ErrorCode } from './errors.js';
