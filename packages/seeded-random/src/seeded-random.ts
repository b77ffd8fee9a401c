/**
 * The project's one seeded PRNG (mulberry32): synthetic images, augmentation, pair sampling, patient splits,
 * chance baselines and map samples come out the same on every machine, which Math.random cannot promise.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  range(min: number, max: number): number;
  /** Integer uniform in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** One element, uniformly; throws on an empty list. */
  pick<T>(values: readonly T[]): T;
  /** Shuffles in place (Fisher-Yates) and returns the same array. */
  shuffle<T>(values: T[]): T[];
}

/**
 * A stream from a 32-bit seed. Related seeds give related streams: pass mixSeed(...) where that matters.
 * (The synthetic images mix twice, mixSeed(mixSeed(...)): that keeps them identical to earlier releases.)
 */
export function createRandom(seed: number): Random {
  let state = seed | 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const below = (n: number) => Math.floor(next() * n);
  return {
    next,
    range: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + below(max - min + 1),
    normal: () => {
      const u = 1 - next(); // (0, 1], so the log is finite
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    pick<T>(values: readonly T[]): T {
      if (values.length === 0) throw new Error('pick from an empty list');
      return values[below(values.length)] as T;
    },
    shuffle<T>(values: T[]): T[] {
      for (let i = values.length - 1; i > 0; i--) {
        const j = below(i + 1);
        [values[i], values[j]] = [values[j] as T, values[i] as T];
      }
      return values;
    },
  };
}

/**
 * Folds several integers into one well-mixed 32-bit seed, so related streams (seed 7 / level 1 and
 * seed 7 / level 2) are independent rather than shifted copies of each other.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (Math.trunc(part) | 0), 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h >>> 0;
}
