/**
 * Per-session limits (DESIGN.md §4.4). Enforced by the primary at write time; what exceeds them
 * is refused with ERR_SESSION_TOO_LARGE / ERR_INVALID_VALUE and changes nothing.
 */
export interface SessionLimits {
  /**
   * Encoded (msgpack) bytes of the live data, counted per attribute as encodedSize(name) +
   * encodedSize(value); the whole map's encoding is this plus a 1–5 byte header.
   */
  readonly maxSessionBytes: number;
  /** Live attributes. Entries including tombstones are capped at 2 × this (see record.ts). */
  readonly maxAttributes: number;
  /** Containers (objects/arrays) nested inside one attribute value. */
  readonly maxValueDepth: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = Object.freeze({
  maxSessionBytes: 1024 * 1024,
  maxAttributes: 1000,
  maxValueDepth: 32,
});

/** Browsers cap cookie lifetimes at 400 days; an idle timeout beyond that is a configuration error. */
export const MAX_IDLE_MS = 400 * 24 * 60 * 60 * 1000;

export function isValidMaxIdleMs(ms: unknown): ms is number {
  return typeof ms === 'number' && Number.isInteger(ms) && ms >= 1 && ms <= MAX_IDLE_MS;
}
