import { describe, expect, it } from 'vitest';
import { createRandom } from '@cbmir/seeded-random';
import { chanceRanking } from './chance-levels.ts';
import { vectorMatrix } from './exact-knn.ts';
import { runEvaluation, type LabelledItem } from './evaluation-run.ts';

const item = (key: string, grade: number, patient: string | null): LabelledItem => ({ key, grade, patient });

describe('chance levels', () => {
  it('are the random-ranking expectations (enumerated by hand for 2 relevant of 4)', () => {
    const chance = chanceRanking(4, 2);
    // the six placements of two relevant items: AP 1, 5/6, 3/4, 7/12, 1/2, 5/12
    expect(chance.averagePrecision).toBeCloseTo((1 + 5 / 6 + 3 / 4 + 7 / 12 + 1 / 2 + 5 / 12) / 6, 12);
    // first relevant at rank 1, 2, 3 with probability 1/2, 1/3, 1/6
    expect(chance.reciprocalRank).toBeCloseTo(1 / 2 + 1 / 3 / 2 + 1 / 6 / 3, 12);
    expect(chance.precisionAt(1)).toBeCloseTo(0.5, 12);
    expect(chance.recallAt(2)).toBeCloseTo(0.5, 12);
  });

  it('agree with what random embeddings score', () => {
    const random = createRandom(3).next;
    const items = Array.from({ length: 600 }, (_, i) => item(`img${i}`, random() < 0.7 ? 0 : random() < 0.5 ? 2 : 4, `p${i}`));
    const vectors = vectorMatrix(items.map(() => Array.from({ length: 8 }, () => random())));
    const result = runEvaluation({ items, vectors });
    expect(result.chance.map).toBeGreaterThan(0.4);
    expect(Math.abs(result.overall.map! - result.chance.map!)).toBeLessThan(0.02);
    expect(Math.abs(result.overall.precisionAt10! - result.chance.precisionAt10!)).toBeLessThan(0.03);
    expect(Math.abs(result.overall.voteAccuracy! - result.chance.voteAccuracy!)).toBeLessThan(0.06);
    expect(Math.abs(result.overall.voteKappa! - result.chance.voteKappa!)).toBeLessThan(0.1);
  });
});

describe('evaluation runs', () => {
  it('score a perfect embedding 1 and report every grade', () => {
    const items = Array.from({ length: 25 }, (_, i) => item(`img${i}`, i % 5, `p${i}`));
    const vectors = vectorMatrix(items.map((it, i) => [it.grade * 10 + (i % 3) * 0.01, 0]));
    const result = runEvaluation({ items, vectors });
    expect(result.protocol).toBe('leave-patient-out');
    expect(result.overall).toMatchObject({ map: 1, mrr: 1, precisionAt1: 1, voteAccuracy: 1, voteKappa: 1, macroMap: 1, queries: 25 });
    expect(result.overall.precisionAt5).toBeCloseTo(4 / 5, 12); // each grade has 4 others
    expect(result.overall.recallAt10).toBe(1);
    expect(result.perGrade.map((g) => g.count)).toEqual([5, 5, 5, 5, 5]);
    expect(result.chance.map).toBeCloseTo(chanceRanking(24, 4).averagePrecision!, 12);
    expect(result.prCurve.precision.every((p) => p === 1)).toBe(true);
    expect(result.voteConfusion[3]).toEqual([0, 0, 0, 5, 0]);
  });

  it('never match both eyes of one patient (nor a query with itself)', () => {
    // Patient A's eyes are identical and grade 3; the only other grade 3 is far away.
    const items = [item('a-left', 3, 'A'), item('a-right', 3, 'A'), item('b', 3, 'B'), item('c', 0, 'C'), item('d', 0, 'D')];
    const vectors = vectorMatrix([[0], [0], [10], [1], [2]]);
    const result = runEvaluation({ items, vectors });
    expect(result.counts).toMatchObject({ queries: 5, gallery: 5, excludedSamePatient: 2, excludedSameImage: 0 });
    // a-left and a-right rank c (1), d (2), b (10); b ranks d, c, then A's eyes: each finds grade 3 third
    const grade3 = result.perGrade.find((g) => g.grade === 3)!;
    expect(grade3.metrics.precisionAt1).toBe(0);
    expect(grade3.metrics.mrr).toBeCloseTo(1 / 3, 12);
    // without patient ids A's eyes would find each other first
    const leaky = runEvaluation({ items: items.map((it) => ({ ...it, patient: null })), vectors });
    expect(leaky.perGrade.find((g) => g.grade === 3)!.metrics.precisionAt1).toBeCloseTo(2 / 3, 12);
    expect(leaky.counts.excludedSamePatient).toBe(0);
  });

  it('search a separate gallery, leaving out the same patient and the same picture', () => {
    const queries = { items: [item('x', 1, 'P'), item('y', 2, 'Q')], vectors: vectorMatrix([[0], [5]]) };
    const gallery = {
      items: [item('x', 1, 'R'), item('z', 1, 'P'), item('w', 1, 'S'), item('v', 2, 'T')],
      vectors: vectorMatrix([[0], [0], [1], [5]]),
    };
    const result = runEvaluation(queries, { gallery });
    expect(result.protocol).toBe('gallery');
    expect(result.counts).toMatchObject({ queries: 2, gallery: 4, excludedSamePatient: 1, excludedSameImage: 1 });
    expect(result.overall.map).toBe(1); // x finds w first, y finds v first
    expect(result.gradeCounts.gallery).toEqual([0, 3, 1, 0, 0]);
  });

  it('score a degenerate embedding (every vector the same) exactly at chance', () => {
    const random = createRandom(5).next;
    const items = Array.from({ length: 40 }, (_, i) => item(`img${i}`, random() < 0.6 ? 0 : Math.floor(random() * 5), `p${i >> 1}`));
    const result = runEvaluation({ items, vectors: vectorMatrix(items.map(() => [1, 2, 3])) });
    for (const key of ['map', 'mrr', 'precisionAt1', 'precisionAt10', 'recallAt10', 'macroMap'] as const) {
      expect(result.overall[key], key).toBeCloseTo(result.chance[key]!, 12);
    }
  });

  it('refuse vectors with NaN', () => {
    expect(() => runEvaluation({ items: [item('a', 0, null), item('b', 0, null)], vectors: vectorMatrix([[0], [Number.NaN]]) })).toThrow(/non-finite/);
  });

  it('count queries whose gallery holds no image of their grade, and leave them out of MAP', () => {
    const items = [item('a', 4, 'A'), item('b', 0, 'B'), item('c', 0, 'C')];
    const result = runEvaluation({ items, vectors: vectorMatrix([[0], [1], [2]]) });
    expect(result.counts.queriesWithoutRelevant).toBe(1);
    expect(result.overall.queries).toBe(2);
    expect(result.perGrade.find((g) => g.grade === 4)!.metrics.map).toBeNull();
  });
});

describe('exact distances', () => {
  it('are the same whether computed four queries at a time or one by one', async () => {
    const { squaredDistances } = await import('./exact-knn.ts');
    const random = createRandom(11).next;
    const set = vectorMatrix(Array.from({ length: 7 }, () => Array.from({ length: 5 }, () => random())));
    const all = new Float64Array(7 * 7);
    squaredDistances(set, set, 0, 7, all);
    for (let i = 0; i < 7; i++) {
      const one = new Float64Array(7);
      squaredDistances(set, set, i, i + 1, one);
      expect([...one]).toEqual([...all.subarray(i * 7, i * 7 + 7)]);
      expect(all[i * 7 + i]).toBe(0);
      for (let j = 0; j < 7; j++) {
        const direct = Array.from({ length: 5 }, (_, k) => (set.data[i * 5 + k]! - set.data[j * 5 + k]!) ** 2).reduce((a, b) => a + b, 0);
        expect(all[i * 7 + j]).toBe(direct);
      }
    }
  });
});
