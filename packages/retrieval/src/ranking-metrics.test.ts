import { describe, expect, it } from 'vitest';
import { averagePrecision } from './average-precision.ts';
import { precisionAtK } from './precision-at-k.ts';
import { precisionRecallCurve } from './precision-recall-curve.ts';
import type { Ranking } from './ranking.ts';
import { recallAtK } from './recall-at-k.ts';
import { reciprocalRank } from './reciprocal-rank.ts';

const ranked = (...relevant: number[]): Ranking => ({ relevant });

/** Every order of the items that share a distance, to check the tie-aware expectations by brute force. */
function allTieOrders(relevant: number[], distances: number[]): number[][] {
  const groups: number[][] = [];
  relevant.forEach((r, i) => (i > 0 && distances[i] === distances[i - 1] ? groups[groups.length - 1]!.push(r) : groups.push([r])));
  const permutations = (items: number[]): number[][] =>
    items.length <= 1 ? [items] : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
  return groups.reduce<number[][]>((orders, group) => orders.flatMap((prefix) => permutations(group).map((p) => [...prefix, ...p])), [[]]);
}
const meanOf = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('ranking metrics on hand-computed rankings', () => {
  it('perfect ranking: every relevant item first', () => {
    const r = ranked(1, 1, 0, 0);
    expect(averagePrecision(r)).toBe(1);
    expect(reciprocalRank(r)).toBe(1);
    expect(precisionAtK(r, 1)).toBe(1);
    expect(precisionAtK(r, 2)).toBe(1);
    expect(precisionAtK(r, 4)).toBe(0.5);
    expect(recallAtK(r, 2)).toBe(1);
  });

  it('worst ranking: every relevant item last', () => {
    const r = ranked(0, 0, 1, 1);
    expect(averagePrecision(r)).toBeCloseTo((1 / 3 + 2 / 4) / 2, 12);
    expect(reciprocalRank(r)).toBeCloseTo(1 / 3, 12);
    expect(precisionAtK(r, 2)).toBe(0);
    expect(recallAtK(r, 3)).toBe(0.5);
  });

  it('a mixed ranking', () => {
    const r = ranked(1, 0, 1, 0, 0, 1);
    expect(averagePrecision(r)).toBeCloseTo((1 + 2 / 3 + 3 / 6) / 3, 12);
    expect(reciprocalRank(r)).toBe(1);
    expect(precisionAtK(r, 5)).toBeCloseTo(0.4, 12);
    expect(recallAtK(r, 5)).toBeCloseTo(2 / 3, 12);
    // precision at k counts over k even past the end of a short gallery
    expect(precisionAtK(r, 10)).toBeCloseTo(0.3, 12);
  });

  it('a single relevant item', () => {
    const r = ranked(0, 0, 1, 0);
    expect(averagePrecision(r)).toBeCloseTo(1 / 3, 12);
    expect(reciprocalRank(r)).toBeCloseTo(1 / 3, 12);
    expect(recallAtK(r, 2)).toBe(0);
    expect(recallAtK(r, 3)).toBe(1);
  });

  it('a query with no relevant item has no AP, RR or recall (it is left out of the means)', () => {
    const r = ranked(0, 0, 0);
    expect(averagePrecision(r)).toBeNull();
    expect(reciprocalRank(r)).toBeNull();
    expect(recallAtK(r, 2)).toBeNull();
    expect(precisionAtK(r, 2)).toBe(0);
    expect(precisionRecallCurve(r)).toBeNull();
  });

  it('ties: two items at one distance score the mean of both orders', () => {
    const r: Ranking = { relevant: [1, 0], distances: [1, 1] };
    expect(averagePrecision(r)).toBeCloseTo(0.75, 12);
    expect(reciprocalRank(r)).toBeCloseTo(0.75, 12);
    expect(precisionAtK(r, 1)).toBeCloseTo(0.5, 12);
  });

  it('ties: the expectation equals the mean over every order of each tie group', () => {
    const relevant = [0, 1, 1, 0, 1, 0, 1, 0];
    const distances = [0.1, 0.5, 0.5, 0.5, 0.7, 0.9, 0.9, 0.9];
    const orders = allTieOrders(relevant, distances);
    expect(orders).toHaveLength(36);
    const r: Ranking = { relevant, distances };
    expect(averagePrecision(r)).toBeCloseTo(meanOf(orders.map((o) => averagePrecision(ranked(...o))!)), 12);
    expect(reciprocalRank(r)).toBeCloseTo(meanOf(orders.map((o) => reciprocalRank(ranked(...o))!)), 12);
    for (const k of [1, 2, 3, 6, 7]) {
      expect(precisionAtK(r, k)).toBeCloseTo(meanOf(orders.map((o) => precisionAtK(ranked(...o), k))), 12);
      expect(recallAtK(r, k)).toBeCloseTo(meanOf(orders.map((o) => recallAtK(ranked(...o), k)!)), 12);
    }
  });

  it('ties: a degenerate embedding (every distance equal) scores chance, not the input order', () => {
    const r: Ranking = { relevant: [1, 1, 0, 0], distances: [0, 0, 0, 0] };
    expect(averagePrecision(r)).toBeCloseTo(0.680556, 5);
  });

  it('precision-recall curve: interpolated precision at 21 recall levels', () => {
    const curve = precisionRecallCurve(ranked(1, 0, 1, 0, 0, 1))!;
    expect(curve).toHaveLength(21);
    expect(curve[0]).toBe(1); // recall 0
    expect(curve[6]).toBe(1); // recall 0.3 <= 1/3, reached at rank 1
    expect(curve[7]).toBeCloseTo(2 / 3, 12); // recall 0.35: best precision beyond is 2/3 at rank 3
    expect(curve[20]).toBeCloseTo(0.5, 12); // recall 1 at rank 6
  });
});
