/**
 * One query's ranked gallery: relevance flags in rank order and, when ties are possible, the distances
 * (ascending) they were ranked by. Items at exactly the same distance form a tie group; every metric
 * here takes the expectation over all orders of a tie group (McSherry & Najork, ECIR 2008), so a
 * degenerate embedding that maps everything to one point scores chance, not whatever an index sort
 * happened to put first.
 */
export interface Ranking {
  relevant: ArrayLike<number | boolean>;
  /** Ascending; null or absent: no ties (every item has its own rank). */
  distances?: ArrayLike<number> | null;
}

/** Calls visit(start, size, relevantInGroup) for each run of equal distances; visit returns false to stop. */
export function forEachTieGroup(
  ranking: Ranking,
  // biome-ignore lint/suspicious/noConfusingVoidType: a visitor that returns nothing goes on; only false stops it
  visit: (start: number, size: number, relevant: number) => boolean | void,
): void {
  const { relevant, distances } = ranking;
  const n = relevant.length;
  let start = 0;
  while (start < n) {
    let end = start + 1;
    if (distances) while (end < n && distances[end] === distances[start]) end++;
    let inGroup = 0;
    for (let i = start; i < end; i++) if (relevant[i]) inGroup++;
    if (visit(start, end - start, inGroup) === false) return;
    start = end;
  }
}

export function countRelevant(ranking: Ranking): number {
  let total = 0;
  for (let i = 0; i < ranking.relevant.length; i++) if (ranking.relevant[i]) total++;
  return total;
}
