import { forEachTieGroup, type Ranking } from './ranking.ts';

/** How many relevant items the first k ranks hold (expected count where k cuts through a tie group). */
export function relevantInTopK(ranking: Ranking, k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  let count = 0;
  forEachTieGroup(ranking, (start, size, relevant) => {
    if (start >= k) return false;
    count += start + size <= k ? relevant : ((k - start) * relevant) / size;
    return true;
  });
  return count;
}

/** Share of the first k ranks that are relevant (over k, also when the gallery is shorter than k). */
export function precisionAtK(ranking: Ranking, k: number): number {
  return relevantInTopK(ranking, k) / k;
}
