import { PCA } from '@saehrimnir/druidjs';
import type { VectorMatrix } from './exact-knn.ts';

/** Projects rows onto their first d principal components (druidjs). Fewer dimensions than d: returned as they are. */
export function pcaProject(vectors: VectorMatrix, d: number, seed = 42): Float64Array[] {
  const rows = Array.from({ length: vectors.count }, (_, i) => Float64Array.from(vectors.data.subarray(i * vectors.dim, (i + 1) * vectors.dim)));
  if (vectors.dim <= d || vectors.count <= d) return rows;
  return toRows(new PCA(rows, { d, seed }).transform());
}

/** druidjs returns the input's own type: arrays for arrays. */
export function toRows(projected: unknown): Float64Array[] {
  if (!Array.isArray(projected)) throw new Error('druidjs returned a matrix where rows were expected');
  return projected.map((row) => Float64Array.from(row as ArrayLike<number>));
}
