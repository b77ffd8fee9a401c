import { relevantInTopK } from './precision-at-k.ts';
import { countRelevant, type Ranking } from './ranking.ts';

/** Share of all relevant items found in the first k ranks; null when there is no relevant item. */
export function recallAtK(ranking: Ranking, k: number): number | null {
  const total = countRelevant(ranking);
  return total === 0 ? null : relevantInTopK(ranking, k) / total;
}
