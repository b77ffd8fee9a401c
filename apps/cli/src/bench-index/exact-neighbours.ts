/**
 * The exact k nearest rows by Euclidean distance (brute force over every row that passes `keep`), nearest
 * first, ties by row index: the ground truth that the index's answers are scored against.
 */
export function exactNeighbours(data: Float32Array, dim: number, query: ArrayLike<number>, k: number, keep: (row: number) => boolean = () => true): number[] {
  const rows = data.length / dim;
  // The k best so far, sorted by distance (insertion into a short array beats a heap at k = 10).
  const best: { row: number; distance: number }[] = [];
  for (let row = 0; row < rows; row++) {
    if (!keep(row)) continue;
    let sum = 0;
    const offset = row * dim;
    for (let d = 0; d < dim; d++) {
      const diff = data[offset + d]! - query[d]!;
      sum += diff * diff;
    }
    if (best.length === k) {
      if (sum >= best[k - 1]!.distance) continue;
      best.pop();
    }
    let at = best.length;
    while (at > 0 && best[at - 1]!.distance > sum) at--;
    best.splice(at, 0, { row, distance: sum });
  }
  return best.map((b) => b.row);
}

/**
 * recall@k: the share of the true k nearest that the answer found (order within the k does not matter). With
 * fewer than k true neighbours (a narrow filter), out of those there are; 1 when there are none.
 */
export function recallAtK(found: readonly number[], truth: readonly number[], k: number): number {
  const wanted = truth.slice(0, k);
  if (wanted.length === 0) return 1;
  const got = new Set(found.slice(0, k));
  return wanted.filter((id) => got.has(id)).length / wanted.length;
}
