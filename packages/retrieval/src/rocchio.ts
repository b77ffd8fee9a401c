/**
 * Relevance feedback on a query embedding (Rocchio, 1971): q' = a*q + b*mean(liked) - c*mean(disliked). The weights
 * a search uses are part of its API (the contract's ROCCHIO_WEIGHTS); they must keep a + b - c above 0.
 */
export interface RocchioWeights {
  query: number;
  liked: number;
  disliked: number;
}

function mean(vectors: ArrayLike<number>[], dim: number): Float64Array {
  const sum = new Float64Array(dim);
  for (const vector of vectors) for (let i = 0; i < dim; i++) sum[i]! += vector[i]!;
  for (let i = 0; i < dim; i++) sum[i]! /= vectors.length;
  return sum;
}

/**
 * The refined query, its weights divided by their sum (a + b - c, leaving out the term of an empty set): an affine
 * combination, so it moves along the line from q toward the liked mean and away from the disliked one and stays
 * where the embeddings are, whatever their scale (with unit-length embeddings, as the shipped model makes, the
 * ranking depends on the direction alone and this changes nothing). Throws RangeError for vectors of another dimension.
 */
export function rocchio(query: ArrayLike<number>, liked: ArrayLike<number>[], disliked: ArrayLike<number>[], weights: RocchioWeights): number[] {
  const dim = query.length;
  for (const vector of [...liked, ...disliked]) {
    if (vector.length !== dim) throw new RangeError(`a feedback vector has ${vector.length} dimensions, the query ${dim}`);
  }
  const refined = new Float64Array(dim);
  for (let i = 0; i < dim; i++) refined[i] = weights.query * query[i]!;
  let total = weights.query;
  if (liked.length > 0) {
    const likedMean = mean(liked, dim);
    for (let i = 0; i < dim; i++) refined[i]! += weights.liked * likedMean[i]!;
    total += weights.liked;
  }
  if (disliked.length > 0) {
    const dislikedMean = mean(disliked, dim);
    for (let i = 0; i < dim; i++) refined[i]! -= weights.disliked * dislikedMean[i]!;
    total -= weights.disliked;
  }
  return Array.from(refined, (value) => value / total);
}
