import { describe, expect, it } from 'vitest';
import { rocchio } from './rocchio.ts';

const ROCCHIO_WEIGHTS = { query: 1, liked: 0.75, disliked: 0.15 };

const distance = (a: number[], b: number[]) => Math.hypot(...a.map((v, i) => v - b[i]!));

describe('rocchio', () => {
  it('is (a*q + b*mean(liked) - c*mean(disliked)) / (a + b - c)', () => {
    const q = [1, 0, 0];
    const refined = rocchio(
      q,
      [
        [0, 1, 0],
        [0, 3, 0],
      ],
      [[0, 0, 1]],
      ROCCHIO_WEIGHTS,
    );
    const { query: a, liked: b, disliked: c } = ROCCHIO_WEIGHTS;
    const want = [a, b * 2, -c].map((value) => value / (a + b - c));
    refined.forEach((value, i) => expect(value).toBeCloseTo(want[i]!, 12));
    // Without dislikes, c is left out of the sum: the query moves b / (a + b) of the way to the liked mean.
    expect(rocchio([0, 0], [[1, 0]], [], ROCCHIO_WEIGHTS)).toEqual([b / (a + b), 0]);
  });

  it('moves the query toward the liked and away from the disliked', () => {
    const q = [1, 0];
    const liked = [0.6, 0.8];
    const disliked = [0.6, -0.8];
    const refined = rocchio(q, [liked], [disliked], ROCCHIO_WEIGHTS);
    expect(distance(refined, liked)).toBeLessThan(distance(q, liked));
    expect(distance(refined, disliked)).toBeGreaterThan(distance(q, disliked));
    // Whatever the scale of the embeddings: a liked case far out along the same direction is still approached.
    expect(distance(rocchio([1, 0], [[10, 0]], [], ROCCHIO_WEIGHTS), [10, 0])).toBeLessThan(9);
  });

  it('leaves the query as it is without feedback, and refuses vectors of another dimension', () => {
    expect(rocchio([3, 4], [], [], ROCCHIO_WEIGHTS)).toEqual([3, 4]);
    expect(() => rocchio([1, 0], [[1, 0, 0]], [], ROCCHIO_WEIGHTS)).toThrow(RangeError);
  });
});
