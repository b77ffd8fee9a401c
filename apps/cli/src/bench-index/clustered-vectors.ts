import { createRandom, mixSeed } from '@cbmir/seeded-random';

/** Grades 0-4 in roughly EyePACS proportions (most photographs show no retinopathy). */
const GRADE_WEIGHTS = [0.73, 0.07, 0.15, 0.025, 0.025];
export const SOURCES = ['eyepacs', 'aptos', 'local'] as const;
const SOURCE_WEIGHTS = [0.6, 0.3, 0.1];

export interface ClusteredVectors {
  count: number;
  dim: number;
  /** count x dim, row-major. */
  data: Float32Array;
  grade: Uint8Array;
  /** 0 left, 1 right. */
  eye: Uint8Array;
  /** Index into SOURCES. */
  source: Uint8Array;
}

function weighted(next: () => number, weights: readonly number[]): number {
  let u = next();
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/**
 * Random but clustered vectors, like embeddings (images of a kind lie together): `clusters` centres drawn from
 * N(0, 1) per dimension, each vector its centre plus N(0, spread²) noise. A cluster has a grade of its own that
 * most of its vectors carry, so a grade filter removes whole neighbourhoods, as it does with real embeddings.
 * Seeded: the same options give the same vectors on every machine.
 */
export function clusteredVectors(options: { count: number; dim: number; clusters: number; spread: number; seed: number }): ClusteredVectors {
  const { count, dim, clusters, spread, seed } = options;
  const random = createRandom(mixSeed(seed, 1));
  const centres = drawCentres(random, clusters, dim);
  const clusterGrade = Array.from({ length: clusters }, () => weighted(random.next, GRADE_WEIGHTS));
  const data = new Float32Array(count * dim);
  const grade = new Uint8Array(count);
  const eye = new Uint8Array(count);
  const source = new Uint8Array(count);
  for (let row = 0; row < count; row++) {
    const c = random.int(0, clusters - 1);
    for (let d = 0; d < dim; d++) data[row * dim + d] = centres[c * dim + d]! + spread * random.normal();
    grade[row] = random.next() < 0.7 ? clusterGrade[c]! : weighted(random.next, GRADE_WEIGHTS);
    eye[row] = random.next() < 0.5 ? 0 : 1;
    source[row] = weighted(random.next, SOURCE_WEIGHTS);
  }
  return { count, dim, data, grade, eye, source };
}

/** Query vectors from the same distribution: fresh noise (a stream of its own) around the same seed's centres. */
export function queryVectors(options: { count: number; dim: number; clusters: number; spread: number; seed: number }): Float32Array[] {
  const centres = drawCentres(createRandom(mixSeed(options.seed, 1)), options.clusters, options.dim);
  const noise = createRandom(mixSeed(options.seed, 2));
  return Array.from({ length: options.count }, () => {
    const c = noise.int(0, options.clusters - 1);
    return Float32Array.from({ length: options.dim }, (_, d) => centres[c * options.dim + d]! + options.spread * noise.normal());
  });
}

function drawCentres(random: ReturnType<typeof createRandom>, clusters: number, dim: number): Float32Array {
  const centres = new Float32Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = random.normal();
  return centres;
}
