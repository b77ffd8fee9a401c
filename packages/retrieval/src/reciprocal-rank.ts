import { forEachTieGroup, type Ranking } from './ranking.ts';

/**
 * 1 / rank of the first relevant item; null when there is none. When the first relevant item shares
 * its distance with others, the expectation over the tie group's orders.
 */
export function reciprocalRank(ranking: Ranking): number | null {
  let result: number | null = null;
  forEachTieGroup(ranking, (start, size, relevant) => {
    if (relevant === 0) return true;
    let noneYet = 1;
    let expected = 0;
    for (let j = 1; j <= size - relevant + 1; j++) {
      const remaining = size - j + 1;
      expected += (noneYet * relevant) / remaining / (start + j);
      noneYet *= (remaining - relevant) / remaining;
    }
    result = expected;
    return false;
  });
  return result;
}
