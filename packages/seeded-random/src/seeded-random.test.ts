import { describe, expect, it } from 'vitest';
import { createRandom, mixSeed } from './seeded-random.ts';

const draw = (seed: number, n = 20): number[] => {
  const rng = createRandom(seed);
  return Array.from({ length: n }, () => rng.next());
};

describe('createRandom', () => {
  it('repeats its sequence for the same seed and differs between seeds', () => {
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('stays within the requested bounds', () => {
    const rng = createRandom(7);
    const ints = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const u = rng.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      const r = rng.range(-3, 5);
      expect(r).toBeGreaterThanOrEqual(-3);
      expect(r).toBeLessThan(5);
      ints.add(rng.int(1, 4));
    }
    expect([...ints].sort()).toEqual([1, 2, 3, 4]);
  });

  it('gives roughly standard normals', () => {
    const rng = createRandom(3);
    const xs = Array.from({ length: 5000 }, () => rng.normal());
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(variance).toBeGreaterThan(0.9);
    expect(variance).toBeLessThan(1.1);
  });
});

describe('mixSeed', () => {
  it('separates related inputs', () => {
    expect(mixSeed(7, 1)).not.toBe(mixSeed(7, 2));
    expect(mixSeed(7, 1)).not.toBe(mixSeed(1, 7));
    expect(mixSeed(7, 1)).toBe(mixSeed(7, 1));
  });
});

describe('pick and shuffle', () => {
  it('shuffles into a permutation, reproducibly, and picks only from the list', () => {
    const shuffled = createRandom(5).shuffle([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...shuffled].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(shuffled).toEqual(createRandom(5).shuffle([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(shuffled).not.toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const rng = createRandom(9);
    const picked = new Set(Array.from({ length: 200 }, () => rng.pick(['a', 'b', 'c'])));
    expect([...picked].sort()).toEqual(['a', 'b', 'c']);
    expect(() => rng.pick([])).toThrow(/empty/);
  });
});
