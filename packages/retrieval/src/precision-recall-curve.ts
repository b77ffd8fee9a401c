import { countRelevant, forEachTieGroup, type Ranking } from './ranking.ts';

/** The recall levels curves are sampled at: 0, 0.05, ..., 1. */
export const RECALL_LEVELS: readonly number[] = Array.from({ length: 21 }, (_, i) => i / 20);

/**
 * Interpolated precision (the best precision at this recall or beyond) at each of RECALL_LEVELS, from
 * the points at the end of each tie group, where precision and recall do not depend on the order inside
 * the group. Null when there is no relevant item.
 */
export function precisionRecallCurve(ranking: Ranking): Float64Array | null {
  const total = countRelevant(ranking);
  if (total === 0) return null;
  const recalls: number[] = [];
  const precisions: number[] = [];
  let found = 0;
  forEachTieGroup(ranking, (start, size, relevant) => {
    found += relevant;
    recalls.push(found / total);
    precisions.push(found / (start + size));
  });
  const curve = new Float64Array(RECALL_LEVELS.length);
  let best = 0;
  let level = RECALL_LEVELS.length - 1;
  for (let i = recalls.length - 1; i >= 0; i--) {
    best = Math.max(best, precisions[i]!);
    const previousRecall = i > 0 ? recalls[i - 1]! : -1;
    while (level >= 0 && RECALL_LEVELS[level]! > previousRecall) {
      if (RECALL_LEVELS[level]! <= recalls[i]! + 1e-12) curve[level] = best;
      level--;
    }
  }
  return curve;
}
