/**
 * A small seeded PRNG (mulberry32) so synthetic images are reproducible: the same seed gives the same
 * picture on every machine, which Math.random cannot promise.
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
}

export function createRandom(seed: number): Random {
  let state = mixSeed(seed);
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    range: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor((max - min + 1) * next()),
    normal: () => {
      const u = 1 - next(); // (0, 1], so the log is finite
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
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
