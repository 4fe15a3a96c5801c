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
