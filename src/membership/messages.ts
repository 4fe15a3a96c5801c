/**
 * Bodies of the membership messages (type ids 10..18 in src/wire/message-types.ts) and their
 * validators. A body arrives as untrusted decoded msgpack: every field is checked for type and
 * range, lists and strings are bounded, unknown extra fields are ignored, and the validated value
 * is a fresh object (nothing from the input object — prototype, extra keys — leaks through).
 *
 *   Ping      10  { seq, target: memberId, updates }
 *   Ack       11  { seq, updates }                        seq of the Ping (or of the PingReq, relayed)
 *   PingReq   12  { seq, target: { id, address }, timeoutMs, updates }
 *   Nack      13  { seq, updates }                        seq of the PingReq: "I got no Ack in time"
 *   Join      14  { member: WireMember }                  the joiner's own record
 *   JoinReply 15  { members: WireMember[] }               the full list (all states)
 *   Sync      16  { members: WireMember[] }               push-pull, full list
 *   SyncReply 17  { members: WireMember[] }
 *   Gossip    18  { updates }                             dissemination only, no reply
 *
 * WireMember = { id, name, address: {host, port}, httpAddress: {host, port} | null,
 *   role: 'member' | 'client', zone: string | null, startedAtMs, state, incarnation,
 *   by?: memberId (who declared suspect/dead/left), ageMs?: ms since it became dead/left }
 */
import type { MemberRecord, MemberRole, MemberState } from './member.js';
import type { PeerAddress } from '../transport/address.js';

export interface WireMember extends MemberRecord {
  /** Who made the claim (suspect/dead: the accuser; left: the member itself). */
  by?: string;
  /** For dead/left: how long ago the sender recorded that state, so tombstones expire together. */
  ageMs?: number;
}

export interface PingBody {
  seq: number;
  target: string;
  updates: WireMember[];
}
export interface AckBody {
  seq: number;
  updates: WireMember[];
}
export interface PingReqBody {
  seq: number;
  target: { id: string; address: PeerAddress };
  timeoutMs: number;
  updates: WireMember[];
}
export interface JoinBody {
  member: WireMember;
}
export interface MemberListBody {
  members: WireMember[];
}
export interface GossipBody {
  updates: WireMember[];
}

export type Validated<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ListLimits {
  /** Longest `updates` list accepted. */
  maxUpdates: number;
  /** Longest `members` list accepted. */
  maxMembers: number;
}

const MAX_ID_CHARS = 128;
const MAX_NAME_CHARS = 256;
const MAX_HOST_CHARS = 255;
const MAX_ZONE_CHARS = 128;
/** Longest a helper waits for an indirect probe on someone's behalf. */
const MAX_INDIRECT_TIMEOUT_MS = 60_000;

const STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];
const ROLES: readonly MemberRole[] = ['member', 'client'];

class Invalid extends Error {}

function fail(path: string, expected: string): never {
  throw new Invalid(`${path}: expected ${expected}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function object(v: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(v)) fail(path, 'an object');
  return v;
}

/** Own properties only: a missing field never falls back to something inherited. */
function field(o: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function str(v: unknown, path: string, maxChars: number): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > maxChars) fail(path, `a string of 1..${maxChars} characters`);
  return v;
}

function uint(v: unknown, path: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) fail(path, `an integer in 0..${max}`);
  return v;
}

function address(v: unknown, path: string): PeerAddress {
  const o = object(v, path);
  const host = str(field(o, 'host'), `${path}.host`, MAX_HOST_CHARS);
  const port = uint(field(o, 'port'), `${path}.port`, 65535);
  if (port === 0) fail(`${path}.port`, 'a port in 1..65535');
  return { host, port };
}

function oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(path, allowed.join(' | '));
  return v as T;
}

function list<T>(v: unknown, path: string, max: number, item: (x: unknown, p: string) => T): T[] {
  if (!Array.isArray(v)) fail(path, 'an array');
  if (v.length > max) fail(path, `at most ${max} entries (got ${v.length})`);
  return v.map((x, i) => item(x, `${path}[${i}]`));
}

function wireMember(v: unknown, path: string): WireMember {
  const o = object(v, path);
  const httpRaw = field(o, 'httpAddress');
  const zoneRaw = field(o, 'zone');
  const m: WireMember = {
    id: str(field(o, 'id'), `${path}.id`, MAX_ID_CHARS),
    name: str(field(o, 'name'), `${path}.name`, MAX_NAME_CHARS),
    address: address(field(o, 'address'), `${path}.address`),
    httpAddress: httpRaw === null ? null : address(httpRaw, `${path}.httpAddress`),
    role: oneOf(field(o, 'role'), `${path}.role`, ROLES),
    zone: zoneRaw === null ? null : str(zoneRaw, `${path}.zone`, MAX_ZONE_CHARS),
    startedAtMs: uint(field(o, 'startedAtMs'), `${path}.startedAtMs`),
    state: oneOf(field(o, 'state'), `${path}.state`, STATES),
    incarnation: uint(field(o, 'incarnation'), `${path}.incarnation`),
  };
  const by = field(o, 'by');
  if (by !== undefined && by !== null) m.by = str(by, `${path}.by`, MAX_ID_CHARS);
  const ageMs = field(o, 'ageMs');
  if (ageMs !== undefined && ageMs !== null) m.ageMs = uint(ageMs, `${path}.ageMs`);
  // "left" is final, so only the member itself may announce it (memberlist: dead from == node).
  if (m.state === 'left' && m.by !== m.id) fail(`${path}.by`, 'the member\'s own id for state "left"');
  return m;
}

function run<T>(body: unknown, parse: (o: Record<string, unknown>) => T): Validated<T> {
  try {
    return { ok: true, value: parse(object(body, 'body')) };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: err.message };
    throw err;
  }
}

function updates(o: Record<string, unknown>, limits: ListLimits): WireMember[] {
  return list(field(o, 'updates'), 'body.updates', limits.maxUpdates, wireMember);
}

export function validatePing(body: unknown, limits: ListLimits): Validated<PingBody> {
  return run(body, (o) => ({
    seq: uint(field(o, 'seq'), 'body.seq'),
    target: str(field(o, 'target'), 'body.target', MAX_ID_CHARS),
    updates: updates(o, limits),
  }));
}

/** Ack and Nack share a shape. */
export function validateAck(body: unknown, limits: ListLimits): Validated<AckBody> {
  return run(body, (o) => ({ seq: uint(field(o, 'seq'), 'body.seq'), updates: updates(o, limits) }));
}

export function validatePingReq(body: unknown, limits: ListLimits): Validated<PingReqBody> {
  return run(body, (o) => {
    const t = object(field(o, 'target'), 'body.target');
    return {
      seq: uint(field(o, 'seq'), 'body.seq'),
      target: { id: str(field(t, 'id'), 'body.target.id', MAX_ID_CHARS), address: address(field(t, 'address'), 'body.target.address') },
      timeoutMs: uint(field(o, 'timeoutMs'), 'body.timeoutMs', MAX_INDIRECT_TIMEOUT_MS),
      updates: updates(o, limits),
    };
  });
}

export function validateJoin(body: unknown): Validated<JoinBody> {
  return run(body, (o) => {
    const member = wireMember(field(o, 'member'), 'body.member');
    if (member.state !== 'alive') fail('body.member.state', '"alive" in a Join');
    return { member };
  });
}

/** JoinReply, Sync and SyncReply share a shape. */
export function validateMemberList(body: unknown, limits: ListLimits): Validated<MemberListBody> {
  return run(body, (o) => ({ members: list(field(o, 'members'), 'body.members', limits.maxMembers, wireMember) }));
}

export function validateGossip(body: unknown, limits: ListLimits): Validated<GossipBody> {
  return run(body, (o) => ({ updates: updates(o, limits) }));
}

/** Type ids 10..29 belong to membership (src/wire/message-types.ts): route them to `Membership.receive`. */
export function isMembershipMessageType(type: number): boolean {
  return Number.isInteger(type) && type >= 10 && type <= 29;
}
