/** Neighbours that vote for a query's grade. */
export const VOTE_K = 10;

/** Each grade's part of a k-NN vote, in the order grades first appear among the neighbours. */
export interface KnnVoteTally {
  /** The winning grade; null with no neighbour. */
  grade: number | null;
  votes: { grade: number; weight: number; neighbours: number }[];
  /** Sum of all weights (for shares). */
  total: number;
}

/**
 * The k nearest neighbours' vote, each voting with weight 1/distance (an exact duplicate, at distance 0,
 * outweighs everything else). grades and distances are in rank order; only the first k vote. A tie between
 * grades goes to the one whose best-ranked member comes first.
 */
export function knnVoteTally(grades: ArrayLike<number>, distances: ArrayLike<number>, k = VOTE_K): KnnVoteTally {
  const n = Math.min(k, grades.length);
  const byGrade = new Map<number, { grade: number; weight: number; neighbours: number }>();
  let total = 0;
  for (let i = 0; i < n; i++) {
    const grade = grades[i]!;
    const weight = 1 / Math.max(distances[i]!, 1e-12);
    const entry = byGrade.get(grade) ?? { grade, weight: 0, neighbours: 0 };
    entry.weight += weight;
    entry.neighbours += 1;
    byGrade.set(grade, entry);
    total += weight;
  }
  const votes = [...byGrade.values()];
  let best = votes[0];
  for (const vote of votes) if (vote.weight > best!.weight) best = vote;
  return { grade: best?.grade ?? null, votes, total };
}

/** The grade suggested by the k nearest neighbours (see knnVoteTally). Null with no neighbour. */
export function knnVote(grades: ArrayLike<number>, distances: ArrayLike<number>, k = VOTE_K): number | null {
  return knnVoteTally(grades, distances, k).grade;
}
