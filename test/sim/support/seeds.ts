/**
 * Seeds for simulator runs. A failing run names its seed; `SIM_SEED=<n>` replays exactly that run
 * (every seeded test then runs only that seed).
 */
export function simSeeds(defaults: number[]): number[] {
  const fromEnv = process.env.SIM_SEED;
  if (fromEnv === undefined || fromEnv === '') return defaults;
  const seed = Number(fromEnv);
  if (!Number.isInteger(seed)) throw new Error(`SIM_SEED must be an integer, got "${fromEnv}"`);
  return [seed];
}

/** Runs one seeded scenario; any failure is rethrown with the seed and how to replay it. */
export function withSeed<T>(seed: number, scenario: (seed: number) => T): T {
  try {
    return scenario(seed);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (message.includes('[sim seed=')) throw err;
    const wrapped = new Error(`[sim seed=${seed}] ${message}\n  replay with: SIM_SEED=${seed} node --test <this test file>`, { cause: err });
    throw wrapped;
  }
}

/**
 * Seeds for a sweep: `defaultCount` consecutive seeds from `first`, or `SIM_SEED_COUNT=<n>` of
 * them (a longer sweep), or only `SIM_SEED=<n>` (a replay).
 */
export function sweepSeeds(first: number, defaultCount: number): number[] {
  const fromEnv = process.env.SIM_SEED_COUNT;
  let count = defaultCount;
  if (fromEnv !== undefined && fromEnv !== '') {
    count = Number(fromEnv);
    if (!Number.isInteger(count) || count < 1) throw new Error(`SIM_SEED_COUNT must be a positive integer, got "${fromEnv}"`);
  }
  return simSeeds(Array.from({ length: count }, (_, i) => first + i));
}
