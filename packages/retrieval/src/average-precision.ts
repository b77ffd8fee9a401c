import { countRelevant, forEachTieGroup, type Ranking } from './ranking.ts';

/**
 * Average precision over the full ranking: the mean, over the relevant items, of the precision at each
 * one's rank -- the area under the (non-interpolated) precision-recall curve, as the paper defines MAP's
 * AveP. Null when the gallery holds no relevant item (such a query is left out of MAP, and counted).
 *
 * In a tie group of n items (r relevant) starting after rank s with b relevant items before it, the item
 * at rank s+j is relevant with probability r/n and then has, on average, 1 + (j-1)(r-1)/(n-1) relevant
 * items at or above it within the group.
 */
export function averagePrecision(ranking: Ranking): number | null {
  const total = countRelevant(ranking);
  if (total === 0) return null;
  let sum = 0;
  let before = 0;
  forEachTieGroup(ranking, (start, size, relevant) => {
    if (relevant > 0) {
      if (size === 1) sum += (before + 1) / (start + 1);
      else {
        const p = relevant / size;
        const q = (relevant - 1) / (size - 1);
        for (let j = 1; j <= size; j++) sum += (p * (before + 1 + (j - 1) * q)) / (start + j);
      }
    }
    before += relevant;
  });
  return sum / total;
}
