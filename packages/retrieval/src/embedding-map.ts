import { createRandom } from '@cbmir/seeded-random';
import type { VectorMatrix } from './exact-knn.ts';
import { pcaProject } from './pca.ts';
import { tsneProject, type TsneOptions } from './tsne.ts';

export interface MapPoint {
  /** Index of the image in the evaluated set. */
  index: number;
  x: number;
  y: number;
  grade: number;
}

export interface EmbeddingMapOptions extends TsneOptions {
  /** At most this many points, sampled per grade in proportion (seeded). Default 2000. */
  maxPoints?: number;
  /** PCA dimensions before t-SNE (the paper: 50). */
  pcaDimensions?: number;
}

/**
 * The paper's embedding map: PCA to 50 dimensions, then t-SNE to 2, on a seeded sample stratified by
 * grade (every grade keeps its share, and at least one point). Coordinates are scaled into [0, 1].
 */
export function embeddingMap(vectors: VectorMatrix, grades: ArrayLike<number>, options: EmbeddingMapOptions = {}): MapPoint[] {
  const seed = options.seed ?? 42;
  const indices = stratifiedSample(grades, options.maxPoints ?? 2000, seed);
  const sample: VectorMatrix = { data: new Float32Array(indices.length * vectors.dim), count: indices.length, dim: vectors.dim };
  indices.forEach((index, row) => sample.data.set(vectors.data.subarray(index * vectors.dim, (index + 1) * vectors.dim), row * vectors.dim));
  const coordinates = tsneProject(pcaProject(sample, options.pcaDimensions ?? 50, seed), { ...options, seed });
  const xs = coordinates.map((c) => c[0]);
  const ys = coordinates.map((c) => c[1]);
  const scale = (v: number, values: number[]) => {
    const min = Math.min(...values);
    const span = Math.max(...values) - min;
    return span > 0 && Number.isFinite(span) ? (v - min) / span : 0.5;
  };
  return indices.map((index, row) => ({
    index,
    x: scale(coordinates[row]![0], xs),
    y: scale(coordinates[row]![1], ys),
    grade: grades[index]!,
  }));
}

/** Up to maxPoints indices, each grade in proportion to its count (at least one each), seeded, sorted. */
export function stratifiedSample(grades: ArrayLike<number>, maxPoints: number, seed: number): number[] {
  const all = Array.from({ length: grades.length }, (_, i) => i);
  if (grades.length <= maxPoints) return all;
  const random = createRandom(seed).next;
  const byGrade = new Map<number, number[]>();
  for (const i of all) {
    const members = byGrade.get(grades[i]!);
    if (members) members.push(i);
    else byGrade.set(grades[i]!, [i]);
  }
  const picked: number[] = [];
  for (const members of byGrade.values()) {
    const take = Math.max(1, Math.round((members.length * maxPoints) / grades.length));
    for (let t = 0; t < Math.min(take, members.length); t++) {
      const pick = t + Math.floor(random() * (members.length - t));
      [members[t], members[pick]] = [members[pick]!, members[t]!];
      picked.push(members[t]!);
    }
  }
  return picked.sort((a, b) => a - b);
}
