/** Row-major vectors: count rows of dim Float32 values. */
export interface VectorMatrix {
  data: Float32Array;
  count: number;
  dim: number;
}

export function vectorMatrix(vectors: ArrayLike<number>[], dim?: number): VectorMatrix {
  const d = dim ?? vectors[0]?.length ?? 0;
  const data = new Float32Array(vectors.length * d);
  vectors.forEach((vector, i) => {
    if (vector.length !== d) throw new RangeError(`vector ${i} has ${vector.length} dimensions, expected ${d}`);
    data.set(vector, i * d);
  });
  return { data, count: vectors.length, dim: d };
}

/**
 * Squared Euclidean distances from queries [from, to) to every gallery row, into out (row-major,
 * (to-from) x gallery.count). Exact, all pairs: differences are summed directly (not |a|^2+|b|^2-2ab), so
 * identical vectors are at exactly 0 and equal distances stay equal -- the metrics treat those as ties.
 */
export function squaredDistances(queries: VectorMatrix, gallery: VectorMatrix, from: number, to: number, out: Float64Array): void {
  if (queries.dim !== gallery.dim) throw new RangeError(`queries have ${queries.dim} dimensions, the gallery ${gallery.dim}`);
  const { dim } = queries;
  const q = queries.data;
  const g = gallery.data;
  const n = gallery.count;
  let i = from;
  // Four queries at a time against each gallery row: every gallery value is loaded once for four sums
  // (about twice as fast in V8 as one query at a time); each sum still adds its terms in index order, so
  // the results are bit-identical to the one-at-a-time loop.
  for (; i + 4 <= to; i += 4) {
    const o0 = i * dim;
    const o1 = o0 + dim;
    const o2 = o1 + dim;
    const o3 = o2 + dim;
    const r = (i - from) * n;
    for (let j = 0; j < n; j++) {
      const go = j * dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < dim; k++) {
        const v = g[go + k]!;
        const a = q[o0 + k]! - v;
        const b = q[o1 + k]! - v;
        const c = q[o2 + k]! - v;
        const d = q[o3 + k]! - v;
        s0 += a * a;
        s1 += b * b;
        s2 += c * c;
        s3 += d * d;
      }
      out[r + j] = s0;
      out[r + n + j] = s1;
      out[r + 2 * n + j] = s2;
      out[r + 3 * n + j] = s3;
    }
  }
  for (; i < to; i++) {
    const qo = i * dim;
    const r = (i - from) * n;
    for (let j = 0; j < n; j++) {
      const go = j * dim;
      let sum = 0;
      for (let k = 0; k < dim; k++) {
        const t = q[qo + k]! - g[go + k]!;
        sum += t * t;
      }
      out[r + j] = sum;
    }
  }
}

/**
 * The k nearest candidates by row distance, nearest first (equal distances: the earlier candidate first),
 * into index/distance; returns how many were found (fewer than k when there are fewer candidates).
 * Insertion into a k-long list: O(candidates) for small k, no full sort.
 */
export function nearestK(candidates: Uint32Array, row: Float64Array, k: number, index: Uint32Array, distance: Float64Array): number {
  let found = 0;
  for (let c = 0; c < candidates.length; c++) {
    const j = candidates[c]!;
    const d = row[j]!;
    if (found === k && d >= distance[k - 1]!) continue;
    let p = found < k ? found++ : k - 1;
    while (p > 0 && distance[p - 1]! > d) {
      distance[p] = distance[p - 1]!;
      index[p] = index[p - 1]!;
      p--;
    }
    distance[p] = d;
    index[p] = j;
  }
  return found;
}
