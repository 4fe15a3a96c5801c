/**
 * Time and randomness are injected everywhere outside this folder (DESIGN.md §4.2), so that the
 * pure state machines can be driven by the seeded simulator and replayed exactly.
 */
import { randomBytes } from 'node:crypto';

/** Milliseconds since the Unix epoch (wall clock). Pure cores only read it through this. */
export interface Clock {
  nowMs(): number;
}

/** A source of randomness. `float()` is uniform in [0, 1). */
export interface Random {
  float(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  bytes(length: number): Uint8Array;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/**
 * Wall-clock-aligned but monotonic: it never jumps back when NTP steps the system clock, so
 * deadlines computed by the state machines never freeze. Whole milliseconds, like Date.now(),
 * because the machines put times and ages on the wire as integers.
 */
export const monotonicClock: Clock = { nowMs: () => Math.floor(performance.timeOrigin + performance.now()) };

/** Cryptographically strong randomness for production. */
export class SystemRandom implements Random {
  float(): number {
    // 53 random bits, the full precision of a double in [0,1).
    const b = randomBytes(7);
    let n = 0;
    for (let i = 0; i < 7; i++) n = n * 256 + b[i]!;
    return (n % 2 ** 53) / 2 ** 53;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.float() * maxExclusive);
  }
  bytes(length: number): Uint8Array {
    return new Uint8Array(randomBytes(length));
  }
}

/** A clock that only moves when told to: tests and the simulator. */
export class ManualClock implements Clock {
  constructor(private currentMs = 0) {}
  nowMs(): number {
    return this.currentMs;
  }
  set(ms: number): void {
    if (ms < this.currentMs) throw new Error(`ManualClock cannot go back (${ms} < ${this.currentMs})`);
    this.currentMs = ms;
  }
  advance(ms: number): void {
    this.set(this.currentMs + ms);
  }
}

/**
 * Deterministic PRNG (sfc32) seeded from a 32-bit integer. Not for secrets: used by the
 * simulator and tests so that a failing run is replayed by its seed.
 */
export class SeededRandom implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(readonly seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next32();
  }
  private next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  float(): number {
    return this.next32() / 4294967296;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.float() * maxExclusive);
  }
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.next32() & 0xff;
    return out;
  }
  /** A new independent stream, for giving each simulated member its own generator. */
  fork(): SeededRandom {
    return new SeededRandom(this.next32());
  }
}
