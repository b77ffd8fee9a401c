import { describe, expect, it } from 'vitest';
import { knnVote } from './knn-vote.ts';
import { confusionMatrix, quadraticWeightedKappa } from './quadratic-kappa.ts';

describe('quadratic weighted kappa', () => {
  it('matches a hand-computed value', () => {
    // O: (0,0)=1 (0,1)=1 (1,1)=2 (2,2)=1; sum W.O = 1/16; E from marginals [2,2,1,0,0] x [1,3,1,0,0] / 5:
    // sum W.E = (2*3*1 + 2*1*4 + 2*1*1 + 2*1*1 + 1*1*4 + 1*3*1) / 16 / 5 = 25/80; kappa = 1 - (1/16)/(25/80) = 0.8
    expect(quadraticWeightedKappa([0, 0, 1, 1, 2], [0, 1, 1, 1, 2])).toBeCloseTo(0.8, 12);
  });

  it('is 1 for perfect agreement, negative for systematic disagreement, null when undefined', () => {
    expect(quadraticWeightedKappa([0, 1, 2, 3, 4], [0, 1, 2, 3, 4])).toBe(1);
    expect(quadraticWeightedKappa([0, 0, 4, 4], [4, 4, 0, 0])).toBeLessThan(0);
    expect(quadraticWeightedKappa([2, 2], [2, 2])).toBeNull();
    expect(quadraticWeightedKappa([], [])).toBeNull();
  });

  it('counts a confusion matrix [true][predicted]', () => {
    expect(confusionMatrix([0, 0, 1], [0, 1, 1], 2)).toEqual([
      [1, 1],
      [0, 1],
    ]);
  });
});

describe('distance-weighted k-NN vote', () => {
  it('weighs neighbours by 1/distance', () => {
    // grade 2: 1/1 + 1/1 = 2; grade 0: 1/0.25 = 4
    expect(knnVote([2, 0, 2], [1, 0.25, 1])).toBe(0);
    expect(knnVote([2, 0, 2], [1, 2, 1])).toBe(2);
  });

  it('uses only the first k, breaks ties by the nearest, and has no vote without neighbours', () => {
    expect(knnVote([1, 1, 3, 3, 3], [1, 1, 1, 1, 1], 2)).toBe(1);
    expect(knnVote([3, 1], [1, 1])).toBe(3);
    expect(knnVote([], [])).toBeNull();
  });
});
