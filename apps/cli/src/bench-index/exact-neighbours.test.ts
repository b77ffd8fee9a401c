import { describe, expect, it } from 'vitest';
import { clusteredVectors, queryVectors, SOURCES } from './clustered-vectors.ts';
import { exactNeighbours, recallAtK } from './exact-neighbours.ts';

describe('recallAtK', () => {
  it('is the share of the true k nearest that were found, whatever their order', () => {
    expect(recallAtK([1, 2, 3], [3, 2, 1], 3)).toBe(1);
    expect(recallAtK([1, 2, 9], [1, 2, 3], 3)).toBeCloseTo(2 / 3);
    expect(recallAtK([9, 8, 7], [1, 2, 3], 3)).toBe(0);
    // Only the first k of each count: a true neighbour found at rank k + 1 is not found.
    expect(recallAtK([9, 1, 2, 3], [1, 2, 3, 4], 3)).toBeCloseTo(2 / 3);
  });

  it('scores against the neighbours there are when a filter leaves fewer than k, and 1 when none', () => {
    expect(recallAtK([5, 6], [5, 6], 10)).toBe(1);
    expect(recallAtK([5], [5, 6], 10)).toBe(0.5);
    expect(recallAtK([], [], 10)).toBe(1);
  });
});

describe('exactNeighbours', () => {
  // Four 2-d points: distances from (0, 0) are 1, 3, 2, 1 (a tie between rows 0 and 3).
  const data = Float32Array.from([1, 0, 3, 0, 0, 2, 0, -1]);

  it('returns the k nearest rows by Euclidean distance, nearest first, ties by row', () => {
    expect(exactNeighbours(data, 2, [0, 0], 3)).toEqual([0, 3, 2]);
    expect(exactNeighbours(data, 2, [3, 0], 2)).toEqual([1, 0]);
    expect(exactNeighbours(data, 2, [0, 0], 10)).toEqual([0, 3, 2, 1]);
  });

  it('searches only the rows that pass the filter', () => {
    expect(exactNeighbours(data, 2, [0, 0], 2, (row) => row !== 0)).toEqual([3, 2]);
    expect(exactNeighbours(data, 2, [0, 0], 2, () => false)).toEqual([]);
  });

  it('agrees with sorting every distance on clustered data', () => {
    const set = clusteredVectors({ count: 500, dim: 16, clusters: 8, spread: 0.6, seed: 3 });
    for (const query of queryVectors({ count: 5, dim: 16, clusters: 8, spread: 0.6, seed: 3 })) {
      const all = Array.from({ length: set.count }, (_, row) => {
        let sum = 0;
        for (let d = 0; d < 16; d++) sum += (set.data[row * 16 + d]! - query[d]!) ** 2;
        return { row, sum };
      }).sort((a, b) => a.sum - b.sum || a.row - b.row);
      expect(exactNeighbours(set.data, 16, query, 10)).toEqual(all.slice(0, 10).map((a) => a.row));
    }
  });
});

describe('clusteredVectors', () => {
  it('is seeded, clustered (a query lies far closer to its neighbours than to the average row), with metadata in range', () => {
    const options = { count: 2000, dim: 32, clusters: 16, spread: 0.6, seed: 9 };
    const a = clusteredVectors(options);
    expect(clusteredVectors(options).data).toEqual(a.data);
    expect(clusteredVectors({ ...options, seed: 10 }).data).not.toEqual(a.data);
    const [query] = queryVectors({ ...options, count: 1 });
    const distance = (row: number) => Math.sqrt(Array.from({ length: 32 }, (_, d) => (a.data[row * 32 + d]! - query![d]!) ** 2).reduce((s, v) => s + v, 0));
    const nearest = distance(exactNeighbours(a.data, 32, query!, 1)[0]!);
    const mean = Array.from({ length: 200 }, (_, row) => distance(row)).reduce((s, v) => s + v, 0) / 200;
    // Unclustered points of the same spread would put the nearest at about 0.7 of the mean distance at 32-d.
    expect(nearest).toBeLessThan(mean / 2);
    expect(Math.max(...a.grade)).toBeLessThanOrEqual(4);
    expect(new Set(a.eye)).toEqual(new Set([0, 1]));
    expect(Math.max(...a.source)).toBe(SOURCES.length - 1);
  });
});
