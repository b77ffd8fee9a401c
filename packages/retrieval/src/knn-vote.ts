/** Neighbours that vote for a query's grade. */
export const VOTE_K = 10;

/**
 * The grade suggested by the k nearest neighbours, each voting with weight 1/distance (an exact duplicate,
 * at distance 0, outweighs everything else). grades and distances are in rank order; only the first k
 * vote. A tie between grades goes to the one whose best-ranked member comes first. Null with no neighbour.
 */
export function knnVote(grades: ArrayLike<number>, distances: ArrayLike<number>, k = VOTE_K): number | null {
  const n = Math.min(k, grades.length);
  if (n === 0) return null;
  const weights = new Map<number, number>();
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    const grade = grades[i]!;
    if (!weights.has(grade)) order.push(grade);
    weights.set(grade, (weights.get(grade) ?? 0) + 1 / Math.max(distances[i]!, 1e-12));
  }
  let best = order[0]!;
  for (const grade of order) if (weights.get(grade)! > weights.get(best)!) best = grade;
  return best;
}
