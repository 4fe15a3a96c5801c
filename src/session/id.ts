/**
 * Session ids: 128 random bits, base64url (22 characters). Placement draws new ones until the
 * local member is the partition's primary (DESIGN.md §8); that loop lives with placement.
 */
import type { Random } from '../clock/clock.js';

export const SESSION_ID_RANDOM_BYTES = 16;
/** 22 = 128 bits in base64url. Longer ids (e.g. express-session's 32-character ones) are accepted. */
export const MIN_SESSION_ID_LENGTH = 22;
export const MAX_SESSION_ID_LENGTH = 128;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function newSessionId(random: Random): string {
  return Buffer.from(random.bytes(SESSION_ID_RANDOM_BYTES)).toString('base64url');
}

/** For untrusted ids (cookies, HTTP paths, frames): bounded length, base64url characters only. */
export function isValidSessionId(text: unknown): text is string {
  return (
    typeof text === 'string' &&
    text.length >= MIN_SESSION_ID_LENGTH &&
    text.length <= MAX_SESSION_ID_LENGTH &&
    BASE64URL.test(text)
  );
}
